"""Integration fixtures: the ecom app and the inventory app it reserves from, both in-process, on real
PostgreSQL databases and Redis named by ECOM_TEST_* and INVENTORY_TEST_* (disposable twins that
`make test` provides). Inventory listens on a loopback port (uvicorn), so ecom's real client calls it over
TCP. Tokens are signed by a test key both apps trust; the platform tests cover Keycloak, the gateway and Kafka."""

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import inventory.config
import inventory.main
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from factories import SigningKey, jwks, service_token
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from inventory import migrate as inventory_migrate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom import migrate
from ecom.config import Settings
from ecom.main import create_app

ENV = {
    name: os.environ.get(name)
    for name in (
        "ECOM_TEST_DATABASE_URL",
        "ECOM_TEST_REDIS_URL",
        "INVENTORY_TEST_DATABASE_URL",
        "INVENTORY_TEST_REDIS_URL",
    )
}
BASE_URL = "https://ecom.test"  # https so the client's cookie jar sends the Secure guest cookie


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if all(ENV.values()):
        return
    missing = ", ".join(name for name, value in ENV.items() if not value)
    if os.environ.get("BOOKSTORE_REQUIRE_INTEGRATION"):
        raise pytest.UsageError(f"make test must run the ecom integration tests: {missing} not set")
    skip = pytest.mark.skip(
        reason=f"set {missing} to disposable PostgreSQL databases and Redis to run the integration tests "
        '(`eval "$(.venv/bin/bookstore test-env)"` with the platform up; see services/ecom/README.md)'
    )
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(skip)


class StaticServiceToken:
    """The ecom service account's token, signed by the test key instead of fetched from Keycloak."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.invalidations = 0

    async def get(self) -> str:
        return self.token

    def invalidate(self) -> None:
        self.invalidations += 1


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": ENV["ECOM_TEST_DATABASE_URL"],
        "redis_url": ENV["ECOM_TEST_REDIS_URL"],
        "rate_limit_per_minute": 1_000_000,
        "jwks_min_refresh_seconds": 0,
        "recovery_interval_seconds": 3600,  # tests run the sweep themselves
        "idempotency_wait_seconds": 10,
        # Service tokens are signed by the test key (StaticServiceToken), so there is no client secret.
        "environment": "development",
    }
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
async def migrated() -> None:
    # Alembic's env.py runs its own event loop, so keep it off the test loop's thread.
    await asyncio.to_thread(migrate.upgrade, ENV["ECOM_TEST_DATABASE_URL"])
    await asyncio.to_thread(inventory_migrate.upgrade, ENV["INVENTORY_TEST_DATABASE_URL"])


@pytest.fixture(scope="session")
async def jwks_fetcher(signing_key: SigningKey) -> Callable[[], Any]:
    async def fetch() -> dict[str, Any]:
        return jwks(signing_key)

    return fetch


@pytest.fixture(scope="session")
async def inventory_app(migrated: None, jwks_fetcher: Callable[[], Any]) -> AsyncIterator[FastAPI]:
    settings = inventory.config.Settings(
        database_url=ENV["INVENTORY_TEST_DATABASE_URL"],  # type: ignore[arg-type]
        redis_url=ENV["INVENTORY_TEST_REDIS_URL"],  # type: ignore[arg-type]
        consumer_enabled=False,
        rate_limit_per_minute=1_000_000,
        service_rate_limit_per_minute=10_000_000,
        expiry_interval_seconds=3600,
    )
    app = inventory.main.create_app(settings, jwks_fetcher=jwks_fetcher)
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def inventory_url(inventory_app: FastAPI) -> AsyncIterator[str]:
    """Where the in-process inventory listens: uvicorn on a loopback port, in the tests' event loop."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(inventory_app, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            serving.result()  # raises why it stopped
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    await serving


@pytest.fixture(scope="session")
def service_tokens(signing_key: SigningKey) -> StaticServiceToken:
    return StaticServiceToken(service_token(signing_key))


@pytest.fixture(scope="session")
def build_app(
    migrated: None,
    inventory_url: str,
    jwks_fetcher: Callable[[], Any],
    service_tokens: StaticServiceToken,
) -> Callable[..., FastAPI]:
    """An ecom app with the test settings (plus overrides); inventory calls go to the in-process inventory."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(
            make_settings(**{"inventory_url": inventory_url, **overrides}),
            jwks_fetcher=jwks_fetcher,
            service_tokens=service_tokens,
        )

    return build


@pytest.fixture(scope="session")
async def app(build_app: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    app = build_app()
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A fresh client (own cookie jar) per test, so guest carts never leak between tests."""
    async with AsyncClient(transport=ASGITransport(app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def new_client(app: FastAPI) -> Callable[[], AsyncClient]:
    return lambda: AsyncClient(transport=ASGITransport(app), base_url=BASE_URL)


@pytest.fixture(scope="session")
def ecom_db(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    return app.state.sessionmaker  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def inventory_db(inventory_app: FastAPI) -> async_sessionmaker[AsyncSession]:
    return inventory_app.state.sessionmaker  # type: ignore[no-any-return]
