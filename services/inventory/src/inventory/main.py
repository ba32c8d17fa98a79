import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from inventory.admin.router import router as admin_router
from inventory.config import API_PREFIX, Settings, get_settings
from inventory.events.consumer import OrderCreatedConsumer
from inventory.health.router import router as health_router
from inventory.metrics import REQUEST_LATENCY
from inventory.reservations.expiry import run_expiry_loop
from inventory.reservations.router import router as reservations_router
from inventory.stock.router import router as stock_router
from servicekit.app import create_service_app, token_validator
from servicekit.auth.jwks import JwksFetcher
from servicekit.db import create_engine, create_sessionmaker
from servicekit.logs import configure_logging
from servicekit.ratelimit import RateLimiter
from servicekit.redis import redis_client


def create_app(settings: Settings | None = None, *, jwks_fetcher: JwksFetcher | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Each uvicorn worker process builds its own app, so it configures its own JSON logging.
    configure_logging(settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        redis = redis_client(settings.redis_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.redis = redis
        app.state.rate_limiter = RateLimiter(redis, prefix="inventory:ratelimit")
        app.state.token_validator = token_validator(settings, jwks_fetcher)
        consumer = (
            OrderCreatedConsumer(app.state.sessionmaker, bootstrap=settings.kafka_bootstrap)
            if settings.consumer_enabled
            else None
        )
        app.state.consumer = consumer
        consuming = asyncio.create_task(consumer.run()) if consumer else None
        expiry = asyncio.create_task(
            run_expiry_loop(
                app.state.sessionmaker,
                interval_seconds=settings.expiry_interval_seconds,
                batch_size=settings.expiry_batch_size,
            )
        )
        try:
            yield
        finally:
            for task in (expiry, consuming):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await redis.aclose()
            await engine.dispose()

    return create_service_app(
        settings,
        service="inventory",
        title="Inventory service",
        description="Stock levels, atomic reservations with expiry, and inventory.updated events.",
        api_prefix=API_PREFIX,
        lifespan=lifespan,
        routers=(stock_router, reservations_router, admin_router, health_router),
        latency=REQUEST_LATENCY,
        allow_methods=["GET", "PUT", "POST"],
    )
