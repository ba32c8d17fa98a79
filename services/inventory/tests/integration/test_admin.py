import uuid
from typing import Any

import pytest
from factories import SigningKey, admin_token, bearer, create_stock, fetch_all
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def auth(signing_key: SigningKey) -> dict[str, str]:
    return bearer(admin_token(signing_key))


async def changes(sessionmaker: Sessions, book_id: uuid.UUID) -> list[dict[str, Any]]:
    """Each movement joined with the outbox event written alongside it."""
    return await fetch_all(
        sessionmaker,
        "SELECT m.delta, m.reason, m.note, m.actor, o.aggregatetype, o.aggregateid, o.type, o.payload"
        " FROM stock_movement m JOIN outbox o ON o.id = m.id WHERE m.book_id = :id ORDER BY m.created_at",
        id=book_id,
    )


class TestAdminList:
    async def test_pages_through_all_stock(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        await create_stock(sessionmaker, 1)
        first = (await client.get("/inven/admin/stock", params={"page": 1, "size": 2}, headers=auth)).json()
        second = (await client.get("/inven/admin/stock", params={"page": 2, "size": 2}, headers=auth)).json()
        assert first["total"] == second["total"] >= 1
        assert (first["page"], first["size"], len(first["items"])) == (1, 2, min(2, first["total"]))
        assert not {i["book_id"] for i in first["items"]} & {i["book_id"] for i in second["items"]}

    @pytest.mark.parametrize("params", [{"size": 101}, {"size": 0}, {"page": 0}])
    async def test_refuses_out_of_range_paging(
        self, client: AsyncClient, auth: dict[str, str], params: dict[str, int]
    ) -> None:
        assert (await client.get("/inven/admin/stock", params=params, headers=auth)).status_code == 422


class TestAdminSet:
    async def test_set_records_a_movement_and_one_event(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 4)
        response = await client.put(f"/inven/admin/stock/{book}", json={"available": 9}, headers=auth)
        assert response.status_code == 200
        assert response.json()["available"] == 9
        [change] = await changes(sessionmaker, book)
        assert (change["delta"], change["reason"], change["actor"]) == (5, "admin_set", "admin1")
        assert (change["aggregatetype"], change["aggregateid"], change["type"]) == (
            "inventory",
            str(book),
            "inventory.updated",
        )
        payload = change["payload"]
        assert (payload["previous_available"], payload["new_available"], payload["delta"]) == (4, 9, 5)
        assert (payload["reason"], payload["order_id"]) == ("admin_set", None)

    async def test_setting_the_current_value_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 4)
        response = await client.put(f"/inven/admin/stock/{book}", json={"available": 4}, headers=auth)
        assert response.status_code == 200 and response.json()["available"] == 4
        assert await changes(sessionmaker, book) == []

    async def test_a_book_new_to_inventory_gets_its_first_stock_row(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = uuid.uuid4()  # an admin just added it to the catalog
        response = await client.put(f"/inven/admin/stock/{book}", json={"available": 3}, headers=auth)
        assert (response.status_code, response.json()["available"]) == (200, 3)
        assert [(c["delta"], c["reason"]) for c in await changes(sessionmaker, book)] == [(3, "admin_set")]
        assert (await client.get(f"/inven/stock/{book}")).json()["available"] == 3

    async def test_negative_is_422_and_creates_nothing(self, client: AsyncClient, auth: dict[str, str]) -> None:
        book = uuid.uuid4()
        assert (await client.put(f"/inven/admin/stock/{book}", json={"available": -1}, headers=auth)).status_code == 422
        assert (await client.get(f"/inven/stock/{book}")).status_code == 404


class TestAdminAdjust:
    async def test_a_nul_character_in_the_reason_is_422_and_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 4)
        response = await client.post(
            f"/inven/admin/stock/{book}/adjust", json={"delta": 1, "reason": "bad\u0000reason"}, headers=auth
        )
        assert response.status_code == 422
        assert (await client.get(f"/inven/stock/{book}")).json()["available"] == 4

    async def test_adjust_records_the_reason(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 4)
        up = await client.post(
            f"/inven/admin/stock/{book}/adjust", json={"delta": 6, "reason": "delivery"}, headers=auth
        )
        down = await client.post(
            f"/inven/admin/stock/{book}/adjust", json={"delta": -3, "reason": "water damage"}, headers=auth
        )
        assert (up.json()["available"], down.json()["available"]) == (10, 7)
        recorded = await changes(sessionmaker, book)
        assert [(c["delta"], c["reason"], c["note"]) for c in recorded] == [
            (6, "admin_adjust", "delivery"),
            (-3, "admin_adjust", "water damage"),
        ]
        assert [(c["payload"]["previous_available"], c["payload"]["new_available"]) for c in recorded] == [
            (4, 10),
            (10, 7),
        ]

    async def test_adjusting_below_zero_is_409_and_changes_nothing(
        self, client: AsyncClient, sessionmaker: Sessions, auth: dict[str, str]
    ) -> None:
        book = await create_stock(sessionmaker, 2)
        response = await client.post(
            f"/inven/admin/stock/{book}/adjust", json={"delta": -3, "reason": "recount"}, headers=auth
        )
        assert response.status_code == 409
        assert response.json()["error"] == "negative_stock"
        assert (await client.get(f"/inven/stock/{book}")).json()["available"] == 2
        assert await changes(sessionmaker, book) == []

    @pytest.mark.parametrize("body", [{"delta": 0, "reason": "x"}, {"delta": 1, "reason": ""}, {"delta": 1}])
    async def test_invalid_adjustments_are_422(
        self, client: AsyncClient, auth: dict[str, str], body: dict[str, Any]
    ) -> None:
        response = await client.post(f"/inven/admin/stock/{uuid.uuid4()}/adjust", json=body, headers=auth)
        assert response.status_code == 422
