"""The JWT matrix, through HTTP: 401 for every kind of bad token, 403 for a good token without the role;
and a refused request changes nothing (stock, movements, reservations)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from factories import (
    SigningKey,
    admin_token,
    bearer,
    create_stock,
    customer_token,
    fetch_all,
    make_token,
    new_signing_key,
    reservation_body,
    service_token,
    unsigned_token,
)
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

BAD_TOKENS: dict[str, Callable[[SigningKey], str]] = {
    "expired": lambda key: service_token(key, expires_in=-3600),
    "wrong issuer": lambda key: service_token(key, iss="https://idp.example.org/realms/bookstore"),
    "wrong audience": lambda key: service_token(key, aud="account"),
    "bad signature": lambda key: service_token(SigningKey(key.kid, new_signing_key().private_key)),
    "unknown key": lambda key: service_token(new_signing_key()),
    "alg none": lambda key: unsigned_token(key, client_roles={"inventory-service": ["inventory:reserve"]}),
    "garbage": lambda key: "not.a.token",
}


def routes(book: uuid.UUID, order: uuid.UUID) -> list[tuple[str, str, dict[str, object] | None]]:
    """Every protected route, each aimed at `book` (5 available) or at `order` (not reserved)."""
    return [
        ("POST", "/inven/reservations", reservation_body((book, 1), order_id=order)),
        ("DELETE", f"/inven/reservations/{order}", None),
        ("POST", f"/inven/reservations/{order}/cancel", None),
        ("GET", "/inven/admin/stock", None),
        ("PUT", f"/inven/admin/stock/{book}", {"available": 1}),
        ("POST", f"/inven/admin/stock/{book}/adjust", {"delta": 1, "reason": "x"}),
    ]


State = Callable[[], Awaitable[dict[str, list[dict[str, Any]]]]]


@pytest.fixture
async def book(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    return await create_stock(sessionmaker, 5)


@pytest.fixture
def order() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def state(sessionmaker: async_sessionmaker[AsyncSession], book: uuid.UUID, order: uuid.UUID) -> State:
    """What a refused request must leave as it was: the book's stock and movements, and any reservation
    of the book or of the order the routes name."""

    async def read() -> dict[str, list[dict[str, Any]]]:
        return {
            "stock": await fetch_all(sessionmaker, "SELECT available, reserved FROM stock WHERE book_id = :b", b=book),
            "movements": await fetch_all(sessionmaker, "SELECT id FROM stock_movement WHERE book_id = :b", b=book),
            "reservations": await fetch_all(
                sessionmaker,
                "SELECT order_id, status FROM reservation WHERE order_id = :o "
                "OR order_id IN (SELECT order_id FROM reservation_line WHERE book_id = :b)",
                o=order,
                b=book,
            ),
        }

    return read


UNTOUCHED = {"stock": [{"available": 5, "reserved": 0}], "movements": [], "reservations": []}


class TestUnauthenticated:
    async def test_no_token_is_401_with_www_authenticate_and_changes_nothing(
        self, client: AsyncClient, book: uuid.UUID, order: uuid.UUID, state: State
    ) -> None:
        for method, path, body in routes(book, order):
            response = await client.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
            assert response.json()["error"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert await state() == UNTOUCHED

    @pytest.mark.parametrize("kind", BAD_TOKENS)
    async def test_bad_tokens_are_401_and_change_nothing(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID, order: uuid.UUID, state: State, kind: str
    ) -> None:
        headers = bearer(BAD_TOKENS[kind](signing_key))
        for method, path, body in routes(book, order):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (kind, method, path)
            assert response.json()["error"] == "unauthorized"
        assert await state() == UNTOUCHED

    async def test_basic_auth_is_401_and_changes_nothing(
        self, client: AsyncClient, book: uuid.UUID, order: uuid.UUID, state: State
    ) -> None:
        basic = {"Authorization": "Basic YWRtaW46YWRtaW4="}
        for method, path, body in routes(book, order):
            response = await client.request(method, path, json=body, headers=basic)
            assert response.status_code == 401, (method, path)
        assert await state() == UNTOUCHED


class TestForbidden:
    async def test_customer_token_is_403_everywhere_and_changes_nothing(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID, order: uuid.UUID, state: State
    ) -> None:
        headers = bearer(customer_token(signing_key))
        for method, path, body in routes(book, order):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path)
            assert response.json()["error"] == "forbidden"
        assert await state() == UNTOUCHED

    async def test_admin_cannot_reserve_release_or_cancel_and_nothing_changes(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID, order: uuid.UUID, state: State
    ) -> None:
        headers = bearer(admin_token(signing_key))
        for method, path, body in routes(book, order)[:3]:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path)
        assert await state() == UNTOUCHED

    async def test_service_account_is_not_an_admin_and_changes_nothing(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID, order: uuid.UUID, state: State
    ) -> None:
        headers = bearer(service_token(signing_key))
        for method, path, body in routes(book, order)[3:]:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path)
        assert await state() == UNTOUCHED

    async def test_the_reserve_role_of_another_client_does_not_count_and_changes_nothing(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID, order: uuid.UUID, state: State
    ) -> None:
        token = make_token(signing_key, client_roles={"ecom-service": ["inventory:reserve"]})
        body = reservation_body((book, 1), order_id=order)
        response = await client.post("/inven/reservations", json=body, headers=bearer(token))
        assert response.status_code == 403
        assert await state() == UNTOUCHED


class TestPublic:
    async def test_stock_reads_need_no_token_and_ignore_a_bad_one(self, client: AsyncClient, book: uuid.UUID) -> None:
        assert (await client.get(f"/inven/stock/{book}")).status_code == 200
        response = await client.get(f"/inven/stock/{book}", headers=bearer("not.a.token"))
        assert response.status_code == 200
