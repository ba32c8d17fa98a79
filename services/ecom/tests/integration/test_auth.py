"""The JWT matrix through HTTP: 401 for every kind of bad token, 403 for a good token without the role,
and the per-user / per-address rate limits."""

import ipaddress
import uuid
from collections.abc import Callable

import pytest
from asgi_lifespan import LifespanManager
from factories import (
    SigningKey,
    bearer,
    customer_token,
    make_token,
    new_signing_key,
    unsigned_token,
)
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

BAD_TOKENS: dict[str, Callable[[SigningKey], str]] = {
    "expired": lambda key: customer_token(key, expires_in=-3600),
    "wrong issuer": lambda key: customer_token(key, iss="https://idp.example.org/realms/bookstore"),
    "wrong audience": lambda key: customer_token(key, aud="account"),
    "bad signature": lambda key: customer_token(SigningKey(key.kid, new_signing_key().private_key)),
    "unknown key": lambda key: customer_token(new_signing_key()),
    "alg none": lambda key: unsigned_token(key, realm_roles=["customer", "admin"]),
    "garbage": lambda key: "not.a.token",
}

PROTECTED = [
    ("GET", "/ecom/orders"),
    ("GET", f"/ecom/orders/{uuid.uuid4()}"),
    ("GET", "/ecom/admin/orders"),
    ("GET", "/ecom/cart"),
    ("GET", "/ecom/csrf"),
]


class TestBadTokens:
    @pytest.mark.parametrize("kind", BAD_TOKENS)
    async def test_bad_tokens_are_401_even_where_guests_are_welcome(
        self, client: AsyncClient, signing_key: SigningKey, kind: str
    ) -> None:
        headers = bearer(BAD_TOKENS[kind](signing_key))
        for method, path in PROTECTED:
            response = await client.request(method, path, headers=headers)
            assert response.status_code == 401, (kind, method, path)
            assert response.json()["error"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_no_token_is_401_on_customer_routes(self, client: AsyncClient) -> None:
        for path in ("/ecom/orders", "/ecom/admin/orders"):
            response = await client.get(path)
            assert (response.status_code, response.json()["error"]) == (401, "unauthorized")

    async def test_a_public_read_with_a_bad_token_still_serves_the_catalog(
        self, client: AsyncClient, signing_key: SigningKey
    ) -> None:
        # The catalog never looks at the token; only the rate limiter does, and it treats a bad one as none.
        response = await client.get("/ecom/books", headers=bearer("not.a.token"))
        assert response.status_code == 200


class TestRoles:
    async def test_a_user_without_customer_role_cannot_see_orders(
        self, client: AsyncClient, signing_key: SigningKey
    ) -> None:
        response = await client.get("/ecom/orders", headers=bearer(make_token(signing_key, realm_roles=[])))
        assert (response.status_code, response.json()["detail"]) == (403, "requires the 'customer' role")

    async def test_a_customer_is_not_an_admin(self, client: AsyncClient, signing_key: SigningKey) -> None:
        response = await client.get("/ecom/admin/orders", headers=bearer(customer_token(signing_key)))
        assert response.status_code == 403

    async def test_roles_in_a_client_are_not_realm_roles(self, client: AsyncClient, signing_key: SigningKey) -> None:
        token = make_token(signing_key, client_roles={"ecom-service": ["admin", "customer"]})
        assert (await client.get("/ecom/admin/orders", headers=bearer(token))).status_code == 403


class TestRateLimit:
    async def test_429_with_retry_after_per_user_and_per_address(
        self, build_app: Callable[..., FastAPI], signing_key: SigningKey
    ) -> None:
        app = build_app(rate_limit_per_minute=3)
        user = bearer(customer_token(signing_key, sub=str(uuid.uuid4())))
        async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url="https://ecom.test") as c:
            address = {
                "X-Forwarded-For": str(ipaddress.IPv6Address("2001:db8::") + uuid.uuid4().int % 2**96)
            }  # unique: a fresh budget
            statuses = [(await c.get("/ecom/books", headers=address)).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            limited = await c.get("/ecom/books", headers=address)
            assert limited.json()["error"] == "rate_limited"
            assert 1 <= int(limited.headers["retry-after"]) <= 60
            # A signed-in user has their own budget, whatever address they come from.
            assert (await c.get("/ecom/books", headers={**address, **user})).status_code == 200
            # Another address is another budget.
            assert (await c.get("/ecom/books", headers={"X-Forwarded-For": "203.0.113.7"})).status_code == 200

    async def test_a_spoofed_forwarded_for_does_not_buy_a_fresh_budget(self, build_app: Callable[..., FastAPI]) -> None:
        app = build_app(rate_limit_per_minute=2)
        real = f"192.0.2.{uuid.uuid4().int % 250}"
        async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url="https://ecom.test") as c:
            statuses = [
                (await c.get("/ecom/books", headers={"X-Forwarded-For": f"10.0.0.{i}, {real}"})).status_code
                for i in range(3)
            ]
        assert statuses == [200, 200, 429]
