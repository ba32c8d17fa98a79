"""Readiness probes and the Prometheus endpoint body, the same for every service."""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.errors import error_body, error_responses

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # set by servicekit.runner when a service runs several workers


async def ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def ping_redis(redis: Redis) -> None:
    await redis.ping()


async def check(name: str, probe: Awaitable[Any]) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        logger.warning("readiness check failed", extra={"check": name, "error": repr(exc)})
        return name, "down"
    return name, "ok"


async def standard_checks(engine: AsyncEngine, redis: Redis) -> dict[str, str]:
    return dict(await asyncio.gather(check("database", ping_database(engine)), check("redis", ping_redis(redis))))


def readiness_response(checks: dict[str, str]) -> JSONResponse:
    """200 when every check is ok, else 503 naming the ones that are down."""
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        return JSONResponse(error_body("not_ready", f"unavailable: {', '.join(down)}", checks=checks), status_code=503)
    return JSONResponse({"status": "ready", "checks": checks})


def metrics_response() -> Response:
    """This process's metrics, or with several workers (servicekit.runner) all workers' metrics added up."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def operations_router(api_prefix: str, extra_checks: Callable[[Request], dict[str, str]] | None = None) -> APIRouter:
    """/health/live, /health/ready (database, Redis, plus the service's own checks) and /metrics."""
    router = APIRouter(prefix=api_prefix, tags=["operations"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @router.get("/health/ready", responses=error_responses(503))
    async def ready(request: Request) -> JSONResponse:
        """The service's dependencies work; 503 naming whichever does not."""
        checks = await standard_checks(request.app.state.engine, request.app.state.redis)
        if extra_checks is not None:
            checks |= extra_checks(request)
        return readiness_response(checks)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()

    return router
