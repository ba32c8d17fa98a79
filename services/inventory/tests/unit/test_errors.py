import uuid

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel, Field

from inventory.stock.exceptions import InsufficientStock
from inventory.stock.schemas import ShortLine
from servicekit.auth.exceptions import InvalidToken, MissingRole
from servicekit.errors import TooManyRequests, register_error_handlers

BOOK = uuid.UUID("bd8457d0-6b44-575c-8f1a-fe5426581170")


class Body(BaseModel):
    quantity: int = Field(ge=1)


def app_raising(exc: Exception) -> AsyncClient:
    app = FastAPI()
    register_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    @app.post("/body")
    async def body(payload: Body) -> Body:
        return payload

    return AsyncClient(transport=ASGITransport(app, raise_app_exceptions=False), base_url="http://test")


class TestErrorRendering:
    async def test_service_errors_render_as_error_and_detail(self) -> None:
        response = await app_raising(MissingRole("admin")).get("/boom")
        assert response.status_code == 403
        assert response.json() == {"error": "forbidden", "detail": "requires the 'admin' role"}

    async def test_unauthorized_carries_www_authenticate(self) -> None:
        response = await app_raising(InvalidToken("token expired")).get("/boom")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_insufficient_stock_names_each_short_line(self) -> None:
        lines = [ShortLine(book_id=BOOK, requested=3, available=1)]
        response = await app_raising(InsufficientStock(lines)).get("/boom")
        assert response.status_code == 409
        assert response.json()["error"] == "insufficient_stock"
        assert response.json()["lines"] == [{"book_id": str(BOOK), "requested": 3, "available": 1}]

    async def test_rate_limited_carries_retry_after(self) -> None:
        response = await app_raising(TooManyRequests(17)).get("/boom")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "17"

    @pytest.mark.parametrize("payload", [{"quantity": 0}, {"quantity": "many"}, {}])
    async def test_validation_errors_are_422_validation_error(self, payload: dict[str, object]) -> None:
        response = await app_raising(RuntimeError()).post("/body", json=payload)
        assert response.status_code == 422
        assert response.json()["error"] == "validation_error"
        assert response.json()["detail"][0]["loc"][0] == "body"

    async def test_unknown_routes_are_json_404(self) -> None:
        response = await app_raising(RuntimeError()).get("/nope")
        assert response.status_code == 404
        assert response.json() == {"error": "not_found", "detail": "Not Found"}

    async def test_unexpected_errors_hide_their_details(self) -> None:
        response = await app_raising(RuntimeError("database password is hunter2")).get("/boom")
        assert response.status_code == 500
        assert response.json() == {"error": "internal_error", "detail": "internal server error"}
