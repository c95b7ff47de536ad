"""Logging: one line per event on stderr (JSON when asked), each tagged with the id of the
request or job run it belongs to."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from flask import Flask, g, request

_event_id: ContextVar[str] = ContextVar("kvitt_event_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HANDLER_NAME = "kvitt"
OWN_LOGGERS = ("kvitt", "webapp", "jobs", "alembic", "gunicorn.error")


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:12]


def bind_id(value: str):
    """Tag every log line of this context with `value`; returns a token for `unbind_id`."""
    return _event_id.set(value)


def unbind_id(token) -> None:
    _event_id.reset(token)


def _tag_records() -> None:
    """Every log record carries the id of the request or job run it was made in."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "kvitt_tags", False):
        return

    def tagged(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.event_id = _event_id.get()
        return record

    tagged.kvitt_tags = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(tagged)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                 "level": record.levelname, "logger": record.name,
                 "id": getattr(record, "event_id", "-"), "message": record.getMessage()}
        if record.exc_info:
            event["traceback"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


class LineFormatter(logging.Formatter):
    """Text, one line per event: a traceback's newlines are escaped so it stays one line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(event_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


def configure_logging(app: Flask) -> None:
    """Install Kvitt's handler on the root logger once per process."""
    _tag_records()
    root = logging.getLogger()
    if not any(handler.get_name() == _HANDLER_NAME for handler in root.handlers):
        stream = logging.StreamHandler()
        stream.set_name(_HANDLER_NAME)
        root.addHandler(stream)
    for handler in root.handlers:
        if handler.get_name() == _HANDLER_NAME:
            handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json"
                                 else LineFormatter())
    root.setLevel(logging.WARNING)  # libraries (fontTools per PDF…) say only what matters
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(app.config["LOG_LEVEL"].upper())
    _log_requests(app)


def _log_requests(app: Flask) -> None:
    log = logging.getLogger("kvitt.request")

    @app.before_request
    def _tag_request():
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _SAFE_ID.match(offered) else new_id()
        g.request_started = time.perf_counter()
        g.request_log_token = bind_id(g.request_id)

    @app.after_request
    def _log_request(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
            log.info("%s %s %s %.1f ms", request.method, request.path, response.status_code,
                     (time.perf_counter() - g.request_started) * 1000)
        return response

    @app.teardown_request
    def _untag_request(_error):
        token = g.pop("request_log_token", None)
        if token is not None:
            unbind_id(token)
