import uuid

from factories import create_stock
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class TestGetStock:
    async def test_known_book_returns_its_levels(
        self, client: AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        book_id = await create_stock(sessionmaker, 7)
        response = await client.get(f"/inven/stock/{book_id}")
        assert response.status_code == 200
        body = response.json()
        assert (body["book_id"], body["available"], body["reserved"]) == (str(book_id), 7, 0)
        assert body["updated_at"]

    async def test_unknown_book_is_404_book_not_found(self, client: AsyncClient) -> None:
        response = await client.get(f"/inven/stock/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json()["error"] == "book_not_found"

    async def test_malformed_id_is_422(self, client: AsyncClient) -> None:
        response = await client.get("/inven/stock/not-a-uuid")
        assert response.status_code == 422
        assert response.json()["error"] == "validation_error"

    async def test_responses_carry_a_trace_id_and_keep_the_gateways(self, client: AsyncClient) -> None:
        generated = await client.get(f"/inven/stock/{uuid.uuid4()}")
        forwarded = await client.get(f"/inven/stock/{uuid.uuid4()}", headers={"X-Request-Id": "gw-abc123"})
        assert len(generated.headers["x-request-id"]) == 32
        assert forwarded.headers["x-request-id"] == "gw-abc123"


class TestListStock:
    async def test_returns_known_ids_and_omits_unknown_ones(
        self, client: AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        first, second = await create_stock(sessionmaker, 1), await create_stock(sessionmaker, 2)
        ids = ",".join(str(i) for i in (first, uuid.uuid4(), second))
        response = await client.get("/inven/stock", params={"ids": ids})
        assert response.status_code == 200
        assert {(s["book_id"], s["available"]) for s in response.json()} == {(str(first), 1), (str(second), 2)}

    async def test_accepts_100_ids(self, client: AsyncClient) -> None:
        ids = ",".join(str(uuid.uuid4()) for _ in range(100))
        response = await client.get("/inven/stock", params={"ids": ids})
        assert response.status_code == 200
        assert response.json() == []

    async def test_refuses_more_than_100_ids(self, client: AsyncClient) -> None:
        ids = ",".join(str(uuid.uuid4()) for _ in range(101))
        response = await client.get("/inven/stock", params={"ids": ids})
        assert response.status_code == 422
        assert response.json()["error"] == "validation_error"

    async def test_refuses_no_ids_or_a_malformed_one(self, client: AsyncClient) -> None:
        assert (await client.get("/inven/stock")).status_code == 422
        assert (await client.get("/inven/stock", params={"ids": ""})).status_code == 422
        assert (await client.get("/inven/stock", params={"ids": f"{uuid.uuid4()},nope"})).status_code == 422
