import asyncio
import os
import uuid

import pytest
from factories import fetch_all
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory import migrate
from inventory.config import REPO_ROOT
from inventory.seed import seed_stock
from servicekit.catalog import load_catalog

CATALOG = load_catalog(REPO_ROOT / "data/catalog/books.json")


class TestSeed:
    async def test_seeding_inserts_every_catalog_book_once(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessionmaker() as session, session.begin():
            await seed_stock(session, CATALOG)
        async with sessionmaker() as session, session.begin():
            assert await seed_stock(session, CATALOG) == 0
        ids = [book.id for book in CATALOG]
        rows = await fetch_all(sessionmaker, "SELECT book_id, available FROM stock WHERE book_id = ANY(:ids)", ids=ids)
        assert len(rows) == len(CATALOG)
        seeded = await fetch_all(
            sessionmaker,
            "SELECT count(*) AS n FROM stock_movement WHERE reason = 'seed' AND book_id = ANY(:ids)",
            ids=ids,
        )
        assert seeded[0]["n"] == sum(1 for book in CATALOG if book.initial_stock > 0)

    async def test_seeding_leaves_existing_stock_alone(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        hobbit = next(book for book in CATALOG if book.title == "The Hobbit")
        async with sessionmaker() as session, session.begin():
            await seed_stock(session, CATALOG)
        async with sessionmaker() as session, session.begin():
            await session.execute(text("UPDATE stock SET available = 999 WHERE book_id = :id"), {"id": hobbit.id})
        async with sessionmaker() as session, session.begin():
            await seed_stock(session, CATALOG)
        [row] = await fetch_all(sessionmaker, "SELECT available FROM stock WHERE book_id = :id", id=hobbit.id)
        assert row["available"] == 999


class TestMigrations:
    async def test_the_schema_migrates_down_and_up_again(
        self, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        url = os.environ["INVENTORY_TEST_DATABASE_URL"]
        await asyncio.to_thread(migrate.downgrade, url, "base")
        tables = await fetch_all(sessionmaker, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert {t["tablename"] for t in tables} <= {"alembic_version"}
        await asyncio.to_thread(migrate.upgrade, url)
        # Pooled connections cache statements planned against the dropped tables.
        await app.state.engine.dispose()
        tables = await fetch_all(sessionmaker, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert {"stock", "reservation", "reservation_line", "stock_movement", "outbox", "processed_event"} <= {
            t["tablename"] for t in tables
        }

    async def test_downgrading_below_cancelled_turns_cancelled_reservations_into_released(
        self, app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        url = os.environ["INVENTORY_TEST_DATABASE_URL"]
        order_id = uuid.uuid4()
        insert = text(
            "INSERT INTO reservation (order_id, request_hash, status, expires_at) VALUES (:id, 'x', :status, now())"
        )
        async with sessionmaker() as session, session.begin():
            await session.execute(insert, {"id": order_id, "status": "cancelled"})
        await asyncio.to_thread(migrate.downgrade, url, "f8101a07f896")
        try:
            [row] = await fetch_all(sessionmaker, "SELECT status FROM reservation WHERE order_id = :id", id=order_id)
            assert row["status"] == "released"
            with pytest.raises(IntegrityError, match="ck_reservation_status"):
                async with sessionmaker() as session, session.begin():
                    await session.execute(insert, {"id": uuid.uuid4(), "status": "cancelled"})
        finally:
            await asyncio.to_thread(migrate.upgrade, url)
        # Upgraded again, cancelled is allowed once more.
        async with sessionmaker() as session, session.begin():
            await session.execute(
                text("UPDATE reservation SET status = 'cancelled' WHERE order_id = :id"), {"id": order_id}
            )
