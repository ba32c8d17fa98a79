import json
import uuid
from collections.abc import Callable

import jsonschema
from factories import Customer, SigningKey, fetch_all, stocked_book
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom.config import REPO_ROOT

Sessions = async_sessionmaker[AsyncSession]
ORDER_CANCELLED = json.loads((REPO_ROOT / "contracts/events/order.cancelled.schema.json").read_text())


async def placed(customer: Customer, book: uuid.UUID, quantity: int = 1) -> str:
    await customer.add(book, quantity)
    response = await customer.checkout()
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


async def available(inventory_db: Sessions, book: uuid.UUID) -> int:
    [row] = await fetch_all(inventory_db, "SELECT available FROM stock WHERE book_id = :b", b=book)
    return int(row["available"])


class TestHistory:
    async def test_lists_own_orders_newest_first_with_paging(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 10)
        customer = await Customer(signing_key, client).login()
        ids = [await placed(customer, book) for _ in range(3)]
        first = (await client.get("/ecom/orders", params={"size": 2}, headers=customer.auth)).json()
        second = (await client.get("/ecom/orders", params={"size": 2, "page": 2}, headers=customer.auth)).json()
        assert first["total"] == 3
        assert [o["order_id"] for o in first["items"] + second["items"]] == ids[::-1]

    async def test_someone_elses_order_is_404(
        self, new_client: Callable[[], AsyncClient], ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5)
        async with new_client() as a, new_client() as b:
            owner = await Customer(signing_key, a).login()
            other = await Customer(signing_key, b).login()
            order = await placed(owner, book)
            assert (await a.get(f"/ecom/orders/{order}", headers=owner.auth)).status_code == 200
            response = await b.get(f"/ecom/orders/{order}", headers=other.auth)
            assert (response.status_code, response.json()["error"]) == (404, "order_not_found")
            cancel = await b.post(f"/ecom/orders/{order}/cancel", headers=other.headers)
            assert cancel.status_code == 404
            assert (await b.get("/ecom/orders", headers=other.auth)).json()["total"] == 0


class TestCancel:
    async def test_cancel_returns_the_stock_and_emits_order_cancelled(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 6)
        customer = await Customer(signing_key, client).login()
        order = await placed(customer, book, 2)
        assert await available(inventory_db, book) == 4

        response = await client.post(f"/ecom/orders/{order}/cancel", headers=customer.headers)

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "CANCELLED"
        assert response.json()["cancelled_at"]
        assert await available(inventory_db, book) == 6
        [event] = await fetch_all(
            ecom_db, "SELECT type, payload FROM outbox WHERE aggregateid = :o AND type = 'order.cancelled'", o=order
        )
        jsonschema.validate(event["payload"], ORDER_CANCELLED, format_checker=jsonschema.FormatChecker())
        assert event["payload"]["order_id"] == order

    async def test_cancelling_after_inventory_committed_the_sale_still_returns_the_stock(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        from inventory.reservations.service import commit_reservation

        from servicekit.db import driver_connection

        book = await stocked_book(ecom_db, inventory_db, 5)
        customer = await Customer(signing_key, client).login()
        order = await placed(customer, book, 3)
        async with inventory_db() as session, session.begin():
            await commit_reservation(
                await driver_connection(session), uuid.UUID(order), uuid.uuid4()
            )  # what the order.created consumer does
        response = await client.post(f"/ecom/orders/{order}/cancel", headers=customer.headers)
        assert response.status_code == 200
        assert await available(inventory_db, book) == 5

    async def test_a_cancelled_order_cannot_be_cancelled_again(
        self, client: AsyncClient, ecom_db: Sessions, inventory_db: Sessions, signing_key: SigningKey
    ) -> None:
        book = await stocked_book(ecom_db, inventory_db, 5)
        customer = await Customer(signing_key, client).login()
        order = await placed(customer, book)
        assert (await client.post(f"/ecom/orders/{order}/cancel", headers=customer.headers)).status_code == 200
        again = await client.post(f"/ecom/orders/{order}/cancel", headers=customer.headers)
        assert (again.status_code, again.json()["error"]) == (409, "order_not_cancellable")
        assert await available(inventory_db, book) == 5
        events = await fetch_all(
            ecom_db, "SELECT id FROM outbox WHERE aggregateid = :o AND type = 'order.cancelled'", o=order
        )
        assert len(events) == 1
