"""Each client's share of query time: no client can take every worker or keep them busy for long.

A client (whatever the caller names it: the web layer uses its address and ``User-Agent``) has
a budget of query time that refills steadily over a window, as a token bucket: spending it all
at once or little by little comes to the same. A client whose budget is spent is refused with
the number of seconds after which it has some again. A client also holds at most ``concurrency``
workers at once; its further queries wait for its own earlier ones, never for another client's.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from libassoc.engine.problem import HttpProblem

# Clients remembered at once. A client forgotten starts again with a full budget, so the limit
# only needs to exceed the clients active in one window; each costs a few hundred bytes.
REMEMBERED_CLIENTS = 100_000


@dataclass(frozen=True)
class Shares:
    """The rules: ``budget`` seconds of query time per ``window`` seconds, ``concurrency``
    workers at once, and ``waiting`` queries queued behind those, per client."""

    budget: float = 60.0
    window: float = 60.0
    concurrency: int = 1
    waiting: int = 8


@dataclass
class _Account:
    balance: float  # seconds of query time left
    updated: float  # when the balance was last brought up to date
    slots: asyncio.Semaphore
    queued: int = 0


@dataclass
class Fairness:
    """The accounts of every client seen lately."""

    shares: Shares = field(default_factory=Shares)
    clock: Callable[[], float] = time.monotonic
    refused: int = 0  # clients turned away, for the metrics
    _accounts: OrderedDict[str, _Account] = field(default_factory=OrderedDict)

    @property
    def _rate(self) -> float:
        return self.shares.budget / self.shares.window

    def _account(self, client: str) -> _Account:
        now = self.clock()
        account = self._accounts.get(client)
        if account is None:
            account = _Account(self.shares.budget, now, asyncio.Semaphore(self.shares.concurrency))
            self._accounts[client] = account
            if len(self._accounts) > REMEMBERED_CLIENTS:
                self._forget_one()
        else:
            self._accounts.move_to_end(client)
            refill = (now - account.updated) * self._rate
            account.balance = min(self.shares.budget, account.balance + refill)
            account.updated = now
        return account

    def _forget_one(self) -> None:
        """Forget the least recently seen client, unless it is still running queries."""
        oldest, account = next(iter(self._accounts.items()))
        if account.queued == 0 and not account.slots.locked():
            del self._accounts[oldest]
        else:
            self._accounts.move_to_end(oldest)

    def balance(self, client: str) -> float:
        return self._account(client).balance

    def check(self, client: str) -> None:
        """429 with ``Retry-After`` when the client has spent its budget."""
        account = self._account(client)
        if account.balance > 0:
            return
        self.refused += 1
        # Rounded first: a wait of 1.0000001 s is a wait of 1 s, not 2.
        wait = max(1, math.ceil(round(-account.balance / self._rate, 6)))
        raise HttpProblem(
            429,
            f"This client has used its share of query time ({self.shares.budget:g} s every "
            f"{self.shares.window:g} s) and may query again in {wait} s. Clients are told apart "
            "by their address and User-Agent.",
            {"Retry-After": str(wait)},
        )

    def charge(self, client: str, seconds: float) -> None:
        self._account(client).balance -= seconds

    @asynccontextmanager
    async def slot(self, client: str) -> AsyncIterator[None]:
        """One of the client's ``concurrency`` slots, waiting behind its own queries only; 429
        when too many wait, or when those ahead have spent the budget by the time it is free."""
        account = self._account(client)
        if account.slots.locked() and account.queued >= self.shares.waiting:
            self.refused += 1
            raise HttpProblem(
                429,
                f"This client already has {self.shares.concurrency} queries running and "
                f"{account.queued} waiting, the most it may; send the next when one is answered.",
                {"Retry-After": "1"},
            )
        account.queued += 1
        try:
            await account.slots.acquire()
        finally:
            account.queued -= 1
        try:
            self.check(client)  # its queries ahead may have spent the budget meanwhile
            yield
        finally:
            account.slots.release()
