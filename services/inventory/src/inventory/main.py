import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from inventory.admin.router import router as admin_router
from inventory.config import API_PREFIX, Settings, get_settings
from inventory.events.consumer import OrderCreatedConsumer
from inventory.health.router import router as health_router
from inventory.reservations.expiry import run_expiry_loop
from inventory.reservations.router import router as reservations_router
from inventory.stock.router import router as stock_router
from servicekit.app import Cors, ServiceInfo, background, create_service_app
from servicekit.auth.jwks import JwksFetcher
from servicekit.db import plain_transaction

SERVICE = ServiceInfo(
    name="inventory",
    api_prefix=API_PREFIX,
    title="Inventory service",
    description="Stock levels, atomic reservations with expiry, and inventory.updated events.",
    # The reservation API (POST, DELETE) is for the ecom service, never a browser.
    cors=Cors(["GET", "PUT", "POST"]),
)


def create_app(settings: Settings | None = None, *, jwks_fetcher: JwksFetcher | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """The reservation expiry sweep and, unless turned off, the order.created consumer."""
        sessionmaker = app.state.sessionmaker
        consumer = (
            OrderCreatedConsumer(lambda: plain_transaction(app.state.plain_pool), bootstrap=settings.kafka_bootstrap)
            if settings.consumer_enabled
            else None
        )
        app.state.consumer = consumer
        expiry = run_expiry_loop(
            sessionmaker, interval_seconds=settings.expiry_interval_seconds, batch_size=settings.expiry_batch_size
        )
        async with background(expiry, *([consumer.run()] if consumer else [])):
            yield

    return create_service_app(
        settings,
        SERVICE,
        (stock_router, reservations_router, admin_router, health_router),
        lifespan=lifespan,
        jwks_fetcher=jwks_fetcher,
    )
