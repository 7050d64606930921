"""LlmJudge against a local fake OpenAI-compatible server (a real HTTP round trip on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from semstream.models.judge.exceptions import LlmJudgeError
from semstream.models.judge.llm import LlmJudge
from semstream.models.judge.schema import P_YES, JudgeQuery
from semstream.schemas import EntityKind


class FakeChat(BaseHTTPRequestHandler):
    """Grades 4 when the query's role word is in the item text, else 1; records every request."""

    requests: list[dict] = []
    mode = "ok"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChat.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if FakeChat.mode == "error":
            return self._send(500, {"error": "boom"})
        if FakeChat.mode == "garbage":
            return self._send(200, {"choices": [{"message": {"content": "no idea"}}]})
        user = body["messages"][1]["content"]
        query = json.loads(user.split("Query: ", 1)[1].split("\n", 1)[0])
        item = user.split("Item:\n", 1)[1]
        grade = 4 if query["role"].lower() in item.lower() else 1
        content = f'```json\n{{"grade": {grade}, "rationale": "role {"found" if grade == 4 else "missing"}"}}\n```'
        self._send(200, {"choices": [{"message": {"role": "assistant", "content": content}}]})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    FakeChat.requests, FakeChat.mode = [], "ok"
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


QUERY = JudgeQuery(text="data scientist in Berlin", role="data scientist", location="Berlin")


def test_grades_through_the_chat_endpoint_with_the_policy_as_system_prompt(server: str) -> None:
    judge = LlmJudge(server, "tiny-judge", api_key="secret", timeout=5)
    good = judge.grade(QUERY, EntityKind.JOB, {"title": "Data Scientist", "location": "Berlin"})
    bad = judge.grade(QUERY, EntityKind.JOB, {"title": "Line Cook", "location": "Berlin"})
    judge.close()
    assert (good.grade, good.p_yes, good.rationale) == (4, P_YES[4], "role found")
    assert (bad.grade, bad.p_yes) == (1, P_YES[1])
    request = FakeChat.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer secret"
    assert request["body"]["model"] == "tiny-judge"
    assert "Relevance policy" in request["body"]["messages"][0]["content"]


def test_server_error_names_the_endpoint(server: str) -> None:
    FakeChat.mode = "error"
    judge = LlmJudge(server + "/v1", "m", timeout=5)
    with pytest.raises(LlmJudgeError, match=f"{server}/v1/chat/completions.*500"):
        judge.grade(QUERY, EntityKind.JOB, {"title": "x"})


def test_unusable_answer_names_the_endpoint(server: str) -> None:
    FakeChat.mode = "garbage"
    with pytest.raises(LlmJudgeError, match="no grade"):
        LlmJudge(server, "m", timeout=5).grade(QUERY, EntityKind.JOB, {"title": "x"})


def test_unreachable_endpoint_raises_judge_error() -> None:
    judge = LlmJudge("http://127.0.0.1:9", "m", timeout=2)
    with pytest.raises(LlmJudgeError, match="127.0.0.1:9"):
        judge.grade(QUERY, EntityKind.JOB, {"title": "x"})
