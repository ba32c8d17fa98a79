import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from inventory.admin import service
from inventory.admin.schemas import StockAdjust, StockPage, StockSet
from inventory.auth.dependencies import AdminUser, admin_user
from inventory.config import API_PREFIX
from inventory.ratelimit import rate_limit
from inventory.stock.schemas import StockRead
from servicekit.db import SessionDep
from servicekit.errors import error_responses

router = APIRouter(
    prefix=f"{API_PREFIX}/admin/stock", tags=["admin"], dependencies=[Depends(rate_limit), Depends(admin_user)]
)


@router.get("", response_model=StockPage, responses=error_responses(401, 403, 422, 429))
async def list_stock(
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> StockPage:
    """Every book's stock, paged, ordered by book id."""
    return await service.list_stock(session, page=page, size=size)


@router.put("/{book_id}", response_model=StockRead, responses=error_responses(400, 401, 403, 404, 422, 429))
async def set_stock(book_id: uuid.UUID, body: StockSet, session: SessionDep, admin: AdminUser) -> StockRead:
    """Set a book's available count."""
    return StockRead.model_validate(await service.set_available(session, book_id, body.available, actor=admin.actor))


@router.post(
    "/{book_id}/adjust", response_model=StockRead, responses=error_responses(400, 401, 403, 404, 409, 422, 429)
)
async def adjust_stock(book_id: uuid.UUID, body: StockAdjust, session: SessionDep, admin: AdminUser) -> StockRead:
    """Change a book's available count by a delta, with a reason; 409 if it would go below zero."""
    stock = await service.adjust_available(session, book_id, body.delta, reason=body.reason, actor=admin.actor)
    return StockRead.model_validate(stock)
