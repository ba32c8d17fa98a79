"""servicekit's pool on a real PostgreSQL: a connection that died while idle in the pool is replaced at checkout."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from servicekit.db import create_engine, ping_when_idle, to_asyncpg_url

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
