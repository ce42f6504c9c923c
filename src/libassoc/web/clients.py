"""Who is asking: the address a request comes from, seen through the proxies the operator trusts.

``X-Forwarded-For`` is only believed when the connection comes from a proxy named with
``--trusted-proxy``: anyone else could write any address there and pass for another client. The
address taken is the nearest one that is not itself a trusted proxy (the header's rightmost,
after skipping trusted hops), which is the one the outermost trusted proxy saw.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
# A User-Agent longer than this tells clients apart no better, and each key is kept in memory.
USER_AGENT_CHARACTERS = 200


def trusted_networks(proxies: Sequence[str]) -> tuple[Network, ...]:
    """``10.0.0.1`` or ``10.0.0.0/8`` each; ValueError naming a value that is neither."""
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def within(address: str, networks: Sequence[Network]) -> bool:
    """Whether ``address`` (an IP address, or whatever else names the peer) is in ``networks``."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def _header(scope: Scope, name: bytes) -> str | None:
    values = [value for key, value in scope.get("headers", ()) if key == name]
    return b",".join(values).decode("latin-1") if values else None


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    peer = scope.get("client")
    address: str = peer[0] if peer else UNKNOWN
    if not proxies or not within(address, proxies):
        return address
    forwarded = _header(scope, b"x-forwarded-for")
    if forwarded is None:
        return address
    for hop in reversed([part.strip() for part in forwarded.split(",")]):
        if not hop:
            continue
        if not within(hop, proxies):
            return hop
        address = hop
    return address


def client_key(scope: Scope, proxies: Sequence[Network]) -> str:
    """A client as fairness counts it: its address and its ``User-Agent``."""
    agent = (_header(scope, b"user-agent") or "")[:USER_AGENT_CHARACTERS]
    return f"{client_address(scope, proxies)} {agent}"
