import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from inventory.config import API_PREFIX
from inventory.errors import error_body, error_responses
from inventory.health import repository

logger = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, tags=["operations"])

CHECK_TIMEOUT_SECONDS = 2.0


async def _check(name: str, probe: Awaitable[Any]) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        logger.warning("readiness check failed", extra={"check": name, "error": repr(exc)})
        return name, "down"
    return name, "ok"


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/health/ready", responses=error_responses(503))
async def ready(request: Request) -> JSONResponse:
    """The database, Redis and the order.created consumer work; 503 naming whichever does not."""
    checks = dict(
        await asyncio.gather(
            _check("database", repository.ping_database(request.app.state.engine)),
            _check("redis", repository.ping_redis(request.app.state.redis)),
        )
    )
    consumer = request.app.state.consumer
    if consumer is not None:
        checks["consumer"] = "ok" if consumer.connected else "down"
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        return JSONResponse(error_body("not_ready", f"unavailable: {', '.join(down)}", checks=checks), status_code=503)
    return JSONResponse({"status": "ready", "checks": checks})


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
