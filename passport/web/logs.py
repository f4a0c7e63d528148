"""Server log lines without secrets: worker-link tokens and ID numbers redacted.

uvicorn's access log prints each request's path, and the worker's page sits
behind ``/w/<token>``, a bearer secret; API paths may carry an ID number in
place of a worker id. Every line the server prints, access log, uvicorn's
own messages and the application's loggers alike, goes through one of the
formatters here, which redact the finished line, exception text included.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter, DefaultFormatter

WORKER_LINK = re.compile(r"(/w/)[^/?#\s\"']+")
"""A worker's page: the token is the path segment after ``/w/``."""

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]?|\d{15})(?![0-9A-Za-z])")
"""Anything shaped like a resident ID number (GB 11643: 18, 15, or 17 as mistyped)."""

REDACTED = "<redacted>"


def redact(line: str) -> str:
    """``line`` with worker-link tokens and ID-number-like numbers replaced."""
    return ID_NUMBER.sub(REDACTED, WORKER_LINK.sub(rf"\g<1>{REDACTED}", line))


class RedactingFormatter(DefaultFormatter):
    """uvicorn's default formatter, redacting the finished line."""

    def format(self, record: logging.LogRecord) -> str:
        """The line as uvicorn writes it, secrets redacted."""
        return redact(super().format(record))


class RedactingAccessFormatter(AccessFormatter):
    """uvicorn's access-log formatter, redacting the finished line."""

    def format(self, record: logging.LogRecord) -> str:
        """The request line as uvicorn writes it, secrets redacted."""
        return redact(super().format(record))


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with redacting formatters, root included."""
    config = copy.deepcopy(LOGGING_CONFIG)
    formatters = config["formatters"]
    formatters["default"]["()"] = f"{__name__}.RedactingFormatter"
    formatters["access"]["()"] = f"{__name__}.RedactingAccessFormatter"
    formatters["app"] = {
        "()": f"{__name__}.RedactingFormatter",
        "fmt": "%(levelprefix)s %(name)s: %(message)s",
    }
    config["handlers"]["app"] = {
        "formatter": "app",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    # the level `skillpass --verbose` chose; the handler replaces basicConfig's
    level = logging.getLevelName(logging.getLogger().level)
    config["root"] = {"handlers": ["app"], "level": level}
    return config
