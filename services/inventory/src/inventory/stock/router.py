import uuid

from fastapi import APIRouter, Depends

from inventory.config import API_PREFIX
from inventory.ratelimit import rate_limit
from inventory.stock import service
from inventory.stock.dependencies import BookIds
from inventory.stock.schemas import StockRead
from servicekit.db import ReaderDep
from servicekit.errors import error_responses

router = APIRouter(prefix=f"{API_PREFIX}/stock", tags=["stock"], dependencies=[Depends(rate_limit)])


@router.get("", response_model=list[StockRead], responses=error_responses(422, 429))
async def list_stock(reader: ReaderDep, ids: BookIds) -> list[StockRead]:
    """Stock of several books (for catalog badges); unknown ids are left out."""
    return await service.read_stocks(reader, ids)


@router.get("/{book_id}", response_model=StockRead, responses=error_responses(404, 422, 429))
async def get_stock(book_id: uuid.UUID, reader: ReaderDep) -> StockRead:
    """Stock of one book."""
    return await service.read_stock(reader, book_id)
