"""Structured serving logs: one JSON object per line, each carrying the request id.

The ingress takes the client's ``X-Request-Id`` (or makes one), keeps it in a context variable
for its own log lines and passes it to the other stages inside their request messages, so every
stage's line about a request can be found by that id. Lines never carry headers or settings
values: secrets cannot reach them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("semstream_request_id", default="")

_ID_OK = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_HANDLER_MARK = "_semstream_json"


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """The client's id when it is short and plain (no spaces or control characters), else a new one."""
    if value and _ID_OK.fullmatch(value):
        return value
    return new_request_id()


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id", ...extra fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 3), "level": record.levelname, "logger": record.name,
            "msg": record.getMessage(), "request_id": getattr(record, "request_id", "") or request_id_var.get(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k not in line})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Send the ``semstream`` loggers' records to ``stream`` (stderr) as JSON lines; idempotent per stream."""
    logger = logging.getLogger("semstream")
    logger.setLevel(level)
    stream = stream or sys.stderr
    ours = [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]
    if any(getattr(h, "stream", None) is stream for h in ours):
        return
    for old in ours:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)


def log_stage(logger: logging.Logger, stage: str, request_id: str, started: float, **fields: Any) -> None:
    """One line per stage and request: its name, id, milliseconds taken and a few counts."""
    ms = round((time.perf_counter() - started) * 1000, 2)
    logger.info("%s done", stage, extra={"request_id": request_id, "stage": stage, "ms": ms, **fields})
