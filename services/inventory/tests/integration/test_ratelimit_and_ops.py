import uuid
from collections.abc import Callable

from factories import (
    SigningKey,
    admin_token,
    bearer,
    create_stock,
    customer_token,
    reservation_body,
    serve,
    service_token,
)
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

DOWN_REDIS = "redis://:devpw@127.0.0.1:1/0"  # nothing listens on port 1


class TestRateLimit:
    async def test_anonymous_clients_get_429_with_retry_after_per_address(
        self, build_app: Callable[..., FastAPI]
    ) -> None:
        async with serve(build_app(rate_limit_per_minute=3)) as client:
            mine = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250}, 10.{uuid.uuid4().int % 250}.0.1"}
            statuses = [(await client.get(f"/inven/stock/{uuid.uuid4()}", headers=mine)).status_code for _ in range(4)]
            assert statuses == [404, 404, 404, 429]
            limited = await client.get(f"/inven/stock/{uuid.uuid4()}", headers=mine)
            assert limited.json()["error"] == "rate_limited"
            assert 1 <= int(limited.headers["retry-after"]) <= 60
            # The client-supplied first hop is not trusted: another made-up one shares the bucket.
            spoofed = {"X-Forwarded-For": f"203.0.113.77, {mine['X-Forwarded-For'].split(', ')[1]}"}
            assert (await client.get(f"/inven/stock/{uuid.uuid4()}", headers=spoofed)).status_code == 429
            someone_else = {"X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.1.2"}
            assert (await client.get(f"/inven/stock/{uuid.uuid4()}", headers=someone_else)).status_code == 404

    async def test_authenticated_callers_are_limited_by_subject(
        self, build_app: Callable[..., FastAPI], signing_key: SigningKey
    ) -> None:
        async with serve(build_app(rate_limit_per_minute=2)) as client:
            subject = str(uuid.uuid4())
            headers = bearer(customer_token(signing_key, sub=subject))
            for hop in range(2):
                forwarded = headers | {"X-Forwarded-For": f"10.0.{hop}.{uuid.uuid4().int % 250}"}
                assert (await client.get(f"/inven/stock/{uuid.uuid4()}", headers=forwarded)).status_code == 404
            forwarded = headers | {"X-Forwarded-For": f"10.0.9.{uuid.uuid4().int % 250}"}
            assert (await client.get(f"/inven/stock/{uuid.uuid4()}", headers=forwarded)).status_code == 429

    async def test_health_and_metrics_are_not_limited(self, build_app: Callable[..., FastAPI]) -> None:
        async with serve(build_app(rate_limit_per_minute=1)) as client:
            for _ in range(3):
                assert (await client.get("/inven/health/live")).status_code == 200


class TestRedisDown:
    async def test_reads_fail_open_and_writes_are_refused(
        self,
        build_app: Callable[..., FastAPI],
        sessionmaker: async_sessionmaker[AsyncSession],
        signing_key: SigningKey,
    ) -> None:
        book = await create_stock(sessionmaker, 5)
        async with serve(build_app(redis_url=DOWN_REDIS)) as client:
            assert (await client.get(f"/inven/stock/{book}")).status_code == 200
            response = await client.post(
                "/inven/reservations", json=reservation_body((book, 1)), headers=bearer(service_token(signing_key))
            )
            assert response.status_code == 503
            assert response.headers["retry-after"]
            ready = await client.get("/inven/health/ready")
            assert ready.status_code == 503
            assert ready.json()["error"] == "not_ready"
            assert ready.json()["checks"] == {"database": "ok", "redis": "down"}
            assert "redis" in ready.json()["detail"]


class TestOperations:
    async def test_live_and_ready(self, client: AsyncClient) -> None:
        assert (await client.get("/inven/health/live")).json() == {"status": "ok"}
        ready = await client.get("/inven/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}

    async def test_metrics_expose_latency_by_route_template_and_reservation_outcomes(
        self, client: AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], signing_key: SigningKey
    ) -> None:
        book = await create_stock(sessionmaker, 1)
        await client.get(f"/inven/stock/{book}")
        await client.post(
            "/inven/reservations", json=reservation_body((book, 2)), headers=bearer(service_token(signing_key))
        )
        text = (await client.get("/inven/metrics")).text
        assert (
            'inventory_http_request_duration_seconds_count{method="GET",route="/inven/stock/{book_id}",status="200"}'
            in text
        )
        assert str(book) not in text
        assert 'inventory_reservations_total{outcome="insufficient_stock"}' in text
        assert "# TYPE inventory_consumer_lag gauge" in text

    async def test_openapi_and_docs_are_served_under_the_prefix(self, client: AsyncClient) -> None:
        schema = (await client.get("/inven/openapi.json")).json()
        assert {"/inven/stock/{book_id}", "/inven/reservations", "/inven/admin/stock"} <= set(schema["paths"])
        assert (await client.get("/inven/docs")).status_code == 200


class TestIdentityProviderDown:
    async def test_public_reads_still_work_and_protected_routes_are_503(
        self, build_app: Callable[..., FastAPI], sessionmaker: async_sessionmaker[AsyncSession], signing_key: SigningKey
    ) -> None:
        async def unreachable() -> dict[str, object]:
            raise ConnectionError("keycloak is down")

        book = await create_stock(sessionmaker, 5)
        async with serve(build_app(jwks_fetcher=unreachable)) as client:
            headers = bearer(admin_token(signing_key))
            assert (await client.get(f"/inven/stock/{book}", headers=headers)).status_code == 200
            response = await client.get("/inven/admin/stock", headers=headers)
            assert response.status_code == 503
            assert response.json()["error"] == "identity_provider_unavailable"


class TestCors:
    PREFLIGHT = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization,content-type"}

    async def test_the_shop_ui_may_call_the_api_from_the_browser(self, client: AsyncClient) -> None:
        headers = self.PREFLIGHT | {"Origin": "https://myecom.net:30000"}
        response = await client.options(f"/inven/admin/stock/{uuid.uuid4()}", headers=headers)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://myecom.net:30000"

    async def test_other_origins_are_not_allowed(self, client: AsyncClient) -> None:
        headers = self.PREFLIGHT | {"Origin": "https://evil.example"}
        response = await client.options(f"/inven/admin/stock/{uuid.uuid4()}", headers=headers)
        assert "access-control-allow-origin" not in response.headers
