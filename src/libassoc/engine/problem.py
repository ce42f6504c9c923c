"""The one exception the web layer raises on purpose; free of web imports, so workers use it too."""

from __future__ import annotations


class HttpProblem(Exception):
    """A request the server answers with an error status and a message meant for a person."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
