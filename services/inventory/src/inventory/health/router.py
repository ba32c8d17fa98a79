from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from inventory.config import API_PREFIX
from servicekit.errors import error_responses
from servicekit.health import metrics_response, readiness_response, standard_checks

router = APIRouter(prefix=API_PREFIX, tags=["operations"])


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/health/ready", responses=error_responses(503))
async def ready(request: Request) -> JSONResponse:
    """The database, Redis and the order.created consumer work; 503 naming whichever does not."""
    checks = await standard_checks(request.app.state.engine, request.app.state.redis)
    consumer = request.app.state.consumer
    if consumer is not None:
        checks["consumer"] = "ok" if consumer.connected else "down"
    return readiness_response(checks)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return metrics_response()
