"""Integration fixtures: a real PostgreSQL and Redis named by INVENTORY_TEST_DATABASE_URL and
INVENTORY_TEST_REDIS_URL (disposable: the schema is migrated down and up, rows are added)."""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from factories import SigningKey, jwks
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory import migrate
from inventory.config import Settings
from inventory.main import create_app
from servicekit.auth.jwks import JwksFetcher

DATABASE_URL = os.environ.get("INVENTORY_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("INVENTORY_TEST_REDIS_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if DATABASE_URL and REDIS_URL:
        return
    if os.environ.get("BOOKSTORE_REQUIRE_INTEGRATION"):
        raise pytest.UsageError("make test must run the integration tests: INVENTORY_TEST_* are not set")
    skip = pytest.mark.skip(
        reason="set INVENTORY_TEST_DATABASE_URL and INVENTORY_TEST_REDIS_URL to a disposable PostgreSQL "
        "database and Redis to run the integration tests (see services/inventory/README.md)"
    )
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(skip)


def make_settings(**overrides: Any) -> Settings:
    assert DATABASE_URL and REDIS_URL
    values: dict[str, Any] = {
        "database_url": DATABASE_URL,
        "redis_url": REDIS_URL,
        "rate_limit_per_minute": 100_000,
        "service_rate_limit_per_minute": 1_000_000,
        "expiry_interval_seconds": 3600,  # tests run the sweep themselves
        "jwks_min_refresh_seconds": 0,
        "consumer_enabled": False,  # the Kafka consumer is tested against the running platform
    }
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
async def migrated() -> None:
    assert DATABASE_URL
    # Alembic's env.py runs its own event loop, so keep it off the test loop's thread.
    await asyncio.to_thread(migrate.upgrade, DATABASE_URL)


@pytest.fixture(scope="session")
def build_app(migrated: None, signing_key: SigningKey) -> Callable[..., FastAPI]:
    """An app with the test settings (plus overrides) whose JWKS is the test signing key."""

    async def fetch_jwks() -> dict[str, Any]:
        return jwks(signing_key)

    def build(jwks_fetcher: JwksFetcher = fetch_jwks, **overrides: Any) -> FastAPI:
        return create_app(make_settings(**overrides), jwks_fetcher=jwks_fetcher)

    return build


@pytest.fixture(scope="session")
async def app(build_app: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    app = build_app()
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app), base_url="http://inventory.test") as client:
        yield client


@pytest.fixture(scope="session")
def sessionmaker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    return app.state.sessionmaker  # type: ignore[no-any-return]
