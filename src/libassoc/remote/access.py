"""Where the remote store answers, and the credentials it wants, which come from the environment.

Credentials never come from the command line, which ``ps`` and shell histories show: a bearer
token in ``LIBASSOC_REMOTE_TOKEN``, or a user and password in ``LIBASSOC_REMOTE_USER`` and
``LIBASSOC_REMOTE_PASSWORD``, sent as HTTP Basic or Digest, whichever the store asks for
(Virtuoso's authenticated endpoints ask for Digest).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field

import httpx

TOKEN_VARIABLE = "LIBASSOC_REMOTE_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
USER_VARIABLE = "LIBASSOC_REMOTE_USER"
PASSWORD_VARIABLE = "LIBASSOC_REMOTE_PASSWORD"  # noqa: S105 (the name of a variable)


class BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["authorization"] = self._header
        yield request


class PasswordAuth(httpx.Auth):
    """Basic or Digest, as the store's first challenge asks; then that scheme from the start."""

    requires_request_body = True  # a challenged request is sent again, body and all

    def __init__(self, user: str, password: str) -> None:
        self._digest = httpx.DigestAuth(user, password)
        self._basic = httpx.BasicAuth(user, password)
        self._chosen: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._chosen is not None:
            yield from self._chosen.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "")
        self._chosen = self._digest if challenge.lower().startswith("digest") else self._basic
        yield from self._chosen.auth_flow(request)


def auth_from(environment: Mapping[str, str]) -> httpx.Auth | None:
    token = environment.get(TOKEN_VARIABLE)
    if token:
        return BearerAuth(token)
    user = environment.get(USER_VARIABLE)
    if user:
        return PasswordAuth(user, environment.get(PASSWORD_VARIABLE, ""))
    return None


@dataclass(frozen=True)
class RemoteEndpoints:
    """The remote store's SPARQL query and update endpoints, and its Graph Store endpoint.

    ``default_graph`` says where the merge of the named graphs (the default graph queries
    read) is: ``union``, the store derives it from its named graphs itself (Fuseki's
    ``unionDefaultGraph``); ``kept``, the store's own default graph, filled with the merge by
    ``libassoc push --merge-default-graph`` and kept so by every write, as in the embedded
    store (Oxigraph server); or the IRI of a named graph that holds it, kept so the same way and
    named as the default graph of every query sent on (Virtuoso, whose default graph is the
    union of every graph it has, its own system graphs included).
    """

    query: str
    update: str | None = None
    store: str | None = None
    auth: httpx.Auth | None = field(default=None, compare=False, repr=False)
    default_graph: str = "union"

    @property
    def keeps_default_graph(self) -> bool:
        """Whether libassoc keeps the merge itself, in the default graph or a named one."""
        return self.default_graph != "union"

    @property
    def merge_graph(self) -> str | None:
        """The named graph that holds the merge, if that is where it is."""
        return None if self.default_graph in ("union", "kept") else self.default_graph

    @classmethod
    def from_environment(
        cls,
        query: str,
        update: str | None = None,
        store: str | None = None,
        default_graph: str = "union",
    ) -> RemoteEndpoints:
        return cls(query, update, store, auth_from(os.environ), default_graph)
