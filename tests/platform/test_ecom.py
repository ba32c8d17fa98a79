"""The running ecom service through the TLS gateway, with real Keycloak users, the real inventory
service, Debezium's outbox connector and Kafka."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jsonschema
import pytest
from servicekit.catalog import load_catalog

from bookstore.components import Context
from bookstore.config import ROOT
from bookstore.supervise import Supervisor
from tests.api import api_client, available, empty_cart, set_stock, with_csrf
from tests.events import TopicReader, payload, reservation_status
from tests.tokens import admin_token, customer_token
from tests.waiting import wait_for

CATALOG = load_catalog(ROOT / "data" / "catalog" / "books.json")
ORDER_CREATED = json.loads((ROOT / "contracts/events/order.created.schema.json").read_text())
# Books these tests stock and sell; the inventory platform tests use the first ten.
BOOK_A, BOOK_B, BOOK_C = CATALOG[40].id, CATALOG[41].id, CATALOG[42].id


@pytest.fixture
def storefront(ctx: Context) -> Iterator[httpx.Client]:
    """A browser-like client on the storefront's origin (the API is routed there too), cookie jar included."""
    with api_client(ctx, "myecom.net") as client:
        yield client


@pytest.fixture
def api(ctx: Context) -> Iterator[httpx.Client]:
    with api_client(ctx) as client:
        yield client


@pytest.fixture(scope="module")
def customer(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token(ctx)}"}


@pytest.fixture(scope="module")
def admin(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(ctx)}"}


def add(client: httpx.Client, headers: dict[str, str], book: uuid.UUID, quantity: int = 1) -> None:
    response = client.post("/ecom/cart", json={"book_id": str(book), "quantity": quantity}, headers=headers)
    assert response.status_code == 200, response.text


def checkout(client: httpx.Client, headers: dict[str, str], key: str | None = None) -> httpx.Response:
    return client.post("/ecom/checkout", headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def cart(client: httpx.Client, headers: dict[str, str]) -> dict[str, int]:
    return {line["book_id"]: line["quantity"] for line in client.get("/ecom/cart", headers=headers).json()["items"]}


def order_count(client: httpx.Client, headers: dict[str, str]) -> int:
    return int(client.get("/ecom/orders", headers=headers).json()["total"])


class TestCatalogThroughTheGateway:
    def test_catalog_and_typo_tolerant_search(self, api: httpx.Client) -> None:
        page = api.get("/ecom/books", params={"size": 5, "sort": "title"}).json()
        assert page["total"] >= 60 and len(page["items"]) == 5
        found = api.get("/ecom/books/search", params={"q": "tolkein"}).json()
        assert found["items"][0]["author"] == "J.R.R. Tolkien"
        assert api.get("/ecom/books/search", params={"q": ""}).status_code == 422

    def test_the_gateway_micro_caches_catalog_pages_asked_for_twice(self, ctx: Context, api: httpx.Client) -> None:
        probe = uuid.uuid4().hex
        pages = [api.get("/ecom/books", params={"size": 1, "probe": probe}).json() for _ in range(3)]
        assert pages[0] == pages[1] == pages[2]
        log = ctx.paths.log / "gateway.log"

        def cache_states() -> list[str]:
            return [
                entry["cache"]
                for line in log.read_text().splitlines()
                if probe in line and line.startswith("{")
                for entry in [json.loads(line)]
            ]

        assert wait_for(lambda: len(cache_states()) == 3, 10, "the three requests logged")
        # The first answer is not stored (most query strings are asked once), the second is, the third is served.
        assert cache_states() == ["MISS", "MISS", "HIT"]

    def test_operator_endpoints_are_not_routed(self, api: httpx.Client) -> None:
        for path in ("/ecom/docs", "/ecom/metrics", "/ecom/openapi.json"):
            response = api.get(path)
            assert (response.status_code, response.json()["error"]) == (404, "not_found"), path

    def test_the_storefront_origin_may_call_with_credentials(self, api: httpx.Client, ctx: Context) -> None:
        origin = f"https://myecom.net:{ctx.port('GATEWAY_PORT')}"
        preflight = api.options(
            "/ecom/cart",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-csrf-token,content-type,authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert preflight.headers["access-control-allow-credentials"] == "true"
        foreign = api.options(
            "/ecom/cart", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in foreign.headers


class TestGuestCartAndMerge:
    def test_guest_cart_in_a_secure_cookie_then_merged_after_login(
        self, storefront: httpx.Client, customer: dict[str, str]
    ) -> None:
        user = with_csrf(storefront, customer)
        empty_cart(storefront, user)
        guest = with_csrf(storefront, {})
        cookie = storefront.cookies.jar
        [guest_cookie] = [c for c in cookie if c.name == "bookstore_guest"]
        assert guest_cookie.secure and guest_cookie.path == "/ecom"
        assert guest_cookie.has_nonstandard_attr("HttpOnly")
        add(storefront, guest, BOOK_A, 2)
        assert cart(storefront, {}) == {str(BOOK_A): 2}

        merged = storefront.post("/ecom/cart/merge", headers=user)

        assert merged.status_code == 200, merged.text
        assert cart(storefront, customer) == {str(BOOK_A): 2}
        assert "bookstore_guest" not in storefront.cookies
        empty_cart(storefront, user)

    def test_a_guest_change_without_the_csrf_token_is_refused(self, storefront: httpx.Client) -> None:
        storefront.get("/ecom/csrf")
        response = storefront.post("/ecom/cart", json={"book_id": str(BOOK_A), "quantity": 1})
        assert (response.status_code, response.json()["error"]) == (403, "csrf_invalid")


class TestCheckout:
    def test_order_event_on_kafka_stock_decremented_and_reservation_committed(
        self, ctx: Context, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        set_stock(api, admin, BOOK_A, 50)
        headers = with_csrf(api, customer)
        empty_cart(api, headers)
        add(api, headers, BOOK_A, 2)
        reader = TopicReader(ctx, "order.created")
        try:
            response = checkout(api, headers)
            assert response.status_code == 201, response.text
            order = response.json()
            messages = reader.read_until(
                lambda seen: any(m.key() == order["order_id"].encode() for m in seen), timeout=60
            )
        finally:
            reader.close()

        assert order["status"] == "CONFIRMED"
        assert api.get(f"/ecom/orders/{order['order_id']}", headers=customer).json()["status"] == "CONFIRMED"
        assert cart(api, customer) == {}
        assert available(api, BOOK_A) == 48
        [record] = [m for m in messages if m.key() == order["order_id"].encode()]
        event = payload(record)
        jsonschema.validate(event, ORDER_CREATED, format_checker=jsonschema.FormatChecker())
        assert (event["order_id"], event["total"]) == (order["order_id"], order["total"])
        assert [(i["book_id"], i["quantity"]) for i in event["items"]] == [(str(BOOK_A), 2)]
        wait_for(lambda: reservation_status(ctx, uuid.UUID(order["order_id"])) == "committed", 60, "inventory commit")

    def test_insufficient_stock_is_409_naming_the_book_and_the_cart_is_kept(
        self, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        set_stock(api, admin, BOOK_B, 1)
        headers = with_csrf(api, customer)
        empty_cart(api, headers)
        add(api, headers, BOOK_B, 3)
        before = order_count(api, customer)
        response = checkout(api, headers)
        assert response.status_code == 409
        assert CATALOG[41].title in response.json()["detail"]
        assert cart(api, customer) == {str(BOOK_B): 3}
        assert order_count(api, customer) == before
        assert available(api, BOOK_B) == 1
        empty_cart(api, headers)

    def test_ten_concurrent_identical_checkouts_make_one_order(
        self, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        set_stock(api, admin, BOOK_C, 20)
        headers = with_csrf(api, customer)
        empty_cart(api, headers)
        add(api, headers, BOOK_C, 1)
        key = str(uuid.uuid4())
        with ThreadPoolExecutor(10) as pool:
            responses = list(pool.map(lambda _: checkout(api, headers, key), range(10)))
        assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
        assert len({r.json()["order_id"] for r in responses}) == 1
        assert available(api, BOOK_C) == 19

    def test_customers_cannot_use_admin_routes_and_admins_can(
        self, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        assert api.get("/ecom/admin/orders", headers=customer).status_code == 403
        assert api.get("/ecom/admin/orders", headers=admin).status_code == 200
        assert api.get("/ecom/orders").status_code == 401


class TestOutages:
    def test_inventory_down_is_503_within_three_seconds_and_nothing_changes(
        self, ctx: Context, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        set_stock(api, admin, BOOK_A, 30)
        headers = with_csrf(api, customer)
        empty_cart(api, headers)
        add(api, headers, BOOK_A, 1)
        before = order_count(api, customer)
        supervisor = Supervisor(ctx)
        supervisor.stop("inventory")
        try:
            started = time.monotonic()
            response = checkout(api, headers)
            elapsed = time.monotonic() - started
        finally:
            supervisor.start("inventory")
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "inventory_unavailable"
        assert elapsed < 3
        assert cart(api, customer) == {str(BOOK_A): 1}
        assert order_count(api, customer) == before
        wait_for(lambda: api.get(f"/inven/stock/{BOOK_A}").status_code == 200, 60, "inventory back")
        assert available(api, BOOK_A) == 30
        empty_cart(api, headers)

    def test_redis_down_refuses_changes_and_still_serves_the_catalog(
        self, ctx: Context, api: httpx.Client, customer: dict[str, str]
    ) -> None:
        headers = with_csrf(api, customer)
        empty_cart(api, headers)
        supervisor = Supervisor(ctx)
        supervisor.stop("redis")
        try:
            # A query string the gateway has not cached: the service itself answers.
            page = api.get("/ecom/books", params={"size": 3, "probe": uuid.uuid4().hex})
            found = api.get("/ecom/books/search", params={"q": "tolkein", "probe": uuid.uuid4().hex})
            refused = api.post("/ecom/cart", json={"book_id": str(BOOK_A), "quantity": 1}, headers=headers)
        finally:
            supervisor.start("redis")
        assert page.status_code == 200 and len(page.json()["items"]) == 3
        assert found.status_code == 200 and found.json()["total"] > 0
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] in {"csrf_unavailable", "service_unavailable"}
        # Back: changes are accepted again (a missing line is a 404, no longer a 503).
        probe = f"/ecom/cart/items/{uuid.uuid4()}"

        def accepts_changes() -> bool:
            token = api.get("/ecom/csrf", headers=customer)
            if token.status_code != 200:
                return False
            return api.delete(probe, headers={**customer, "X-CSRF-Token": token.json()["token"]}).status_code == 404

        wait_for(accepts_changes, 30, "redis back")
        assert cart(api, customer) == {}

    def test_checkouts_succeed_while_kafka_is_down_and_their_events_arrive_after(
        self, ctx: Context, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        set_stock(api, admin, BOOK_C, 30)
        headers = with_csrf(api, customer)
        reader = TopicReader(ctx, "order.created")
        supervisor = Supervisor(ctx)
        supervisor.stop("kafka")
        orders: list[dict[str, Any]] = []
        try:
            for _ in range(2):
                empty_cart(api, headers)
                add(api, headers, BOOK_C, 1)
                response = checkout(api, headers)
                assert response.status_code == 201, response.text
                orders.append(response.json())
        finally:
            supervisor.start("kafka")
        try:
            keys = {o["order_id"].encode() for o in orders}
            messages = reader.read_until(lambda seen: keys <= {m.key() for m in seen}, timeout=180, settle=1)
        finally:
            reader.close()
        assert keys <= {m.key() for m in messages}

        def committed(order_id: uuid.UUID) -> Callable[[], bool]:
            return lambda: reservation_status(ctx, order_id) == "committed"

        for order in orders:
            wait_for(committed(uuid.UUID(order["order_id"])), 120, f"the commit of order {order['order_id']}")


class TestCancel:
    def test_cancel_puts_the_stock_back_through_inventory(
        self, ctx: Context, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        set_stock(api, admin, BOOK_B, 10)
        headers = with_csrf(api, customer)
        empty_cart(api, headers)
        add(api, headers, BOOK_B, 3)
        order = checkout(api, headers).json()
        assert available(api, BOOK_B) == 7
        # Wait for the sale to be committed, so the cancel undoes a committed reservation, not a held one.
        wait_for(lambda: reservation_status(ctx, uuid.UUID(order["order_id"])) == "committed", 60, "commit")
        reader = TopicReader(ctx, "order.cancelled")
        try:
            response = api.post(f"/ecom/orders/{order['order_id']}/cancel", headers=headers)
            assert response.status_code == 200, response.text
            messages = reader.read_until(lambda seen: any(m.key() == order["order_id"].encode() for m in seen))
        finally:
            reader.close()
        assert response.json()["status"] == "CANCELLED"
        assert available(api, BOOK_B) == 10
        assert reservation_status(ctx, uuid.UUID(order["order_id"])) == "cancelled"
        records = [m for m in messages if m.key() == order["order_id"].encode()]
        assert len(records) == 1, f"expected exactly one order.cancelled record, got {len(records)}"
        assert payload(records[0])["order_id"] == order["order_id"]
