"""Headers that make every answer safer to open in a browser.

The policy allows scripts from this server only: the pages carry no inline script but JSON and
JSON-LD data blocks, which a browser never runs. Styles may be inline because YASGUI inserts a
style element of its own (and writes style attributes); a style cannot run code.
``connect-src 'self'``: the query UI sends queries to this endpoint only. On an answer that is
not a page, the policy does nothing, so every answer gets the same headers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    # A body is what its Content-Type says: a result a user uploaded is never run as a script.
    (b"x-content-type-options", b"nosniff"),
    # Another site learns that a visitor came from here, not which query or page they were on.
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)


class SecurityHeaders:
    """Adds HEADERS to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A new list: the response's own may be shared with a later answer.
                message = {**message, "headers": [*message.get("headers", ()), *HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
