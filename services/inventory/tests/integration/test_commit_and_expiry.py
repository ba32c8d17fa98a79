import asyncio
import uuid
from typing import Any

import pytest
from factories import SigningKey, bearer, create_stock, fetch_all, reservation_body, service_token
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.reservations.exceptions import ReservationNotFound, ReservationNotHeld
from inventory.reservations.expiry import sweep
from inventory.reservations.service import CommitOutcome, commit_reservation, expire_reservations
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


async def commit(sessionmaker: Sessions, order_id: uuid.UUID, event_id: uuid.UUID) -> CommitOutcome:
    async with sessionmaker() as session, session.begin():
        return await commit_reservation(await driver_connection(session), order_id, event_id)


async def make_overdue(sessionmaker: Sessions, order_id: uuid.UUID) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE reservation SET expires_at = now() - interval '1 second' WHERE order_id = :id"),
            {"id": order_id},
        )


async def state(sessionmaker: Sessions, order_id: uuid.UUID, book_id: uuid.UUID) -> dict[str, Any]:
    [row] = await fetch_all(
        sessionmaker,
        "SELECT r.status, s.available, s.reserved FROM reservation r, stock s"
        " WHERE r.order_id = :order_id AND s.book_id = :book_id",
        order_id=order_id,
        book_id=book_id,
    )
    return row


async def event_reasons(sessionmaker: Sessions, book_id: uuid.UUID) -> list[str]:
    rows = await fetch_all(
        sessionmaker, "SELECT payload FROM outbox WHERE aggregateid = :id ORDER BY created_at", id=str(book_id)
    )
    return [row["payload"]["reason"] for row in rows]


class TestCommit:
    async def test_commit_takes_units_out_of_reserved_and_leaves_available(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        assert await commit(sessionmaker, order_id, uuid.uuid4()) == CommitOutcome.COMMITTED
        assert await state(sessionmaker, order_id, book) == {"status": "committed", "available": 3, "reserved": 0}
        assert await event_reasons(sessionmaker, book) == ["reserve"]

    async def test_a_replayed_event_commits_once(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        event_id = uuid.uuid4()
        outcomes = [await commit(sessionmaker, order_id, event_id) for _ in range(3)]
        assert outcomes == [CommitOutcome.COMMITTED, CommitOutcome.DUPLICATE_EVENT, CommitOutcome.DUPLICATE_EVENT]
        assert await commit(sessionmaker, order_id, uuid.uuid4()) == CommitOutcome.ALREADY_COMMITTED
        assert await state(sessionmaker, order_id, book) == {"status": "committed", "available": 3, "reserved": 0}

    async def test_concurrent_deliveries_of_one_event_commit_once(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        event_id = uuid.uuid4()
        outcomes = await asyncio.gather(*(commit(sessionmaker, order_id, event_id) for _ in range(5)))
        assert sorted(outcomes) == sorted([CommitOutcome.COMMITTED] + [CommitOutcome.DUPLICATE_EVENT] * 4)
        assert (await state(sessionmaker, order_id, book))["reserved"] == 0

    async def test_a_committed_reservation_cannot_be_released(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await commit(sessionmaker, order_id, uuid.uuid4())
        response = await client.delete(f"/inven/reservations/{order_id}", headers=auth)
        assert response.status_code == 409
        assert response.json()["error"] == "reservation_committed"

    async def test_an_unknown_reservation_is_refused_and_the_event_not_recorded(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        event_id = uuid.uuid4()
        with pytest.raises(ReservationNotFound):
            await commit(sessionmaker, uuid.uuid4(), event_id)
        assert await fetch_all(sessionmaker, "SELECT 1 FROM processed_event WHERE event_id = :id", id=event_id) == []

    async def test_an_order_whose_reservation_expired_takes_its_units_again(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await make_overdue(sessionmaker, order_id)
        await sweep(sessionmaker, batch_size=100)
        assert await state(sessionmaker, order_id, book) == {"status": "expired", "available": 5, "reserved": 0}
        assert await commit(sessionmaker, order_id, uuid.uuid4()) == CommitOutcome.COMMITTED_AFTER_EXPIRY
        assert await state(sessionmaker, order_id, book) == {"status": "committed", "available": 3, "reserved": 0}
        assert await event_reasons(sessionmaker, book) == ["reserve", "expire", "reserve"]
        assert await commit(sessionmaker, order_id, uuid.uuid4()) == CommitOutcome.ALREADY_COMMITTED
        # Cancelling the order later returns the units once.
        assert (await client.post(f"/inven/reservations/{order_id}/cancel", headers=auth)).status_code == 200
        assert await state(sessionmaker, order_id, book) == {"status": "cancelled", "available": 5, "reserved": 0}

    async def test_an_expired_order_whose_units_were_sold_meanwhile_is_refused_and_nothing_changes(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book, other = await create_stock(sessionmaker, 3), await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2), (other, 1))
        await make_overdue(sessionmaker, order_id)
        await sweep(sessionmaker, batch_size=100)
        await reserve(client, auth, (book, 2))  # another customer buys the released copies
        event_id = uuid.uuid4()
        with pytest.raises(ReservationNotHeld, match=f"book {book}: 2 ordered, 1 left"):
            await commit(sessionmaker, order_id, event_id)
        assert await state(sessionmaker, order_id, book) == {"status": "expired", "available": 1, "reserved": 2}
        assert (await state(sessionmaker, order_id, other))["available"] == 5  # no line was taken
        assert await fetch_all(sessionmaker, "SELECT 1 FROM processed_event WHERE event_id = :id", id=event_id) == []


class TestExpiry:
    async def test_overdue_reservations_are_released_with_an_expire_event(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        overdue = await reserve(client, auth, (book, 2))
        current = await reserve(client, auth, (book, 1))
        await make_overdue(sessionmaker, overdue)
        assert await sweep(sessionmaker, batch_size=100) >= 1
        assert await state(sessionmaker, overdue, book) == {"status": "expired", "available": 4, "reserved": 1}
        assert (await state(sessionmaker, current, book))["status"] == "held"
        assert await event_reasons(sessionmaker, book) == ["reserve", "reserve", "expire"]
        [event] = await fetch_all(
            sessionmaker,
            "SELECT payload FROM outbox WHERE aggregateid = :id AND payload->>'reason' = 'expire'",
            id=str(book),
        )
        assert event["payload"]["order_id"] == str(overdue)
        assert (event["payload"]["previous_available"], event["payload"]["new_available"]) == (2, 4)

    async def test_releasing_an_expired_reservation_is_a_no_op(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = await reserve(client, auth, (book, 2))
        await make_overdue(sessionmaker, order_id)
        await sweep(sessionmaker, batch_size=100)
        response = await client.delete(f"/inven/reservations/{order_id}", headers=auth)
        assert response.status_code == 200 and response.json()["status"] == "expired"
        assert await state(sessionmaker, order_id, book) == {"status": "expired", "available": 5, "reserved": 0}

    async def test_concurrent_sweepers_release_each_reservation_once(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        books = [await create_stock(sessionmaker, 12) for _ in range(3)]
        orders = [await reserve(client, auth, *[(b, 1) for b in books]) for _ in range(12)]
        for order_id in orders:
            await make_overdue(sessionmaker, order_id)

        async def sweeper() -> int:
            async with sessionmaker() as session, session.begin():
                return await expire_reservations(session, limit=5)

        # Six sweeps of five would release 30 if rows were taken twice; there are only 12.
        released = await asyncio.gather(*(sweeper() for _ in range(6)))
        assert sum(released) <= 12
        await sweep(sessionmaker, batch_size=100)
        for book in books:
            [row] = await fetch_all(sessionmaker, "SELECT available, reserved FROM stock WHERE book_id = :id", id=book)
            assert (row["available"], row["reserved"]) == (12, 0)
            assert (await event_reasons(sessionmaker, book)).count("expire") == 12

    async def test_the_background_task_expires_reservations(
        self, build_app: Any, sessionmaker: Sessions, signing_key: SigningKey
    ) -> None:
        from factories import serve

        async with serve(build_app(expiry_interval_seconds=0.1, reservation_ttl_seconds=1)) as fast:
            book = await create_stock(sessionmaker, 3)
            order_id = await reserve(fast, bearer(service_token(signing_key)), (book, 3))
            for _ in range(100):
                if (await state(sessionmaker, order_id, book))["status"] == "expired":
                    break
                await asyncio.sleep(0.1)
        assert await state(sessionmaker, order_id, book) == {"status": "expired", "available": 3, "reserved": 0}
