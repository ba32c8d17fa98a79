"""Readiness probes and the Prometheus endpoint body, the same for every service."""

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.errors import error_body

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


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
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
