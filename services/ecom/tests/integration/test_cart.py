import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from factories import (
    Customer,
    SigningKey,
    admin_token,
    bearer,
    create_book,
    csrf_headers,
    customer_token,
    fetch_all,
)
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom.csrf.dependencies import GUEST_COOKIE

Sessions = async_sessionmaker[AsyncSession]


async def add(client: AsyncClient, headers: dict[str, str], book_id: uuid.UUID, quantity: int = 1) -> Any:
    return await client.post("/ecom/cart", json={"book_id": str(book_id), "quantity": quantity}, headers=headers)


def lines(cart: dict[str, Any]) -> dict[str, int]:
    return {line["book_id"]: line["quantity"] for line in cart["items"]}


class TestGuestCart:
    async def test_csrf_issues_an_httponly_secure_lax_cookie_scoped_to_the_api(self, client: AsyncClient) -> None:
        response = await client.get("/ecom/csrf")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{GUEST_COOKIE}=")
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "secure", "path", "max-age"} <= attributes
        assert "samesite=lax" in cookie.lower()
        assert "path=/ecom" in cookie.lower()
        assert "max-age=604800" in cookie.lower()
        assert response.headers["cache-control"] == "no-store"

    async def test_lifecycle_add_add_again_change_remove(self, client: AsyncClient, ecom_db: Sessions) -> None:
        a = await create_book(ecom_db, price="10.00")
        b = await create_book(ecom_db, price="2.50")
        headers = await csrf_headers(client)
        assert (await client.get("/ecom/cart")).json()["items"] == []
        await add(client, headers, a, 1)
        cart = (await add(client, headers, a, 2)).json()
        assert lines(cart) == {str(a): 3}
        cart = (await add(client, headers, b, 4)).json()
        assert cart["total"] == "40.00"
        assert cart["item_count"] == 7
        assert cart["guest"] is True
        cart = (await client.patch(f"/ecom/cart/items/{a}", json={"quantity": 1}, headers=headers)).json()
        assert lines(cart) == {str(a): 1, str(b): 4}
        cart = (await client.delete(f"/ecom/cart/items/{b}", headers=headers)).json()
        assert lines(cart) == {str(a): 1}
        assert (await client.get("/ecom/cart")).json()["total"] == "10.00"

    async def test_guest_cart_lives_seven_days_in_redis(
        self, client: AsyncClient, ecom_db: Sessions, app: FastAPI
    ) -> None:
        headers = await csrf_headers(client)
        await add(client, headers, await create_book(ecom_db))
        guest = client.cookies[GUEST_COOKIE]
        ttl = await app.state.redis.ttl(f"ecom:guest-cart:{guest}")
        assert timedelta(days=7) - timedelta(minutes=1) < timedelta(seconds=ttl) <= timedelta(days=7)

    async def test_another_guest_sees_an_empty_cart(
        self, client: AsyncClient, new_client: Callable[[], AsyncClient], ecom_db: Sessions
    ) -> None:
        await add(client, await csrf_headers(client), await create_book(ecom_db))
        async with new_client() as other:
            assert (await other.get("/ecom/cart")).json()["items"] == []

    async def test_limits_unknown_books_and_missing_lines(self, client: AsyncClient, ecom_db: Sessions) -> None:
        book = await create_book(ecom_db)
        headers = await csrf_headers(client)
        await add(client, headers, book, 98)
        too_many = await add(client, headers, book, 2)
        assert (too_many.status_code, too_many.json()["error"]) == (422, "quantity_limit")
        unknown = await add(client, headers, uuid.uuid4())
        assert (unknown.status_code, unknown.json()["error"]) == (404, "book_not_found")
        removed = await add(client, headers, await create_book(ecom_db, active=False))
        assert removed.status_code == 404
        missing = await client.patch(f"/ecom/cart/items/{uuid.uuid4()}", json={"quantity": 1}, headers=headers)
        assert (missing.status_code, missing.json()["error"]) == (404, "cart_item_not_found")
        assert (await client.delete(f"/ecom/cart/items/{uuid.uuid4()}", headers=headers)).status_code == 404
        for bad in ({"book_id": str(book), "quantity": 0}, {"book_id": str(book), "quantity": 100}, {"book_id": "x"}):
            assert (await client.post("/ecom/cart", json=bad, headers=headers)).status_code == 422
        assert lines((await client.get("/ecom/cart")).json()) == {str(book): 98}

    async def test_a_cart_holds_at_most_fifty_books(self, client: AsyncClient, ecom_db: Sessions) -> None:
        headers = await csrf_headers(client)
        for _ in range(50):
            assert (await add(client, headers, await create_book(ecom_db))).status_code == 200
        full = await add(client, headers, await create_book(ecom_db))
        assert (full.status_code, full.json()["error"]) == (422, "cart_full")


class TestCustomerCart:
    async def test_persists_in_the_database_across_clients(
        self, new_client: Callable[[], AsyncClient], ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await create_book(ecom_db)
        async with new_client() as first:
            customer = await Customer(signing_key, first).login()
            await customer.add(book, 2)
        async with new_client() as second:
            cart = (await second.get("/ecom/cart", headers=customer.auth)).json()
        assert lines(cart) == {str(book): 2}
        assert cart["guest"] is False

    async def test_a_removed_book_stays_visible_but_not_counted(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        customer = await Customer(signing_key, client).login()
        kept, removed = await create_book(ecom_db, price="5.00"), await create_book(ecom_db, price="7.00")
        await customer.add(kept)
        await customer.add(removed)
        admin = await csrf_headers(client, bearer(admin_token(signing_key)))
        assert (await client.delete(f"/ecom/admin/books/{removed}", headers=admin)).status_code == 204
        cart = (await client.get("/ecom/cart", headers=customer.auth)).json()
        assert {line["book_id"]: line["available"] for line in cart["items"]} == {str(kept): True, str(removed): False}
        assert cart["total"] == "5.00"

    async def test_lifecycle_and_limits_in_the_database(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        customer = await Customer(signing_key, client).login()
        a, b = await create_book(ecom_db, price="10.00"), await create_book(ecom_db, price="2.50")
        await customer.add(a, 1)
        await customer.add(a, 2)
        await customer.add(b, 4)
        cart = (await client.get("/ecom/cart", headers=customer.auth)).json()
        assert list(lines(cart).items()) == [(str(a), 3), (str(b), 4)]  # oldest line first
        assert (cart["total"], cart["item_count"], cart["guest"]) == ("40.00", 7, False)
        too_many = await add(client, customer.headers, a, 97)
        assert (too_many.status_code, too_many.json()["error"]) == (422, "quantity_limit")
        cart = (await client.patch(f"/ecom/cart/items/{a}", json={"quantity": 1}, headers=customer.headers)).json()
        assert lines(cart) == {str(a): 1, str(b): 4}
        cart = (await client.delete(f"/ecom/cart/items/{b}", headers=customer.headers)).json()
        assert lines(cart) == {str(a): 1}
        assert (await add(client, customer.headers, uuid.uuid4())).status_code == 404
        assert (await add(client, customer.headers, await create_book(ecom_db, active=False))).status_code == 404
        missing = await client.patch(f"/ecom/cart/items/{b}", json={"quantity": 1}, headers=customer.headers)
        assert (missing.status_code, missing.json()["error"]) == (404, "cart_item_not_found")
        assert (await client.delete(f"/ecom/cart/items/{b}", headers=customer.headers)).status_code == 404
        assert lines((await client.get("/ecom/cart", headers=customer.auth)).json()) == {str(a): 1}

    async def test_a_change_to_a_customer_without_a_cart_leaves_no_cart_behind(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        customer = await Customer(signing_key, client).login()
        book = await create_book(ecom_db)
        missing = await client.patch(f"/ecom/cart/items/{book}", json={"quantity": 2}, headers=customer.headers)
        assert missing.status_code == 404
        assert (await client.delete(f"/ecom/cart/items/{book}", headers=customer.headers)).status_code == 404
        assert await fetch_all(ecom_db, "SELECT id FROM cart WHERE user_id = :u", u=customer.subject) == []

    async def test_a_customer_cart_holds_at_most_fifty_books(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        customer = await Customer(signing_key, client).login()
        books = [await create_book(ecom_db) for _ in range(51)]
        for book in books[:50]:
            await customer.add(book)
        full = await add(client, customer.headers, books[50])
        assert (full.status_code, full.json()["error"]) == (422, "cart_full")
        await customer.add(books[0])  # a line already in the cart can still grow
        assert len(lines((await client.get("/ecom/cart", headers=customer.auth)).json())) == 50

    async def test_concurrent_adds_from_two_tabs_all_count(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        customer = await Customer(signing_key, client).login()
        book = await create_book(ecom_db)
        await asyncio.gather(*(customer.add(book, 3) for _ in range(10)))
        assert lines((await client.get("/ecom/cart", headers=customer.auth)).json()) == {str(book): 30}


class TestMerge:
    async def test_guest_lines_move_into_the_users_cart_quantities_add_and_guest_cart_is_deleted(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey, app: FastAPI
    ) -> None:
        shared, guest_only = await create_book(ecom_db), await create_book(ecom_db)
        guest_headers = await csrf_headers(client)
        await add(client, guest_headers, shared, 2)
        await add(client, guest_headers, guest_only, 1)
        guest = client.cookies[GUEST_COOKIE]

        customer = Customer(signing_key, client)
        customer.headers = await csrf_headers(client, customer.auth)
        await customer.add(shared, 3)
        merged = await client.post("/ecom/cart/merge", headers=customer.headers)
        assert merged.status_code == 200, merged.text
        assert lines(merged.json()) == {str(shared): 5, str(guest_only): 1}
        assert await app.state.redis.exists(f"ecom:guest-cart:{guest}") == 0
        assert "max-age=0" in merged.headers["set-cookie"].lower()

        again = await client.post("/ecom/cart/merge", headers=customer.headers)
        assert lines(again.json()) == {str(shared): 5, str(guest_only): 1}

    async def test_merged_quantities_are_capped_at_99(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await create_book(ecom_db)
        await add(client, await csrf_headers(client), book, 60)
        customer = Customer(signing_key, client)
        customer.headers = await csrf_headers(client, customer.auth)
        await customer.add(book, 60)
        merged = await client.post("/ecom/cart/merge", headers=customer.headers)
        assert lines(merged.json()) == {str(book): 99}

    async def test_merge_needs_a_signed_in_user(self, client: AsyncClient) -> None:
        headers = await csrf_headers(client)
        response = await client.post("/ecom/cart/merge", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


MUTATIONS = [
    ("POST", "/ecom/cart", {"book_id": str(uuid.uuid4()), "quantity": 1}),
    ("PATCH", f"/ecom/cart/items/{uuid.uuid4()}", {"quantity": 1}),
    ("DELETE", f"/ecom/cart/items/{uuid.uuid4()}", None),
    ("POST", "/ecom/cart/merge", None),
    ("POST", "/ecom/checkout", None),
    ("POST", f"/ecom/orders/{uuid.uuid4()}/cancel", None),
    ("POST", "/ecom/admin/books", {"title": "x"}),
    ("PUT", f"/ecom/admin/books/{uuid.uuid4()}", {"title": "x"}),
    ("DELETE", f"/ecom/admin/books/{uuid.uuid4()}", None),
]


class TestCsrf:
    @pytest.mark.parametrize(("method", "path", "body"), MUTATIONS, ids=[f"{m} {p[:22]}" for m, p, _ in MUTATIONS])
    @pytest.mark.parametrize("token", ["missing", "wrong", "someone_elses"])
    async def test_every_mutating_route_refuses_a_missing_or_wrong_token(
        self,
        method: str,
        path: str,
        body: Any,
        token: str,
        client: AsyncClient,
        new_client: Callable[[], AsyncClient],
        signing_key: SigningKey,
    ) -> None:
        auth = bearer(admin_token(signing_key))  # admin + customer: only the CSRF check can refuse
        await csrf_headers(client, auth)  # the user has a token; the request just does not carry it
        headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
        if token == "wrong":
            headers["X-CSRF-Token"] = "x" * 43
        elif token == "someone_elses":
            async with new_client() as other:
                headers["X-CSRF-Token"] = (await csrf_headers(other))["X-CSRF-Token"]  # a guest's token
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "csrf_invalid"

    async def test_a_guest_token_is_bound_to_its_cookie(
        self, client: AsyncClient, new_client: Callable[[], AsyncClient], ecom_db: Sessions
    ) -> None:
        book = await create_book(ecom_db)
        token = (await csrf_headers(client))["X-CSRF-Token"]
        async with new_client() as other:
            await other.get("/ecom/csrf")  # has its own cookie
            response = await add(other, {"X-CSRF-Token": token}, book)
        assert response.status_code == 403
        assert (await client.get("/ecom/cart")).json()["items"] == []

    async def test_the_same_caller_gets_the_same_token_until_it_expires(self, client: AsyncClient) -> None:
        assert await csrf_headers(client) == await csrf_headers(client)


class TestRedisDown:
    async def test_mutations_are_refused_and_the_catalog_is_still_served(
        self, build_app: Callable[..., FastAPI], client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await create_book(ecom_db)
        # A Redis that is not there: nothing listens on port 1.
        app = build_app(redis_url="redis://127.0.0.1:1/0")
        customer_auth = bearer(customer_token(signing_key))
        async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url="https://ecom.test") as c:
            assert (await c.get("/ecom/books", params={"size": 1})).status_code == 200
            assert (await c.get(f"/ecom/books/{book}")).status_code == 200
            assert (await c.get("/ecom/books/search", params={"q": "anything"})).status_code == 200
            token = await c.get("/ecom/csrf", headers=customer_auth)
            assert (token.status_code, token.json()["error"]) == (503, "csrf_unavailable")
            refused = await add(c, {**customer_auth, "X-CSRF-Token": "x" * 43}, book)
            assert refused.status_code == 503
            assert refused.headers["retry-after"]
            ready = await c.get("/ecom/health/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["redis"] == "down"
        # Nothing was written: the user's cart, read through a working app, is still empty.
        assert (await client.get("/ecom/cart", headers=customer_auth)).json()["items"] == []
