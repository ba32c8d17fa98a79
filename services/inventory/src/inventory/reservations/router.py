import uuid

from fastapi import APIRouter, Depends, Response, status

from inventory.auth.dependencies import ReservingClient
from inventory.config import API_PREFIX, SettingsDep
from inventory.ratelimit import rate_limit
from inventory.reservations import service
from inventory.reservations.schemas import ReservationCreate, ReservationRead
from inventory.stock.schemas import StockConflictResponse
from servicekit.db import SessionDep, TransactionDep
from servicekit.errors import error_responses

router = APIRouter(
    prefix=f"{API_PREFIX}/reservations", tags=["reservations (internal)"], dependencies=[Depends(rate_limit)]
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationRead,
    responses={
        200: {"model": ReservationRead, "description": "Replay of an earlier identical request"},
        409: {
            "model": StockConflictResponse,
            "description": "insufficient_stock (naming each short line) or reservation_conflict",
        },
        **error_responses(400, 401, 403, 404, 422, 429),
    },
)
async def create_reservation(
    body: ReservationCreate,
    connection: TransactionDep,
    client: ReservingClient,
    response: Response,
    settings: SettingsDep,
) -> ReservationRead:
    """Reserve every line of an order atomically (ecom service account only); idempotent per order_id."""
    result = await service.reserve(connection, body, ttl_seconds=settings.reservation_ttl_seconds, actor=client.actor)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result.reservation


@router.delete(
    "/{order_id}",
    response_model=ReservationRead,
    responses=error_responses(401, 403, 404, 409, 422, 429),
)
async def release_reservation(order_id: uuid.UUID, session: SessionDep, client: ReservingClient) -> ReservationRead:
    """Release a held reservation and restore its stock; idempotent."""
    return await service.release(session, order_id, actor=client.actor)


@router.post(
    "/{order_id}/cancel",
    response_model=ReservationRead,
    responses=error_responses(401, 403, 404, 422, 429),
)
async def cancel_reservation(order_id: uuid.UUID, session: SessionDep, client: ReservingClient) -> ReservationRead:
    """Cancel an order's reservation, held or committed, and put its units back on sale; idempotent.

    Cancelling a released, expired or already cancelled reservation changes nothing and returns it."""
    return await service.cancel(session, order_id, actor=client.actor)
