"""The JWT matrix, through HTTP: 401 for every kind of bad token, 403 for a good token without the role."""

import uuid
from collections.abc import Callable

import pytest
from factories import (
    SigningKey,
    admin_token,
    bearer,
    create_stock,
    customer_token,
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


def routes(book: uuid.UUID) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("POST", "/inven/reservations", reservation_body((book, 1))),
        ("DELETE", f"/inven/reservations/{uuid.uuid4()}", None),
        ("POST", f"/inven/reservations/{uuid.uuid4()}/cancel", None),
        ("GET", "/inven/admin/stock", None),
        ("PUT", f"/inven/admin/stock/{book}", {"available": 1}),
        ("POST", f"/inven/admin/stock/{book}/adjust", {"delta": 1, "reason": "x"}),
    ]


@pytest.fixture
async def book(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    return await create_stock(sessionmaker, 5)


class TestUnauthenticated:
    async def test_no_token_is_401_with_www_authenticate(self, client: AsyncClient, book: uuid.UUID) -> None:
        for method, path, body in routes(book):
            response = await client.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
            assert response.json()["error"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("kind", BAD_TOKENS)
    async def test_bad_tokens_are_401(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID, kind: str
    ) -> None:
        headers = bearer(BAD_TOKENS[kind](signing_key))
        for method, path, body in routes(book):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (kind, method, path)
            assert response.json()["error"] == "unauthorized"

    async def test_basic_auth_is_401(self, client: AsyncClient, book: uuid.UUID) -> None:
        response = await client.get("/inven/admin/stock", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        assert response.status_code == 401

    async def test_bad_tokens_change_no_stock(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID
    ) -> None:
        for make in BAD_TOKENS.values():
            await client.post(
                "/inven/reservations", json=reservation_body((book, 1)), headers=bearer(make(signing_key))
            )
        assert (await client.get(f"/inven/stock/{book}")).json()["available"] == 5


class TestForbidden:
    async def test_customer_token_is_403_everywhere(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID
    ) -> None:
        headers = bearer(customer_token(signing_key))
        for method, path, body in routes(book):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path)
            assert response.json()["error"] == "forbidden"

    async def test_admin_cannot_reserve(self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID) -> None:
        response = await client.post(
            "/inven/reservations", json=reservation_body((book, 1)), headers=bearer(admin_token(signing_key))
        )
        assert response.status_code == 403

    async def test_service_account_is_not_an_admin(self, client: AsyncClient, signing_key: SigningKey) -> None:
        response = await client.get("/inven/admin/stock", headers=bearer(service_token(signing_key)))
        assert response.status_code == 403

    async def test_the_reserve_role_of_another_client_does_not_count(
        self, client: AsyncClient, signing_key: SigningKey, book: uuid.UUID
    ) -> None:
        token = make_token(signing_key, client_roles={"ecom-service": ["inventory:reserve"]})
        response = await client.post("/inven/reservations", json=reservation_body((book, 1)), headers=bearer(token))
        assert response.status_code == 403


class TestPublic:
    async def test_stock_reads_need_no_token_and_ignore_a_bad_one(self, client: AsyncClient, book: uuid.UUID) -> None:
        assert (await client.get(f"/inven/stock/{book}")).status_code == 200
        response = await client.get(f"/inven/stock/{book}", headers=bearer("not.a.token"))
        assert response.status_code == 200
