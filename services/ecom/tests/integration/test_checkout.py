import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema
from asgi_lifespan import LifespanManager
from factories import Customer, SigningKey, bearer, create_book, fetch_all, make_token, stocked_book
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom.checkout import repository as checkouts
from ecom.checkout.service import recover_stale
from ecom.config import REPO_ROOT
from ecom.events import schemas as event_schemas
from ecom.events.service import order_event
from ecom.orders.repository import new_order
from servicekit.db import plain_connection

BASE_URL = "https://ecom.test"

Sessions = async_sessionmaker[AsyncSession]
ORDER_CREATED = json.loads((REPO_ROOT / "contracts/events/order.created.schema.json").read_text())


async def stock(inventory_db: Sessions, book_id: uuid.UUID) -> tuple[int, int]:
    rows = await fetch_all(inventory_db, "SELECT available, reserved FROM stock WHERE book_id = :b", b=book_id)
    return rows[0]["available"], rows[0]["reserved"]


async def orders_of(ecom_db: Sessions, subject: str) -> list[dict[str, Any]]:
    return await fetch_all(ecom_db, "SELECT * FROM customer_order WHERE user_id = :u", u=subject)


async def cart_lines(customer: Customer) -> dict[str, int]:
    cart = (await customer.client.get("/ecom/cart", headers=customer.auth)).json()
    return {line["book_id"]: line["quantity"] for line in cart["items"]}


class TestHappyPath:
    async def test_order_stored_with_event_cart_emptied_and_stock_reserved(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        a = await stocked_book(ecom_db, inventory_db, 10, price="12.99", title="First")
        b = await stocked_book(ecom_db, inventory_db, 5, price="5.00", title="Second")
        customer = await Customer(signing_key, client).login()
        await customer.add(a, 2)
        await customer.add(b, 1)

        response = await customer.checkout()

        assert response.status_code == 201, response.text
        order = response.json()
        assert order["status"] == "CONFIRMED"
        assert order["total"] == "30.98"
        assert {(i["title"], i["quantity"], i["unit_price"]) for i in order["items"]} == {
            ("First", 2, "12.99"),
            ("Second", 1, "5.00"),
        }
        assert await cart_lines(customer) == {}
        assert await stock(inventory_db, a) == (8, 2)
        assert await stock(inventory_db, b) == (4, 1)
        sql = "SELECT status FROM reservation WHERE order_id = :o"
        reservation = await fetch_all(inventory_db, sql, o=order["order_id"])
        assert reservation == [{"status": "held"}]  # committed when inventory consumes order.created
        [row] = await orders_of(ecom_db, customer.subject)
        assert (str(row["id"]), row["status"], str(row["total"])) == (order["order_id"], "CONFIRMED", "30.98")

        [event] = await fetch_all(ecom_db, "SELECT * FROM outbox WHERE aggregateid = :o", o=order["order_id"])
        assert (event["type"], event["aggregatetype"]) == ("order.created", "order")
        jsonschema.validate(event["payload"], ORDER_CREATED, format_checker=jsonschema.FormatChecker())
        assert event["payload"]["event_id"] == str(event["id"])
        assert event["payload"]["user_id"] == customer.subject
        assert event["payload"]["total"] == "30.98"
        assert sorted((i["book_id"], i["quantity"], i["unit_price"]) for i in event["payload"]["items"]) == sorted(
            [(str(a), 2, "12.99"), (str(b), 1, "5.00")]
        )
        # The answer, the stored order and its event tell one time, and the items stored are the ones answered.
        placed_at = row["created_at"]
        assert row["updated_at"] == placed_at
        assert datetime.fromisoformat(order["created_at"]) == placed_at
        assert datetime.fromisoformat(event["payload"]["created_at"].replace("Z", "+00:00")) == placed_at
        sql = "SELECT book_id, title, unit_price, quantity FROM order_item WHERE order_id = :o"
        items = await fetch_all(ecom_db, sql, o=order["order_id"])
        assert sorted((str(i["book_id"]), i["title"], str(i["unit_price"]), i["quantity"]) for i in items) == sorted(
            [(str(a), "First", "12.99", 2), (str(b), "Second", "5.00", 1)]
        )

    async def test_prices_come_from_the_catalog_at_checkout_time(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 3, price="10.00")
        customer = await Customer(signing_key, client).login()
        await customer.add(book)
        async with ecom_db() as session, session.begin():
            await session.execute(text("UPDATE book SET price = 11.50 WHERE id = :b"), {"b": book})
        assert (await customer.checkout()).json()["total"] == "11.50"


class TestCustomerEmail:
    """Order emails go to the address the customer's token carried, verified, at checkout: ecom keeps it."""

    async def test_a_verified_email_is_snapshotted_on_the_order_and_its_event(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 3, price="7.00", title="Mailed")
        customer = await Customer(signing_key, client, email="reader@example.org", email_verified=True).login()
        await customer.add(book, 2)

        order = (await customer.checkout()).json()

        [row] = await orders_of(ecom_db, customer.subject)
        assert row["email"] == "reader@example.org"
        [event] = await fetch_all(ecom_db, "SELECT * FROM outbox WHERE aggregateid = :o", o=order["order_id"])
        assert event["payload"]["email"] == "reader@example.org"
        assert [(i["title"], i["quantity"], i["unit_price"]) for i in event["payload"]["items"]] == [
            ("Mailed", 2, "7.00")
        ]

    async def test_an_unverified_email_is_not_kept(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 3)
        customer = await Customer(signing_key, client, email="someone@example.org", email_verified=False).login()
        await customer.add(book)

        order = (await customer.checkout()).json()

        [row] = await orders_of(ecom_db, customer.subject)
        assert row["email"] is None
        [event] = await fetch_all(ecom_db, "SELECT * FROM outbox WHERE aggregateid = :o", o=order["order_id"])
        assert event["payload"]["email"] is None


class TestIdempotency:
    async def test_the_same_key_returns_the_same_order(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5)
        customer = await Customer(signing_key, client).login()
        await customer.add(book)
        key = str(uuid.uuid4())
        first = await customer.checkout(key)
        await customer.add(book)  # the cart changed; the key still means the first order
        second = await customer.checkout(key)
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json() == first.json()
        assert len(await orders_of(ecom_db, customer.subject)) == 1
        assert await stock(inventory_db, book) == (4, 1)

    async def test_ten_concurrent_identical_checkouts_make_exactly_one_order(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 20)
        customer = await Customer(signing_key, client).login()
        await customer.add(book, 2)
        key = str(uuid.uuid4())
        responses = await asyncio.gather(*(customer.checkout(key) for _ in range(10)))
        assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
        assert len({r.json()["order_id"] for r in responses}) == 1
        assert len(await orders_of(ecom_db, customer.subject)) == 1
        assert await stock(inventory_db, book) == (18, 2)

    async def test_the_same_key_from_another_user_is_another_order(
        self, new_client: Callable[[], AsyncClient], ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5)
        key = str(uuid.uuid4())
        ids = set()
        for _ in range(2):
            async with new_client() as c:
                customer = await Customer(signing_key, c).login()
                await customer.add(book)
                ids.add((await customer.checkout(key)).json()["order_id"])
        assert len(ids) == 2

    async def test_a_missing_or_malformed_key_is_422(self, client: AsyncClient, signing_key: SigningKey) -> None:
        customer = await Customer(signing_key, client).login()
        missing = await client.post("/ecom/checkout", headers=customer.headers)
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
        for bad in ("short", "x" * 101, "has space in it"):
            assert (await customer.checkout(bad)).status_code == 422


class TestRefusals:
    async def test_insufficient_stock_is_409_naming_the_line_and_changes_nothing(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        plenty = await stocked_book(ecom_db, inventory_db, 10)
        short = await stocked_book(ecom_db, inventory_db, 1, title="Rare Book")
        customer = await Customer(signing_key, client).login()
        await customer.add(plenty, 1)
        await customer.add(short, 3)
        key = str(uuid.uuid4())

        response = await customer.checkout(key)

        assert response.status_code == 409
        body = response.json()
        assert body["error"] == "insufficient_stock"
        assert "Rare Book" in body["detail"]
        assert body["lines"] == [{"book_id": str(short), "title": "Rare Book", "requested": 3, "available": 1}]
        assert await cart_lines(customer) == {str(plenty): 1, str(short): 3}
        assert await orders_of(ecom_db, customer.subject) == []
        assert await stock(inventory_db, plenty) == (10, 0)
        # The key was freed: once the cart is fixed, the same key places the order.
        await client.patch(f"/ecom/cart/items/{short}", json={"quantity": 1}, headers=customer.headers)
        assert (await customer.checkout(key)).status_code == 201

    async def test_a_book_inventory_never_stocked_is_out_of_stock(
        self, client: AsyncClient, ecom_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await create_book(ecom_db, title="Unstocked")
        customer = await Customer(signing_key, client).login()
        await customer.add(book)
        response = await customer.checkout()
        assert (response.status_code, response.json()["lines"][0]["available"]) == (409, 0)

    async def test_an_empty_cart_is_422(self, client: AsyncClient, signing_key: SigningKey) -> None:
        customer = await Customer(signing_key, client).login()
        response = await customer.checkout()
        assert (response.status_code, response.json()["error"]) == (422, "cart_empty")

    async def test_a_book_removed_from_the_catalog_is_409_book_unavailable(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5, title="Withdrawn")
        customer = await Customer(signing_key, client).login()
        await customer.add(book)
        async with ecom_db() as session, session.begin():
            await session.execute(text("UPDATE book SET active = false WHERE id = :b"), {"b": book})
        response = await customer.checkout()
        assert (response.status_code, response.json()["error"]) == (409, "book_unavailable")
        assert "Withdrawn" in response.json()["detail"]
        assert await stock(inventory_db, book) == (5, 0)

    async def test_only_customers_can_check_out(self, client: AsyncClient, signing_key: SigningKey) -> None:
        no_role = bearer(make_token(signing_key, realm_roles=[]))
        headers = {**no_role, "Idempotency-Key": str(uuid.uuid4())}
        token = (await client.get("/ecom/csrf", headers=no_role)).json()["token"]
        response = await client.post("/ecom/checkout", headers={**headers, "X-CSRF-Token": token})
        assert (response.status_code, response.json()["error"]) == (403, "forbidden")
        anonymous = await client.post("/ecom/checkout", headers={"Idempotency-Key": str(uuid.uuid4())})
        assert anonymous.status_code in (401, 403)


class TestInventoryUnavailable:
    async def test_503_within_three_seconds_cart_intact_no_order(
        self, build_app: Callable[..., FastAPI], ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5)
        # Real networking to a port where nothing listens.
        app = build_app(inventory_url="http://127.0.0.1:1")
        async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url="https://ecom.test") as c:
            customer = await Customer(signing_key, c).login()
            await customer.add(book, 2)
            started = time.monotonic()
            response = await customer.checkout()
            elapsed = time.monotonic() - started
            assert response.status_code == 503
            assert response.json()["error"] == "inventory_unavailable"
            assert elapsed < 3
            assert await cart_lines(customer) == {str(book): 2}
        assert await orders_of(ecom_db, customer.subject) == []
        assert await fetch_all(ecom_db, "SELECT * FROM checkout WHERE user_id = :u", u=customer.subject) == []

    async def test_a_hanging_inventory_times_out_into_503(
        self, build_app: Callable[..., FastAPI], ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5)
        async with _silent_server() as url:
            app = build_app(inventory_url=url, inventory_timeout_seconds=0.5)
            async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url=BASE_URL) as c:
                customer = await Customer(signing_key, c).login()
                await customer.add(book)
                started = time.monotonic()
                response = await customer.checkout()
                assert response.status_code == 503
                assert time.monotonic() - started < 3
                assert await cart_lines(customer) == {str(book): 1}
        assert await orders_of(ecom_db, customer.subject) == []


@contextlib.asynccontextmanager
async def _silent_server() -> AsyncIterator[str]:
    """An inventory that accepts connections, reads what is sent and never answers (the client's timeout must
    fire)."""

    async def read_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass
        writer.close()

    server = await asyncio.start_server(read_forever, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


class TestCompensation:
    async def test_a_crash_after_the_reservation_releases_it(
        self, build_app: Callable[..., FastAPI], ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 4)
        app = build_app(fault_after_reservation=True)
        async with LifespanManager(app), AsyncClient(transport=ASGITransport(app), base_url="https://ecom.test") as c:
            customer = await Customer(signing_key, c).login()
            await customer.add(book, 3)
            response = await customer.checkout()
            assert response.status_code == 500
            assert await cart_lines(customer) == {str(book): 3}
        assert await orders_of(ecom_db, customer.subject) == []
        released = await fetch_all(
            inventory_db,
            "SELECT r.status FROM reservation r JOIN reservation_line l USING (order_id) WHERE l.book_id = :b",
            b=book,
        )
        assert released == [{"status": "released"}]
        assert await stock(inventory_db, book) == (4, 0)

    async def test_an_order_whose_claim_was_given_up_is_not_written(
        self, app: FastAPI, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        """The recovery sweep gave a slow attempt up (its pending claim deleted, its reservation released) before the
        attempt wrote its order: the order's one statement writes nothing (no order, no event) and the cart keeps
        its lines."""
        book = await stocked_book(ecom_db, inventory_db, 5)
        customer = await Customer(signing_key, client).login()
        await customer.add(book, 2)
        order_id = uuid.uuid4()
        async with plain_connection(app.state.plain_pool) as connection:
            claimed, cart, lines = await checkouts.claim(connection, customer.subject, str(uuid.uuid4()), order_id)
        assert claimed and cart is not None and len(lines) == 1
        async with ecom_db() as session, session.begin():
            await checkouts.unclaim(session, order_id)
        order = new_order(
            order_id=order_id,
            user_id=customer.subject,
            username=None,
            currency="EUR",
            lines=[(line.book_id, line.title, line.price, line.quantity) for line in lines],
            at=datetime.now(UTC),
        )
        async with plain_connection(app.state.plain_pool) as connection:
            placed = await checkouts.complete_and_place(
                connection, order, cart, {book: 2}, order_event(event_schemas.ORDER_CREATED, order)
            )
        assert placed is False
        assert await orders_of(ecom_db, customer.subject) == []
        assert await cart_lines(customer) == {str(book): 2}
        events = await fetch_all(ecom_db, "SELECT id FROM outbox WHERE aggregateid = :o", o=str(order_id))
        assert events == []

    async def test_recovery_releases_reservations_of_checkouts_that_died(
        self, app: FastAPI, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        """A process that died between reserving and storing leaves a pending claim and a held reservation."""
        book = await stocked_book(ecom_db, inventory_db, 6)
        order_id = uuid.uuid4()
        await app.state.inventory.reserve(order_id, {book: 2})
        async with ecom_db() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO checkout (user_id, idempotency_key, order_id, state, created_at) "
                    "VALUES (:u, :k, :o, 'pending', now() - interval '10 minutes')"
                ),
                {"u": str(uuid.uuid4()), "k": str(uuid.uuid4()), "o": order_id},
            )
        assert await stock(inventory_db, book) == (4, 2)

        released = await recover_stale(app.state.sessionmaker, app.state.inventory, older_than_seconds=60)

        assert released >= 1
        assert await stock(inventory_db, book) == (6, 0)
        assert await fetch_all(ecom_db, "SELECT * FROM checkout WHERE order_id = :o", o=order_id) == []


class TestRace:
    async def test_fifty_customers_buying_the_last_five_copies_make_exactly_five_orders(
        self, new_client: Callable[[], AsyncClient], ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5)
        clients = [new_client() for _ in range(50)]
        try:
            customers = [await Customer(signing_key, c).login() for c in clients]
            for customer in customers:
                await customer.add(book)
            responses = await asyncio.gather(*(customer.checkout() for customer in customers))
        finally:
            for c in clients:
                await c.aclose()
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 5 + [409] * 45
        assert await stock(inventory_db, book) == (0, 5)
        orders = await fetch_all(ecom_db, "SELECT count(*) AS n FROM order_item WHERE book_id = :b", b=book)
        assert orders == [{"n": 5}]
