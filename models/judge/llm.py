"""An optional LLM judge behind any OpenAI-compatible ``/v1/chat/completions`` endpoint.

The system prompt is POLICY.md; the user message is the query intent and the item text; the
model answers ``{"grade": 0-4, "rationale": "..."}``. Parsing tolerates code fences, prose around
the object, a grade given as a string or float, and a bare ``grade: 3``. Every failure raises
``LlmJudgeError`` naming the endpoint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from semstream.models.item_text import item_text
from semstream.models.judge.exceptions import LlmJudgeError
from semstream.models.judge.schema import Grade, JudgeQuery
from semstream.schemas import EntityKind

POLICY_PATH = Path(__file__).with_name("POLICY.md")
_BARE_GRADE = re.compile(r"""["']?grade["']?\s*[:=]\s*["']?([0-4](?:\.\d+)?)""", re.I)


def chat_url(base_url: str) -> str:
    """``http://host:port`` or ``.../v1`` -> the chat completions URL."""
    base = base_url.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


class LlmJudge:
    """Grades pairs by asking an OpenAI-compatible chat model to apply POLICY.md."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | SecretStr | None = None,
        timeout: float = 60.0,
        max_item_chars: int = 3000,
    ) -> None:
        self.url = chat_url(base_url)
        self.model = model
        self.max_item_chars = max_item_chars
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        try:
            self._policy = POLICY_PATH.read_text(encoding="utf-8")
        except OSError as e:
            raise LlmJudgeError(f"cannot read the relevance policy at {POLICY_PATH}: {e}") from e

    def grade(self, query: JudgeQuery, kind: EntityKind, payload: dict[str, Any]) -> Grade:
        content = self._complete(self.messages(query, kind, payload))
        return parse_grade(content, self.url)

    def messages(self, query: JudgeQuery, kind: EntityKind, payload: dict[str, Any]) -> list[dict[str, str]]:
        intent = query.model_dump(exclude_none=True, exclude_defaults=True)
        vertical = "Job Search" if kind is EntityKind.JOB else "People Search"
        user = (
            f"Vertical: {vertical}\nQuery: {json.dumps(intent, ensure_ascii=False)}\n\n"
            f"Item:\n{item_text(kind, payload, self.max_item_chars)}\n\n"
            'Grade this item by the policy. Answer only {"grade": <0-4>, "rationale": "..."}.'
        )
        return [{"role": "system", "content": self._policy}, {"role": "user", "content": user}]

    def close(self) -> None:
        self._client.close()

    def _complete(self, messages: list[dict[str, str]]) -> str:
        body = {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": 200}
        try:
            response = self._client.post(self.url, json=body)
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"] or ""
        except httpx.HTTPStatusError as e:
            detail = e.response.text[:200]
            raise LlmJudgeError(f"judge endpoint {self.url} answered {e.response.status_code}: {detail}") from e
        except httpx.HTTPError as e:
            raise LlmJudgeError(f"judge endpoint {self.url} failed: {e!r}") from e
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise LlmJudgeError(f"judge endpoint {self.url} sent no chat completion: {e!r}") from e


def parse_grade(content: str, endpoint: str = "judge") -> Grade:
    """A Grade from a model's answer; LlmJudgeError naming the endpoint when there is none."""
    obj = _first_json_object(content)
    raw = obj.get("grade") if obj else None
    if raw is None:
        m = _BARE_GRADE.search(content)
        raw = m.group(1) if m else None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as e:
        raise LlmJudgeError(f"judge endpoint {endpoint} gave no grade in {content[:200]!r}") from e
    if not 0 <= value <= 4:
        raise LlmJudgeError(f"judge endpoint {endpoint} gave grade {raw!r} outside 0-4")
    rationale = str(obj.get("rationale", "")) if obj else content.strip()[:500]
    return Grade.of(int(round(value)), rationale or "no rationale given")


def _first_json_object(content: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", content):
        try:
            obj, _ = decoder.raw_decode(content, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    return None
