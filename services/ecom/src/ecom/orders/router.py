import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ecom.auth.dependencies import CustomerUser
from ecom.clients.dependencies import InventoryDep
from ecom.config import API_PREFIX
from ecom.csrf.dependencies import require_csrf
from ecom.orders import service
from ecom.orders.schemas import OrderPage, OrderRead
from ecom.ratelimit import rate_limit
from servicekit.db import SessionDep
from servicekit.errors import error_responses

router = APIRouter(
    prefix=f"{API_PREFIX}/orders", tags=["orders"], dependencies=[Depends(rate_limit), Depends(require_csrf)]
)


@router.get("", response_model=OrderPage, responses=error_responses(401, 403, 422, 429))
async def list_orders(
    session: SessionDep,
    user: CustomerUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderPage:
    """The signed-in customer's orders, newest first."""
    return await service.list_own(session, user.subject, page=page, size=size)


@router.get("/{order_id}", response_model=OrderRead, responses=error_responses(401, 403, 404, 422, 429))
async def get_order(order_id: uuid.UUID, session: SessionDep, user: CustomerUser) -> OrderRead:
    """One of the customer's orders (404 for anyone else's)."""
    return OrderRead.from_order(await service.get_own(session, user.subject, order_id))


@router.post(
    "/{order_id}/cancel", response_model=OrderRead, responses=error_responses(401, 403, 404, 409, 422, 429, 503)
)
async def cancel_order(
    order_id: uuid.UUID, session: SessionDep, user: CustomerUser, inventory: InventoryDep
) -> OrderRead:
    """Cancel a CONFIRMED order of the customer's: its stock goes back and order.cancelled is published."""
    return OrderRead.from_order(await service.cancel(session, inventory, user.subject, order_id))
