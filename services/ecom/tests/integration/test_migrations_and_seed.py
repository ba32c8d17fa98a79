import asyncio
import os

from factories import fetch_all
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom import migrate
from ecom.config import REPO_ROOT
from ecom.seed import seed
from servicekit.catalog import load_catalog

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
