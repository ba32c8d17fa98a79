"""Plain factory functions: signing keys, tokens, request bodies, stock rows."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.testing import *  # noqa: F403  (signing keys, tokens, bearer: shared by every service)


def reservation_body(*lines: tuple[uuid.UUID, int], order_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {
        "order_id": str(order_id or uuid.uuid4()),
        "items": [{"book_id": str(book_id), "quantity": quantity} for book_id, quantity in lines],
    }


async def create_stock(sessionmaker: async_sessionmaker[AsyncSession], available: int) -> uuid.UUID:
    """A stock row for a fresh book id, so each test owns its data."""
    book_id = uuid.uuid4()
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("INSERT INTO stock (book_id, available, reserved) VALUES (:id, :available, 0)"),
            {"id": book_id, "available": available},
        )
    return book_id


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """Run an app's lifespan and yield an in-process HTTP client for it."""
    async with (
        LifespanManager(app),
        AsyncClient(transport=ASGITransport(app), base_url="http://inventory.test") as client,
    ):
        yield client


async def fetch_all(sessionmaker: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        result = await session.execute(text(sql), params)
        return [dict(row) for row in result.mappings()]
