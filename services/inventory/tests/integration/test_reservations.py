import asyncio
import uuid
from typing import Any

import pytest
from factories import SigningKey, bearer, create_stock, fetch_all, reservation_body, service_token
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def auth(signing_key: SigningKey) -> dict[str, str]:
    return bearer(service_token(signing_key))


async def levels(sessionmaker: Sessions, book_id: uuid.UUID) -> tuple[int, int]:
    [row] = await fetch_all(sessionmaker, "SELECT available, reserved FROM stock WHERE book_id = :id", id=book_id)
    return row["available"], row["reserved"]


async def events(sessionmaker: Sessions, book_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await fetch_all(
        sessionmaker, "SELECT payload FROM outbox WHERE aggregateid = :id ORDER BY created_at", id=str(book_id)
    )
    return [row["payload"] for row in rows]


async def movements(sessionmaker: Sessions, book_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch_all(
        sessionmaker, "SELECT * FROM stock_movement WHERE book_id = :id ORDER BY created_at", id=book_id
    )


class TestReserve:
    async def test_reserving_moves_units_from_available_to_reserved(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        a, b = await create_stock(sessionmaker, 5), await create_stock(sessionmaker, 3)
        body = reservation_body((a, 2), (b, 3))
        response = await client.post("/inven/reservations", json=body, headers=auth)
        assert response.status_code == 201
        result = response.json()
        assert result["order_id"] == body["order_id"] and result["status"] == "held"
        assert sorted((i["book_id"], i["quantity"]) for i in result["items"]) == sorted([(str(a), 2), (str(b), 3)])
        assert result["expires_at"]
        assert await levels(sessionmaker, a) == (3, 2)
        assert await levels(sessionmaker, b) == (0, 3)

    async def test_each_reserved_line_writes_one_movement_and_one_event(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        a, b = await create_stock(sessionmaker, 5), await create_stock(sessionmaker, 3)
        body = reservation_body((a, 2), (b, 1))
        await client.post("/inven/reservations", json=body, headers=auth)
        [event] = await events(sessionmaker, a)
        assert event["book_id"] == str(a) and event["order_id"] == body["order_id"]
        assert (event["previous_available"], event["new_available"], event["delta"]) == (5, 3, -2)
        assert event["reason"] == "reserve"
        [movement] = await movements(sessionmaker, a)
        assert str(movement["id"]) == event["event_id"]
        assert (movement["delta"], movement["reason"]) == (-2, "reserve")
        assert movement["actor"] == "service-account-ecom-service"
        assert len(await events(sessionmaker, b)) == 1

    async def test_insufficient_stock_names_every_short_line_and_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        plenty, short, shorter = [await create_stock(sessionmaker, n) for n in (10, 2, 0)]
        body = reservation_body((plenty, 5), (short, 3), (shorter, 1))
        response = await client.post("/inven/reservations", json=body, headers=auth)
        assert response.status_code == 409
        assert response.json()["error"] == "insufficient_stock"
        assert sorted((line["book_id"], line["requested"], line["available"]) for line in response.json()["lines"]) == (
            sorted([(str(short), 3, 2), (str(shorter), 1, 0)])
        )
        assert await levels(sessionmaker, plenty) == (10, 0)
        assert await events(sessionmaker, plenty) == []
        # Nothing was kept, so the same order may try again once stock arrives.
        retry = await client.post(
            "/inven/reservations",
            json=reservation_body((plenty, 5), order_id=uuid.UUID(body["order_id"])),
            headers=auth,
        )
        assert retry.status_code == 201

    async def test_unknown_book_is_404_naming_it_and_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        known, unknown = await create_stock(sessionmaker, 4), uuid.uuid4()
        response = await client.post(
            "/inven/reservations", json=reservation_body((known, 1), (unknown, 1)), headers=auth
        )
        assert response.status_code == 404
        assert response.json()["error"] == "book_not_found"
        assert response.json()["book_ids"] == [str(unknown)]
        assert await levels(sessionmaker, known) == (4, 0)

    @pytest.mark.parametrize(
        "items",
        [[], [{"book_id": "x", "quantity": 1}], [{"book_id": str(uuid.uuid4()), "quantity": 1001}]],
    )
    async def test_invalid_bodies_are_422(self, client: AsyncClient, auth: dict[str, str], items: list[Any]) -> None:
        response = await client.post(
            "/inven/reservations", json={"order_id": str(uuid.uuid4()), "items": items}, headers=auth
        )
        assert response.status_code == 422
        assert response.json()["error"] == "validation_error"


class TestIdempotency:
    async def test_the_same_reservation_twice_decrements_once(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        body = reservation_body((book, 2))
        first = await client.post("/inven/reservations", json=body, headers=auth)
        second = await client.post("/inven/reservations", json=body, headers=auth)
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json() == first.json()
        assert await levels(sessionmaker, book) == (3, 2)
        assert len(await events(sessionmaker, book)) == 1

    async def test_same_order_with_different_items_is_409_reservation_conflict(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        order_id = uuid.uuid4()
        await client.post("/inven/reservations", json=reservation_body((book, 2), order_id=order_id), headers=auth)
        response = await client.post(
            "/inven/reservations", json=reservation_body((book, 3), order_id=order_id), headers=auth
        )
        assert response.status_code == 409
        assert response.json()["error"] == "reservation_conflict"
        assert await levels(sessionmaker, book) == (3, 2)

    async def test_concurrent_duplicates_decrement_once(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 50)
        body = reservation_body((book, 3))
        responses = await asyncio.gather(
            *(client.post("/inven/reservations", json=body, headers=auth) for _ in range(20))
        )
        assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
        assert await levels(sessionmaker, book) == (47, 3)
        assert len(await events(sessionmaker, book)) == 1


class TestNoOversell:
    async def test_100_concurrent_reservations_for_10_units_reserve_exactly_10(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 10)
        responses = await asyncio.gather(
            *(client.post("/inven/reservations", json=reservation_body((book, 1)), headers=auth) for _ in range(100))
        )
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {201, 409}
        assert statuses.count(201) == 10
        assert await levels(sessionmaker, book) == (0, 10)
        assert len(await events(sessionmaker, book)) == 10

    async def test_concurrent_multi_line_orders_over_shared_books_neither_oversell_nor_deadlock(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        books = [await create_stock(sessionmaker, 20) for _ in range(4)]
        # Lines listed in different orders by different requests: locking must not depend on it.
        orders = [reservation_body(*[(b, 1) for b in (books if i % 2 else books[::-1])]) for i in range(40)]
        responses = await asyncio.gather(*(client.post("/inven/reservations", json=o, headers=auth) for o in orders))
        assert sorted({r.status_code for r in responses}) == [201, 409]
        assert [r.status_code for r in responses].count(201) == 20
        for book in books:
            assert await levels(sessionmaker, book) == (0, 20)


class TestRelease:
    async def test_release_restores_stock_and_is_idempotent(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        body = reservation_body((book, 4))
        await client.post("/inven/reservations", json=body, headers=auth)
        first = await client.delete(f"/inven/reservations/{body['order_id']}", headers=auth)
        second = await client.delete(f"/inven/reservations/{body['order_id']}", headers=auth)
        assert (first.status_code, second.status_code) == (200, 200)
        assert first.json()["status"] == second.json()["status"] == "released"
        assert await levels(sessionmaker, book) == (5, 0)
        reserve, release = await events(sessionmaker, book)
        assert (release["reason"], release["delta"], release["new_available"]) == ("release", 4, 5)
        assert release["order_id"] == body["order_id"]

    async def test_replaying_a_released_reservation_does_not_reserve_again(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        body = reservation_body((book, 4))
        await client.post("/inven/reservations", json=body, headers=auth)
        await client.delete(f"/inven/reservations/{body['order_id']}", headers=auth)
        replay = await client.post("/inven/reservations", json=body, headers=auth)
        assert replay.status_code == 200 and replay.json()["status"] == "released"
        assert await levels(sessionmaker, book) == (5, 0)

    async def test_unknown_reservation_is_404(self, client: AsyncClient, auth: dict[str, str]) -> None:
        response = await client.delete(f"/inven/reservations/{uuid.uuid4()}", headers=auth)
        assert response.status_code == 404
        assert response.json()["error"] == "reservation_not_found"
