import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from inventory.admin.schemas import StockPage
from inventory.models import Stock
from inventory.stock import repository as stock_repository
from inventory.stock import service as stock_service
from inventory.stock.exceptions import BookNotFound, NegativeStock
from inventory.stock.schemas import StockChangeReason, StockRead
from inventory.stock.service import LevelChange


async def list_stock(session: AsyncSession, *, page: int, size: int) -> StockPage:
    items, total = await stock_repository.page(session, offset=(page - 1) * size, limit=size)
    return StockPage(items=[StockRead.model_validate(s) for s in items], total=total, page=page, size=size)


async def set_available(session: AsyncSession, book_id: uuid.UUID, available: int, *, actor: str) -> Stock:
    """Set a book's available count (reserved units are untouched); a book new to the catalog gets its
    first stock row here, starting from zero."""
    await stock_repository.insert_missing(session, {book_id: 0})
    previous = await _locked_available(session, book_id)
    if available == previous:
        return await stock_service.get_stock(session, book_id)
    stock = await stock_repository.change(session, book_id, available_delta=available - previous)
    await stock_service.record_changes(
        session, [LevelChange(book_id, previous, available)], reason=StockChangeReason.ADMIN_SET, actor=actor
    )
    return stock


async def adjust_available(session: AsyncSession, book_id: uuid.UUID, delta: int, *, reason: str, actor: str) -> Stock:
    """Add to or take from a book's available count, e.g. a delivery or a damaged copy."""
    previous = await _locked_available(session, book_id)
    if previous + delta < 0:
        raise NegativeStock(previous, delta)
    stock = await stock_repository.change(session, book_id, available_delta=delta)
    await stock_service.record_changes(
        session,
        [LevelChange(book_id, previous, previous + delta)],
        reason=StockChangeReason.ADMIN_ADJUST,
        actor=actor,
        note=reason,
    )
    return stock


async def _locked_available(session: AsyncSession, book_id: uuid.UUID) -> int:
    levels = await stock_repository.lock(session, [book_id])
    if book_id not in levels:
        raise BookNotFound([book_id])
    return levels[book_id].available
