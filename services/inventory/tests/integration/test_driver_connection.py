"""servicekit.db.driver_connection: the hot paths' plain SQL runs inside the session's transaction."""

import uuid

import pytest
from factories import create_stock, fetch_all
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.db import driver_connection

Sessions = async_sessionmaker[AsyncSession]


async def processed(sessionmaker: Sessions, event_id: uuid.UUID) -> bool:
    return bool(await fetch_all(sessionmaker, "SELECT 1 FROM processed_event WHERE event_id = :id", id=event_id))


class TestDriverConnection:
    async def test_a_first_statement_sent_to_the_driver_rolls_back_with_the_session(
        self, sessionmaker: Sessions
    ) -> None:
        # SQLAlchemy sends BEGIN with its own first statement; here the driver's statement comes first.
        event_id = uuid.uuid4()
        async with sessionmaker() as session:
            connection = await driver_connection(session)
            await connection.execute("INSERT INTO processed_event (event_id) VALUES ($1)", event_id)
            assert connection.is_in_transaction()
            await session.rollback()
        assert not await processed(sessionmaker, event_id)

    async def test_driver_and_orm_statements_commit_together_and_see_each_other(self, sessionmaker: Sessions) -> None:
        book = await create_stock(sessionmaker, 5)
        event_id = uuid.uuid4()
        async with sessionmaker() as session, session.begin():
            await session.execute(text("UPDATE stock SET available = 7 WHERE book_id = :id"), {"id": book})
            connection = await driver_connection(session)
            assert await connection.fetchval("SELECT available FROM stock WHERE book_id = $1", book) == 7
            await connection.execute("INSERT INTO processed_event (event_id) VALUES ($1)", event_id)
        assert await processed(sessionmaker, event_id)
        assert await fetch_all(sessionmaker, "SELECT available FROM stock WHERE book_id = :id", id=book) == [
            {"available": 7}
        ]

    async def test_an_error_after_driver_statements_undoes_them(self, sessionmaker: Sessions) -> None:
        event_id = uuid.uuid4()
        with pytest.raises(RuntimeError):
            async with sessionmaker() as session, session.begin():
                connection = await driver_connection(session)
                await connection.execute("INSERT INTO processed_event (event_id) VALUES ($1)", event_id)
                raise RuntimeError("the request failed after the write")
        assert not await processed(sessionmaker, event_id)
