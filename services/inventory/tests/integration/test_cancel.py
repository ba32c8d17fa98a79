"""Cancelling an order's reservation puts its units back on sale once, whatever state it is in."""

import asyncio
import uuid
from typing import Any

import pytest
from factories import SigningKey, bearer, create_stock, customer_token, fetch_all, reservation_body, service_token
from httpx import AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.reservations.expiry import sweep
from inventory.reservations.service import CommitOutcome, commit_reservation
from servicekit.db import driver_connection

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def auth(signing_key: SigningKey) -> dict[str, str]:
    return bearer(service_token(signing_key))


async def reserve(client: AsyncClient, auth: dict[str, str], *lines: tuple[uuid.UUID, int]) -> uuid.UUID:
    body = reservation_body(*lines)
    response = await client.post("/inven/reservations", json=body, headers=auth)
    assert response.status_code == 201
    return uuid.UUID(body["order_id"])


async def cancel(client: AsyncClient, auth: dict[str, str], order_id: uuid.UUID) -> Response:
    return await client.post(f"/inven/reservations/{order_id}/cancel", headers=auth)


async def commit(sessionmaker: Sessions, order_id: uuid.UUID, event_id: uuid.UUID | None = None) -> CommitOutcome:
    async with sessionmaker() as session, session.begin():
        return await commit_reservation(await driver_connection(session), order_id, event_id or uuid.uuid4())


async def levels(sessionmaker: Sessions, book_id: uuid.UUID) -> tuple[int, int]:
    [row] = await fetch_all(sessionmaker, "SELECT available, reserved FROM stock WHERE book_id = :id", id=book_id)
    return row["available"], row["reserved"]


async def status(sessionmaker: Sessions, order_id: uuid.UUID) -> str:
    [row] = await fetch_all(sessionmaker, "SELECT status FROM reservation WHERE order_id = :id", id=order_id)
    return str(row["status"])


async def cancel_movements(sessionmaker: Sessions, book_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch_all(
        sessionmaker,
        "SELECT * FROM stock_movement WHERE book_id = :id AND reason = 'cancel' ORDER BY created_at",
        id=book_id,
    )


async def cancel_events(sessionmaker: Sessions, book_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch_all(
        sessionmaker,
        "SELECT id, type, payload FROM outbox WHERE aggregateid = :id AND payload->>'reason' = 'cancel'"
        " ORDER BY created_at",
        id=str(book_id),
    )


class TestCancelHeld:
    async def test_cancelling_a_held_reservation_moves_its_units_back_to_available(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        a, b = await create_stock(sessionmaker, 5), await create_stock(sessionmaker, 3)
        order_id = await reserve(client, auth, (a, 2), (b, 3))
        response = await cancel(client, auth, order_id)
        assert response.status_code == 200
        result = response.json()
        assert (result["order_id"], result["status"]) == (str(order_id), "cancelled")
        assert sorted((i["book_id"], i["quantity"]) for i in result["items"]) == sorted([(str(a), 2), (str(b), 3)])
        assert await levels(sessionmaker, a) == (5, 0)
        assert await levels(sessionmaker, b) == (3, 0)
        assert await status(sessionmaker, order_id) == "cancelled"

    async def test_each_line_writes_one_cancel_movement_and_one_event(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        a, b = await create_stock(sessionmaker, 5), await create_stock(sessionmaker, 3)
        order_id = await reserve(client, auth, (a, 2), (b, 1))
        await cancel(client, auth, order_id)
        [movement] = await cancel_movements(sessionmaker, a)
        assert (movement["delta"], movement["order_id"]) == (2, order_id)
        assert movement["actor"] == "service-account-ecom-service"
        [event] = await cancel_events(sessionmaker, a)
        assert event["id"] == movement["id"] and event["type"] == "inventory.updated"
        payload = event["payload"]
        assert (payload["previous_available"], payload["new_available"], payload["delta"]) == (3, 5, 2)
        assert payload["order_id"] == str(order_id) and payload["book_id"] == str(a)
        assert len(await cancel_movements(sessionmaker, b)) == len(await cancel_events(sessionmaker, b)) == 1


class TestCancelCommitted:
    async def test_cancelling_a_committed_reservation_puts_the_sold_units_back_on_sale(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        a, b = await create_stock(sessionmaker, 5), await create_stock(sessionmaker, 4)
        order_id = await reserve(client, auth, (a, 2), (b, 4))
        assert await commit(sessionmaker, order_id) == CommitOutcome.COMMITTED
        assert (await levels(sessionmaker, a), await levels(sessionmaker, b)) == ((3, 0), (0, 0))
        response = await cancel(client, auth, order_id)
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        assert (await levels(sessionmaker, a), await levels(sessionmaker, b)) == ((5, 0), (4, 0))
        [movement] = await cancel_movements(sessionmaker, b)
        assert movement["delta"] == 4
        [event] = await cancel_events(sessionmaker, b)
        assert (event["payload"]["previous_available"], event["payload"]["new_available"]) == (0, 4)

    async def test_a_committed_reservation_is_still_not_releasable(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await commit(sessionmaker, order_id)
        response = await client.delete(f"/inven/reservations/{order_id}", headers=auth)
        assert response.status_code == 409 and response.json()["error"] == "reservation_committed"
        assert await levels(sessionmaker, book) == (3, 0)


class TestIdempotency:
    async def test_a_second_cancel_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        first, second = await cancel(client, auth, order_id), await cancel(client, auth, order_id)
        assert (first.status_code, second.status_code) == (200, 200)
        assert second.json() == first.json()
        assert await levels(sessionmaker, book) == (5, 0)
        assert len(await cancel_movements(sessionmaker, book)) == len(await cancel_events(sessionmaker, book)) == 1

    async def test_a_second_cancel_of_a_committed_order_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await commit(sessionmaker, order_id)
        await cancel(client, auth, order_id)
        assert (await cancel(client, auth, order_id)).status_code == 200
        assert await levels(sessionmaker, book) == (5, 0)
        assert len(await cancel_movements(sessionmaker, book)) == 1

    async def test_20_concurrent_cancels_restore_stock_exactly_once(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        a, b = await create_stock(sessionmaker, 10), await create_stock(sessionmaker, 10)
        order_id = await reserve(client, auth, (a, 3), (b, 7))
        responses = await asyncio.gather(*(cancel(client, auth, order_id) for _ in range(20)))
        assert [r.status_code for r in responses] == [200] * 20
        assert {r.json()["status"] for r in responses} == {"cancelled"}
        assert (await levels(sessionmaker, a), await levels(sessionmaker, b)) == ((10, 0), (10, 0))
        for book in (a, b):
            assert len(await cancel_movements(sessionmaker, book)) == len(await cancel_events(sessionmaker, book)) == 1

    async def test_20_concurrent_cancels_of_a_committed_order_return_its_units_once(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 10)
        order_id = await reserve(client, auth, (book, 4))
        await commit(sessionmaker, order_id)
        responses = await asyncio.gather(*(cancel(client, auth, order_id) for _ in range(20)))
        assert [r.status_code for r in responses] == [200] * 20
        assert await levels(sessionmaker, book) == (10, 0)
        assert len(await cancel_movements(sessionmaker, book)) == 1


class TestEndedReservations:
    async def test_cancelling_a_released_reservation_returns_it_unchanged(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await client.delete(f"/inven/reservations/{order_id}", headers=auth)
        response = await cancel(client, auth, order_id)
        assert response.status_code == 200 and response.json()["status"] == "released"
        assert await levels(sessionmaker, book) == (5, 0)
        assert await cancel_movements(sessionmaker, book) == []

    async def test_cancelling_an_expired_reservation_returns_it_unchanged(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        async with sessionmaker() as session, session.begin():
            await session.execute(
                text("UPDATE reservation SET expires_at = now() - interval '1 second' WHERE order_id = :id"),
                {"id": order_id},
            )
        await sweep(sessionmaker, batch_size=100)
        response = await cancel(client, auth, order_id)
        assert response.status_code == 200 and response.json()["status"] == "expired"
        assert await levels(sessionmaker, book) == (5, 0)
        assert await cancel_movements(sessionmaker, book) == []

    async def test_releasing_a_cancelled_reservation_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await cancel(client, auth, order_id)
        response = await client.delete(f"/inven/reservations/{order_id}", headers=auth)
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        assert await levels(sessionmaker, book) == (5, 0)

    async def test_the_expiry_sweep_leaves_cancelled_reservations_alone(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await cancel(client, auth, order_id)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                text("UPDATE reservation SET expires_at = now() - interval '1 second' WHERE order_id = :id"),
                {"id": order_id},
            )
        await sweep(sessionmaker, batch_size=100)
        assert await status(sessionmaker, order_id) == "cancelled"
        assert await levels(sessionmaker, book) == (5, 0)


class TestCommitAfterCancel:
    async def test_the_order_created_event_of_a_cancelled_order_commits_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await cancel(client, auth, order_id)
        event_id = uuid.uuid4()
        assert await commit(sessionmaker, order_id, event_id) == CommitOutcome.CANCELLED
        assert await status(sessionmaker, order_id) == "cancelled"
        assert await levels(sessionmaker, book) == (5, 0)
        # Handled, not refused: a redelivery is recognised as a duplicate.
        assert await commit(sessionmaker, order_id, event_id) == CommitOutcome.DUPLICATE_EVENT

    async def test_a_cancel_racing_the_commit_leaves_the_stock_whole_either_way(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 20)
        orders = [await reserve(client, auth, (book, 1)) for _ in range(10)]
        responses, outcomes = await asyncio.gather(
            asyncio.gather(*(cancel(client, auth, order_id) for order_id in orders)),
            asyncio.gather(*(commit(sessionmaker, order_id) for order_id in orders)),
        )
        assert {r.status_code for r in responses} == {200}
        assert set(outcomes) <= {CommitOutcome.COMMITTED, CommitOutcome.CANCELLED}
        assert await levels(sessionmaker, book) == (20, 0)
        assert {await status(sessionmaker, order_id) for order_id in orders} == {"cancelled"}


class TestErrors:
    async def test_unknown_reservation_is_404(self, client: AsyncClient, auth: dict[str, str]) -> None:
        response = await cancel(client, auth, uuid.uuid4())
        assert response.status_code == 404
        assert response.json()["error"] == "reservation_not_found"

    async def test_a_malformed_order_id_is_422(self, client: AsyncClient, auth: dict[str, str]) -> None:
        response = await client.post("/inven/reservations/not-a-uuid/cancel", headers=auth)
        assert response.status_code == 422

    async def test_a_customer_cannot_cancel_and_nothing_changes(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str], signing_key: SigningKey
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        response = await cancel(client, bearer(customer_token(signing_key)), order_id)
        assert response.status_code == 403 and response.json()["error"] == "forbidden"
        assert await levels(sessionmaker, book) == (3, 2)
        assert await status(sessionmaker, order_id) == "held"
