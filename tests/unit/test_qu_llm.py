"""Optional LLM parser against a local fake OpenAI-compatible server in a thread."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from semstream.models.qu.exceptions import LLMParseError
from semstream.models.qu.filters import to_filter
from semstream.models.qu.llm import LLMParser
from semstream.models.qu.service import QueryUnderstanding
from semstream.schemas import EntityKind

ANSWER = {"role": "backend engineer", "seniority": "Senior", "city": "NYC", "remote": "Remote",
          "posted_within_days": 7, "must_have_skills": ["K8s"], "nice_to_have_skills": ["python"],
          "excluded": ["crypto"], "company": "Acme Inc", "rewrite": "senior backend engineer kubernetes"}


class _Handler(BaseHTTPRequestHandler):
    answer: object = ANSWER
    seen: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.seen.append(body)
        content = self.answer if isinstance(self.answer, str) else json.dumps(self.answer)
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/v1"
    httpd.shutdown()
    httpd.server_close()
    _Handler.answer = ANSWER


@pytest.fixture(scope="module")
def rules():
    return QueryUnderstanding.load(None).parser


def test_llm_answer_is_normalised_into_the_schema(server: str, rules) -> None:
    parser = LLMParser(server, "fake-model", rules, api_key="k")
    parsed = parser.parse("senior backend engineers in nyc knowing k8s, no crypto", EntityKind.JOB)
    assert parsed.parser == "llm" and _Handler.seen[-1]["model"] == "fake-model"
    assert (parsed.city, parsed.country, parsed.remote, parsed.seniority) == ("New York", "US", "remote", "senior")
    assert parsed.occupation == "software developer" and parsed.company == "acme"
    assert parsed.skills == ["kubernetes", "python"] and parsed.excluded == ["crypto"]
    flt = to_filter(parsed)
    assert {"city", "country", "remote", "posted_ts", "company_key", "skills_key"} == {c.field for c in flt.must}


def test_bad_answer_raises_and_service_falls_back_to_rules(server: str, rules) -> None:
    _Handler.answer = "not json"
    parser = LLMParser(server, "fake-model", rules)
    with pytest.raises(LLMParseError):
        parser.parse("python jobs", EntityKind.JOB)
    parsed, _, _ = QueryUnderstanding(rules, llm=parser).understand("python jobs in Berlin", EntityKind.JOB)
    assert parsed.parser.startswith("rules") and parsed.city == "Berlin"


def test_unreachable_endpoint_raises(rules) -> None:
    with pytest.raises(LLMParseError):
        LLMParser("http://127.0.0.1:9", "m", rules, timeout_s=0.5).parse("x", EntityKind.JOB)
