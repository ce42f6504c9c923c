"""Each client's share of query time and workers, and who a client is: table tests on a clock of
the tests' own (the server-side behaviour is in test_hostile_requests.py)."""

from __future__ import annotations

import asyncio

import pytest

from libassoc.engine.fairness import Fairness, Shares
from libassoc.engine.problem import HttpProblem
from libassoc.web.clients import client_address, client_key, trusted_networks


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal(fairness: Fairness, client: str) -> HttpProblem:
    with pytest.raises(HttpProblem) as refused:
        fairness.check(client)
    return refused.value


def test_a_spent_budget_refills_over_the_window() -> None:
    clock = Clock()
    fairness = Fairness(Shares(budget=10, window=60), clock)
    fairness.check("a")
    fairness.charge("a", 25)  # 15 s over: 90 s of refilling at 10 s per minute
    problem = refusal(fairness, "a")
    assert problem.status == 429
    assert problem.headers["Retry-After"] == "90"
    fairness.check("b")  # others are untouched
    clock.now += 89
    assert refusal(fairness, "a").headers["Retry-After"] == "1"
    clock.now += 2
    fairness.check("a")
    clock.now += 3600
    assert fairness.balance("a") == 10  # never more than one budget saved up
    assert fairness.refused == 2


def test_a_client_waits_for_its_own_slot_and_too_many_waiting_are_refused() -> None:
    async def scenario() -> None:
        fairness = Fairness(Shares(concurrency=1, waiting=1))
        order: list[str] = []
        release = asyncio.Event()

        async def query(name: str, client: str) -> None:
            async with fairness.slot(client):
                order.append(name)
                await release.wait()

        first = asyncio.create_task(query("first", "a"))
        await asyncio.sleep(0)
        second = asyncio.create_task(query("second", "a"))  # waits behind the first
        other = asyncio.create_task(query("other", "b"))  # a slot of its own
        await asyncio.sleep(0)
        assert order == ["first", "other"]
        with pytest.raises(HttpProblem) as refused:
            async with fairness.slot("a"):  # a third, with one already waiting
                pass
        assert refused.value.status == 429
        release.set()
        await asyncio.gather(first, second, other)
        assert order == ["first", "other", "second"]

    asyncio.run(scenario())


def test_a_query_that_waited_is_refused_if_those_ahead_spent_the_budget() -> None:
    async def scenario() -> None:
        fairness = Fairness(Shares(budget=1, concurrency=1))
        release = asyncio.Event()

        async def expensive() -> None:
            async with fairness.slot("a"):
                await release.wait()
                fairness.charge("a", 5)

        ahead = asyncio.create_task(expensive())
        await asyncio.sleep(0)
        fairness.check("a")  # admitted while the first still runs
        waiting = asyncio.create_task(asyncio.wait_for(enter(fairness), 5))
        await asyncio.sleep(0)
        release.set()
        await ahead
        with pytest.raises(HttpProblem):
            await waiting

    async def enter(fairness: Fairness) -> None:
        async with fairness.slot("a"):
            pass

    asyncio.run(scenario())


PROXY = trusted_networks(["10.1.0.0/16"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "address"),
    [
        ("192.0.2.1", None, (), "192.0.2.1"),
        ("192.0.2.1", "203.0.113.9", (), "192.0.2.1"),  # nobody trusted: the header is ignored
        ("192.0.2.1", "203.0.113.9", PROXY, "192.0.2.1"),  # not from the proxy: ignored
        ("10.1.0.5", "203.0.113.9", PROXY, "203.0.113.9"),
        ("10.1.0.5", "198.51.100.1, 203.0.113.9", PROXY, "203.0.113.9"),  # rightmost untrusted
        ("10.1.0.5", "203.0.113.9, 10.1.7.7", PROXY, "203.0.113.9"),  # skipping trusted hops
        ("10.1.0.5", None, PROXY, "10.1.0.5"),
        ("10.1.0.5", "garbage", PROXY, "garbage"),  # what the proxy says, as a name
    ],
)
def test_the_client_address_believes_forwarded_for_from_trusted_proxies_only(
    peer: str, forwarded: str | None, proxies: tuple[object, ...], address: str
) -> None:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope = {"client": (peer, 5000), "headers": headers}
    assert client_address(scope, proxies) == address  # type: ignore[arg-type]


def test_a_client_is_its_address_and_user_agent() -> None:
    def scope(agent: str) -> dict[str, object]:
        return {"client": ("192.0.2.1", 1), "headers": [(b"user-agent", agent.encode())]}

    assert client_key(scope("a"), ()) != client_key(scope("b"), ())
    assert client_key(scope("a" * 10_000), ()) == client_key(scope("a" * 300), ())


def test_a_proxy_that_is_no_address_is_refused() -> None:
    with pytest.raises(ValueError, match=r"proxy\.example"):
        trusted_networks(["proxy.example"])
