"""servicekit's plain pool: which connections are pinged when handed out, and what happens to a dead one."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest

from servicekit.db import _checked_out


class FakeConnection:
    def __init__(self, returned_at: float | None, *, dead: bool = False, fails: BaseException | None = None) -> None:
        self.returned_at = returned_at
        self.dead = dead
        self.fails = fails
        self.pings = 0
        self.terminated = False

    async def execute(self, query: str) -> str:
        self.pings += 1
        if self.dead:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        if self.fails is not None:
            raise self.fails
        return "SELECT 1"

    def terminate(self) -> None:
        self.terminated = True


class FakePool:
    def __init__(self, *connections: FakeConnection) -> None:
        self.free = list(connections)
        self.released: list[FakeConnection] = []

    def get_max_size(self) -> int:
        return 2

    async def acquire(self, timeout: float) -> FakeConnection:
        return self.free.pop(0)

    async def release(self, connection: FakeConnection) -> None:
        self.released.append(connection)


async def checked_out(pool: FakePool, idle_seconds: float = 2.0) -> Any:
    return await _checked_out(pool, idle_seconds)  # type: ignore[arg-type]


async def test_a_new_connection_is_handed_out_without_a_ping() -> None:
    fresh = FakeConnection(None)
    assert await checked_out(FakePool(fresh)) is fresh
    assert fresh.pings == 0


async def test_a_connection_returned_moments_ago_is_handed_out_without_a_ping() -> None:
    recent = FakeConnection(time.monotonic())
    assert await checked_out(FakePool(recent)) is recent
    assert recent.pings == 0


async def test_a_connection_idle_for_longer_is_pinged_first() -> None:
    idle = FakeConnection(time.monotonic() - 5)
    assert await checked_out(FakePool(idle)) is idle
    assert idle.pings == 1


async def test_a_dead_idle_connection_is_dropped_and_the_next_one_handed_out() -> None:
    dead, alive = FakeConnection(time.monotonic() - 5, dead=True), FakeConnection(None)
    pool = FakePool(dead, alive)
    assert await checked_out(pool) is alive
    assert dead.terminated
    assert pool.released == [dead]


async def test_when_every_connection_fails_its_ping_the_caller_gets_an_error() -> None:
    pool = FakePool(*(FakeConnection(time.monotonic() - 5, dead=True) for _ in range(3)))
    with pytest.raises(Exception, match="no database connection passed its ping"):
        await checked_out(pool)
    assert len(pool.released) == 3


async def test_a_ping_that_fails_in_any_other_way_drops_the_connection_too() -> None:
    # Seen on a real server that ended the connection's process: asyncpg had read the goodbye but not yet closed the
    # connection, and the ping failed with an InternalClientError. A connection not given back keeps its slot for
    # good: with every slot taken, the next caller waits forever.
    broken = FakeConnection(
        time.monotonic() - 5,
        fails=asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    )
    alive = FakeConnection(None)
    pool = FakePool(broken, alive)
    assert await checked_out(pool) is alive
    assert broken.terminated
    assert pool.released == [broken]


async def test_a_caller_cancelled_during_the_ping_gives_the_connection_back() -> None:
    idle = FakeConnection(time.monotonic() - 5, fails=asyncio.CancelledError())
    pool = FakePool(idle)
    with pytest.raises(asyncio.CancelledError):
        await checked_out(pool)
    assert idle.terminated
    assert pool.released == [idle]
