import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from ecom.auth.dependencies import admin_user
from ecom.catalog import service as catalog
from ecom.catalog.schemas import BookRead, BookWrite
from ecom.config import API_PREFIX
from ecom.csrf.dependencies import require_csrf
from ecom.models import OrderStatus
from ecom.orders import service as orders
from ecom.orders.schemas import AdminOrderPage
from ecom.ratelimit import rate_limit
from servicekit.db import SessionDep
from servicekit.errors import error_responses

router = APIRouter(
    prefix=f"{API_PREFIX}/admin",
    tags=["admin"],
    dependencies=[Depends(rate_limit), Depends(admin_user), Depends(require_csrf)],
)


@router.post(
    "/books",
    status_code=status.HTTP_201_CREATED,
    response_model=BookRead,
    responses=error_responses(400, 401, 403, 409, 422, 429),
)
async def create_book(body: BookWrite, session: SessionDep) -> BookRead:
    """Add a book to the catalog (its stock is set in inventory)."""
    return BookRead.model_validate(await catalog.create_book(session, body))


@router.put("/books/{book_id}", response_model=BookRead, responses=error_responses(400, 401, 403, 404, 409, 422, 429))
async def update_book(book_id: uuid.UUID, body: BookWrite, session: SessionDep) -> BookRead:
    """Replace a book's details."""
    return BookRead.model_validate(await catalog.update_book(session, book_id, body))


@router.delete(
    "/books/{book_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, 422, 429),
)
async def delete_book(book_id: uuid.UUID, session: SessionDep) -> Response:
    """Remove a book from the catalog (soft delete: past orders keep it)."""
    await catalog.delete_book(session, book_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/orders", response_model=AdminOrderPage, responses=error_responses(401, 403, 422, 429))
async def list_orders(
    session: SessionDep,
    status: OrderStatus | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AdminOrderPage:
    """Every customer's orders, newest first, optionally filtered by status."""
    return await orders.list_all(session, status=status, page=page, size=size)
