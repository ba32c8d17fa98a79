import asyncio
import os
import sys
from asyncio.subprocess import PIPE

import asyncpg
from factories import fetch_all
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom import migrate
from ecom.config import REPO_ROOT
from ecom.seed import seed
from servicekit.catalog import load_catalog
from servicekit.db import to_asyncpg_dsn
from servicekit.migrations import MIGRATION_LOCK

CATALOG = load_catalog(REPO_ROOT / "data/catalog/books.json")
Sessions = async_sessionmaker[AsyncSession]


class TestSeed:
    async def test_seeding_loads_every_catalog_book_once_and_keeps_admin_edits(
        self, app: FastAPI, ecom_db: Sessions, client: AsyncClient
    ) -> None:
        await seed(app.state.settings)
        hobbit = next(book for book in CATALOG if book.title == "The Hobbit")
        async with ecom_db() as session, session.begin():
            from sqlalchemy import text

            await session.execute(text("UPDATE book SET price = 99.99 WHERE id = :id"), {"id": hobbit.id})
        assert await seed(app.state.settings) == 0
        ids = [book.id for book in CATALOG]
        rows = await fetch_all(ecom_db, "SELECT id, price FROM book WHERE id = ANY(:ids)", ids=ids)
        assert len(rows) == len(CATALOG) >= 60
        assert (await client.get(f"/ecom/books/{hobbit.id}")).json()["price"] == "99.99"

    async def test_the_real_catalog_is_searchable_with_a_typo(self, app: FastAPI, client: AsyncClient) -> None:
        await seed(app.state.settings)
        found = (await client.get("/ecom/books/search", params={"q": "tolkein"})).json()
        assert "J.R.R. Tolkien" in {b["author"] for b in found["items"][:3]}
        ranked = (await client.get("/ecom/books/search", params={"q": "hobbit"})).json()
        assert ranked["items"][0]["title"] == "The Hobbit"


class TestMigrations:
    async def test_the_schema_migrates_down_and_up_again(self, app: FastAPI, ecom_db: Sessions) -> None:
        url = os.environ["ECOM_TEST_DATABASE_URL"]
        await asyncio.to_thread(migrate.downgrade, url, "base")
        tables = await fetch_all(ecom_db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert {t["tablename"] for t in tables} <= {"alembic_version"}
        await asyncio.to_thread(migrate.upgrade, url)
        # Pooled connections cache statements planned against the dropped tables.
        await app.state.engine.dispose()
        tables = await fetch_all(ecom_db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert {"book", "cart", "cart_item", "customer_order", "order_item", "checkout", "outbox"} <= {
            t["tablename"] for t in tables
        }

    async def test_a_migration_waits_for_one_already_running(self) -> None:
        # Two replicas' init containers (or `ecom-migrate` beside a starting service) must not migrate side by side:
        # the later run waits on the lock the first holds (held here by the test), then finds the schema at head.
        url = os.environ["ECOM_TEST_DATABASE_URL"]
        holder = await asyncpg.connect(to_asyncpg_dsn(url))
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        env = {**os.environ, "ECOM_DATABASE_URL": url, "ECOM_ENVIRONMENT": "development"}  # no real secrets here
        run = await asyncio.create_subprocess_exec(sys.executable, "-m", "ecom.migrate", env=env, stderr=PIPE)
        try:
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            deadline = asyncio.get_running_loop().time() + 60
            while not await holder.fetchval(waiting):
                assert run.returncode is None, "it migrated without waiting for the run in progress"
                assert asyncio.get_running_loop().time() < deadline, "it never asked for the migration lock"
                await asyncio.sleep(0.05)
        finally:
            await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
            await holder.close()
        _, errors = await run.communicate()
        assert run.returncode == 0, errors.decode()[-2000:]
