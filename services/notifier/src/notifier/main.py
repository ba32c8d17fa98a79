"""The notifier's process: the consumer in the background, and /notifier/health/{live,ready} and /metrics."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from notifier.config import API_PREFIX, Settings
from notifier.consumer import NotificationConsumer
from notifier.mailer import Mailer
from servicekit.app import background
from servicekit.health import check, metrics_response, readiness_response
from servicekit.redis import redis_client


async def _smtp_reachable(settings: Settings) -> None:
    _, writer = await asyncio.open_connection(settings.smtp_host, settings.smtp_port)
    writer.close()
    await writer.wait_closed()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = redis_client(settings.redis_url)
        mailer = Mailer(settings)
        consumer = NotificationConsumer(settings, redis, mailer)
        app.state.redis, app.state.consumer = redis, consumer
        try:
            async with background(consumer.run()):
                yield
        finally:
            await mailer.close()
            await redis.aclose()

    app = FastAPI(title="Notifier", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get(f"{API_PREFIX}/health/live")
    async def live() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get(f"{API_PREFIX}/health/ready")
    async def ready(request: Request) -> JSONResponse:
        """Kafka (the consumer is connected), Redis and the SMTP relay; 503 naming whichever is down."""
        checks = dict(
            await asyncio.gather(
                check("redis", request.app.state.redis.ping()), check("smtp", _smtp_reachable(settings))
            )
        )
        checks["kafka"] = "ok" if request.app.state.consumer.connected else "down"
        return readiness_response(checks)

    @app.get(f"{API_PREFIX}/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()

    return app
