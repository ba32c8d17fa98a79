from fastapi import Request

from inventory.config import API_PREFIX
from servicekit.health import operations_router


def _consumer(request: Request) -> dict[str, str]:
    consumer = request.app.state.consumer
    if consumer is None:  # turned off (tests of the HTTP API alone)
        return {}
    return {"consumer": "ok" if consumer.connected else "down"}


router = operations_router(API_PREFIX, _consumer)
