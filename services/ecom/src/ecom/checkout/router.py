from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from ecom.auth.dependencies import CustomerUser
from ecom.checkout import service
from ecom.clients.dependencies import InventoryDep
from ecom.config import API_PREFIX, SettingsDep
from ecom.csrf.dependencies import require_csrf
from ecom.orders.schemas import OrderRead
from ecom.ratelimit import rate_limit
from servicekit.db import PlainPoolDep, SessionmakerDep
from servicekit.errors import error_responses

router = APIRouter(prefix=API_PREFIX, tags=["checkout"], dependencies=[Depends(rate_limit), Depends(require_csrf)])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="a fresh random value per order attempt (e.g. a UUID); retries reuse it",
    ),
]


@router.post(
    "/checkout",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead,
    responses={
        200: {"model": OrderRead, "description": "Replay: the order this Idempotency-Key already placed"},
        **error_responses(401, 403, 409, 422, 429, 503),
    },
)
async def checkout(
    response: Response,
    user: CustomerUser,
    key: IdempotencyKey,
    settings: SettingsDep,
    pool: PlainPoolDep,
    sessionmaker: SessionmakerDep,
    inventory: InventoryDep,
) -> OrderRead:
    """Order the cart: stock reserved in inventory, order stored with its order.created event, cart
    emptied. 409 naming the short lines, 503 if inventory is down; then nothing changed."""
    # Not SessionDep: the saga commits its claim, then the order, on connections of its own.
    result = await service.checkout(pool, sessionmaker, inventory, settings, user, key)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result.order
