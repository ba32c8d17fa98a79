"""Plain factory functions: books, stock, tokens, CSRF-carrying requests."""

import random
import uuid
from decimal import Decimal
from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.testing import *  # noqa: F403  (signing keys, tokens, bearer: shared by every service)
from servicekit.testing import SigningKey, bearer, make_token


def isbn13() -> str:
    """A random valid ISBN-13 (978 prefix)."""
    digits = "978" + "".join(random.choice("0123456789") for _ in range(9))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def book_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Test Book {uuid.uuid4().hex[:8]}",
        "author": "Test Author",
        "isbn13": isbn13(),
        "genre": "Testing",
        "year": 2020,
        "price": "12.50",
        "description": "A book made by a test.",
    }
    return body | overrides


async def create_book(sessionmaker: async_sessionmaker[AsyncSession], **overrides: Any) -> uuid.UUID:
    """A catalog row in ecom-db for a fresh book id, so each test owns its data."""
    book_id = overrides.pop("id", None) or uuid.uuid4()
    body = book_body(**overrides)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO book (id, title, author, isbn13, genre, published_year, price, description, active) "
                "VALUES (:id, :title, :author, :isbn13, :genre, :year, :price, :description, :active)"
            ),
            {
                "id": book_id,
                "title": body["title"],
                "author": body["author"],
                "isbn13": body["isbn13"],
                "genre": body["genre"],
                "year": body["year"],
                "price": Decimal(body["price"]),
                "description": body["description"],
                "active": body.get("active", True),
            },
        )
    return book_id


async def set_stock(sessionmaker: async_sessionmaker[AsyncSession], book_id: uuid.UUID, available: int) -> None:
    """The book's stock row in the (in-process) inventory service's database."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO stock (book_id, available, reserved) VALUES (:id, :available, 0) "
                "ON CONFLICT (book_id) DO UPDATE SET available = :available"
            ),
            {"id": book_id, "available": available},
        )


async def stocked_book(
    ecom: async_sessionmaker[AsyncSession],
    inventory: async_sessionmaker[AsyncSession],
    available: int,
    **overrides: Any,
) -> uuid.UUID:
    book_id = await create_book(ecom, **overrides)
    await set_stock(inventory, book_id, available)
    return book_id


async def csrf_headers(client: AsyncClient, headers: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's headers plus a fresh X-CSRF-Token (a guest also gets the cart cookie in the jar)."""
    response = await client.get("/ecom/csrf", headers=headers or {})
    assert response.status_code == 200, response.text
    return {**(headers or {}), "X-CSRF-Token": response.json()["token"]}


async def fetch_all(sessionmaker: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        result = await session.execute(text(sql), params)
        return [dict(row) for row in result.mappings()]


class Customer:
    """A signed-in customer with their own subject, client and CSRF token."""

    def __init__(self, key: SigningKey, client: AsyncClient, *, roles: list[str] | None = None, **claims: Any) -> None:
        self.subject = str(uuid.uuid4())
        self.client = client
        token = make_token(key, sub=self.subject, realm_roles=roles or ["customer"], preferred_username="t", **claims)
        self.auth = bearer(token)
        self.headers: dict[str, str] = {}

    async def login(self) -> "Customer":
        self.headers = await csrf_headers(self.client, self.auth)
        return self

    async def add(self, book_id: uuid.UUID, quantity: int = 1) -> None:
        response = await self.client.post(
            "/ecom/cart", json={"book_id": str(book_id), "quantity": quantity}, headers=self.headers
        )
        assert response.status_code == 200, response.text

    async def checkout(self, key: str | None = None) -> Any:
        return await self.client.post(
            "/ecom/checkout", headers={**self.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        )
