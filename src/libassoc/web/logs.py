"""How the server's logs look: uvicorn's plain text, or one JSON object per line.

The access log goes to stdout, everything else (uvicorn's own lines, warnings, errors) to
stderr, as uvicorn does it. ``logging_config`` is what ``uvicorn.run`` takes as ``log_config``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any


class JsonLines(logging.Formatter):
    """A record as one JSON object: time, level, logger, then the message or the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "access", None)
        if isinstance(fields, dict):
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(log_format: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``log_format``: ``json``, or else ``text``."""
    formatter: dict[str, Any] = (
        {"()": JsonLines}
        if log_format == "json"
        else {
            "()": "uvicorn.logging.DefaultFormatter",
            "fmt": "%(levelprefix)s %(message)s",
            "use_colors": None,
        }
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # uvicorn sets colours on "default" and "access" when asked to, so both must be there.
        "formatters": {"default": formatter, "access": formatter},
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "libassoc": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "libassoc.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
