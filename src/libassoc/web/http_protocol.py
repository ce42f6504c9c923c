"""uvicorn's httptools protocol, answering in HTTP/1.1 a request that offers an upgrade.

Java's HttpClient offers HTTP/2 (``Connection: Upgrade, HTTP2-Settings``, ``Upgrade: h2c``) on
every cleartext request, Jena's among them. A server may decline by answering in HTTP/1.1
(RFC 9110, 7.8), but llhttp as httptools drives it stops at the end of such a request's headers
and treats what follows as another protocol: uvicorn then hands the application an empty body
(Kludex/uvicorn#2722). h11 reads the body, at about a third fewer cheap queries a second.

Here the parser is given the request again without its offer, followed by the bytes it left:
llhttp still does all the parsing, so a body is framed exactly as for any other request.
"""

from __future__ import annotations

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Hop-by-hop names that only make sense with the offer.
_OFFER_HEADERS = frozenset({b"upgrade", b"http2-settings"})


class UpgradeDecliningProtocol(HttpToolsProtocol):
    _replay: bytes | None = None

    def on_headers_complete(self) -> None:
        if self.parser.should_upgrade() and self.parser.get_method() != b"CONNECT":
            self._replay = self._request_without_offer()
            return
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._replay is None:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        while data:  # a loop, not recursion: a pipeline may hold any number of offers
            try:
                self.parser.feed_data(data)
                return
            except httptools.HttpParserError:  # as uvicorn answers it
                message = "Invalid HTTP request received."
                self.logger.warning(message)
                self.send_400_response(message)
                return
            except httptools.HttpParserUpgrade as stop:
                replay, self._replay = self._replay, None
                if replay is None:  # CONNECT: uvicorn's own answer
                    self._unsupported_upgrade_warning()
                    return
                # The parser stopped where this request's body (or the next request) begins.
                # The replay carries no Upgrade header, so llhttp cannot stop on it again.
                data = replay + data[stop.args[0] :]
                self.parser = httptools.HttpRequestParser(self)
                self.parser.set_dangerous_leniencies(lenient_data_after_close=True)

    def _request_without_offer(self) -> bytes:
        version = self.parser.get_http_version().encode("ascii")
        lines = [self.parser.get_method() + b" " + self.url + b" HTTP/" + version]
        for name, value in self.headers:
            if name in _OFFER_HEADERS:
                continue
            if name == b"connection":
                kept = [
                    token.strip()
                    for token in value.split(b",")
                    if token.strip().lower() not in (b"upgrade", b"http2-settings")
                ]
                if not kept:
                    continue
                value = b", ".join(kept)
            lines.append(name + b": " + value)
        return b"\r\n".join(lines) + b"\r\n\r\n"
