import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.events.schemas import InventoryUpdated
from inventory.models import Stock
from inventory.outbox import repository as outbox
from inventory.stock import repository
from inventory.stock.exceptions import BookNotFound
from inventory.stock.schemas import StockChangeReason, StockRead
from servicekit.outbox import OutboxMessage

AGGREGATE_TYPE = "inventory"
EVENT_TYPE = "inventory.updated"


async def read_stock(connection: asyncpg.Connection, book_id: uuid.UUID) -> StockRead:
    """One book's stock (404 for a book inventory does not know)."""
    row = await repository.read_level(connection, book_id)
    if row is None:
        raise BookNotFound([book_id])
    return StockRead(**row)


async def read_stocks(connection: asyncpg.Connection, book_ids: Sequence[uuid.UUID]) -> list[StockRead]:
    """Stock of several books; unknown ids are left out."""
    return [StockRead(**row) for row in await repository.read_levels(connection, book_ids)]


async def get_stock(session: AsyncSession, book_id: uuid.UUID) -> Stock:
    stock = await repository.get(session, book_id)
    if stock is None:
        raise BookNotFound([book_id])
    return stock


async def record_change(
    session: AsyncSession,
    *,
    book_id: uuid.UUID,
    previous_available: int,
    new_available: int,
    reason: StockChangeReason,
    actor: str,
    order_id: uuid.UUID | None = None,
    note: str | None = None,
) -> InventoryUpdated:
    """Write the stock_movement row and its inventory.updated outbox event (same id, same transaction)."""
    event = InventoryUpdated(
        event_id=uuid.uuid4(),
        book_id=book_id,
        previous_available=previous_available,
        new_available=new_available,
        delta=new_available - previous_available,
        reason=reason,
        order_id=order_id,
        occurred_at=datetime.now(UTC),
    )
    await repository.insert_movement(
        session,
        id=event.event_id,
        book_id=book_id,
        delta=event.delta,
        reason=reason,
        actor=actor,
        order_id=order_id,
        note=note,
        created_at=event.occurred_at,
    )
    await outbox.add(
        session,
        OutboxMessage(
            id=event.event_id,
            aggregatetype=AGGREGATE_TYPE,
            aggregateid=str(book_id),
            type=EVENT_TYPE,
            payload=event.model_dump(mode="json"),
        ),
    )
    return event
