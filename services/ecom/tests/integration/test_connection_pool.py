"""servicekit's pools on a real PostgreSQL: a connection that died while idle in the pool is replaced at checkout."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from servicekit.db import create_engine, create_plain_pool, ping_when_idle, plain_connection, to_asyncpg_url

from .conftest import ENV


class TestIdleConnectionsArePinged:
    async def _pool_with_a_dead_connection(self, idle_seconds: float) -> tuple[AsyncEngine, int]:
        """A one-connection pool whose connection, idle in the pool, had its server process ended from another
        session (as a database restart would)."""
        url = ENV["ECOM_TEST_DATABASE_URL"]
        assert url is not None
        engine = create_async_engine(to_asyncpg_url(url), pool_size=1, max_overflow=0)
        ping_when_idle(engine, idle_seconds=idle_seconds)
        async with engine.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        killer = create_engine(url, pool_size=1, max_overflow=0)
        async with killer.connect() as connection:
            assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await killer.dispose()
        return engine, pid

    async def test_a_connection_that_died_while_idle_is_replaced_before_use(self) -> None:
        engine, dead = await self._pool_with_a_dead_connection(idle_seconds=0)
        try:
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT pg_backend_pid()")) != dead
        finally:
            await engine.dispose()

    async def test_a_connection_used_moments_ago_is_handed_out_without_a_ping(self) -> None:
        # The counterpart: below the idle threshold no ping runs, so the dead connection reaches the caller
        # (which is why the threshold is short).
        engine, _ = await self._pool_with_a_dead_connection(idle_seconds=3600)
        try:
            with pytest.raises(DBAPIError):
                async with engine.connect() as connection:
                    await connection.scalar(text("SELECT 1"))
        finally:
            await engine.dispose()


class TestPlainPool:
    """`plain_connection`'s pool (asyncpg's own) on a real PostgreSQL."""

    async def _kill(self, pid: int) -> None:
        killer = create_engine(_url(), pool_size=1, max_overflow=0)
        async with killer.connect() as connection:
            assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await killer.dispose()

    async def test_a_connection_whose_server_process_ended_is_replaced_before_use(self) -> None:
        # asyncpg notices the server's goodbye on its own; the ping covers a connection that died silently (unit
        # tests in test_plain_pool.py).
        pool = await create_plain_pool(_url(), size=1)
        try:
            async with plain_connection(pool) as connection:
                dead = await connection.fetchval("SELECT pg_backend_pid()")
            await self._kill(dead)
            async with plain_connection(pool, idle_seconds=0) as connection:
                assert await connection.fetchval("SELECT pg_backend_pid()") != dead
        finally:
            await pool.close()

    async def test_a_full_pool_makes_callers_wait_instead_of_opening_more_connections(self) -> None:
        pool = await create_plain_pool(_url(), size=1)
        try:

            async def backend() -> int:
                async with plain_connection(pool) as connection:
                    pid: int = await connection.fetchval("SELECT pg_backend_pid() FROM pg_sleep(0.05)")
                    return pid

            pids = await asyncio.gather(*(backend() for _ in range(4)))
            assert len(set(pids)) == 1
        finally:
            await pool.close()

    async def test_a_transaction_left_open_is_rolled_back_when_the_connection_is_returned(self) -> None:
        pool = await create_plain_pool(_url(), size=1)
        try:
            async with plain_connection(pool) as connection:
                await connection.execute("BEGIN")
                await connection.execute("CREATE TEMPORARY TABLE left_open (x int)")
            async with plain_connection(pool) as connection:
                assert await connection.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
        finally:
            await pool.close()


def _url() -> str:
    url = ENV["ECOM_TEST_DATABASE_URL"]
    assert url is not None
    return url
