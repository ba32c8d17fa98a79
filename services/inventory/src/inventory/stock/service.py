import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.events.schemas import InventoryUpdated
from inventory.models import Stock
from inventory.outbox import repository as outbox
from inventory.stock import repository
from inventory.stock.exceptions import BookNotFound
from inventory.stock.repository import Shift
from inventory.stock.schemas import StockChangeReason, StockLevel, StockRead
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


@dataclass(frozen=True)
class LevelChange:
    """A book's available count before and after one change."""

    book_id: uuid.UUID
    previous: int
    new: int


async def move(
    connection: asyncpg.Connection,
    levels: dict[uuid.UUID, StockLevel],
    shifts: Sequence[Shift],
    *,
    reason: StockChangeReason,
    actor: str,
    order_id: uuid.UUID | None = None,
) -> None:
    """Apply `shifts` to rows locked with `repository.lock` (whose `levels` follow along, so shifts of one book
    chain), and record a movement and event for each change of `available`: one statement for all of it."""
    changes = []
    for shift in shifts:
        previous = levels[shift.book_id].available
        levels[shift.book_id].available = previous + shift.available
        if shift.available:
            changes.append(LevelChange(shift.book_id, previous, previous + shift.available))
    occurred_at = datetime.now(UTC)
    events = _events(changes, reason=reason, order_id=order_id, occurred_at=occurred_at)
    await repository.move(
        connection,
        shifts,
        _movements(events),
        _messages(events),
        reason=reason,
        actor=actor,
        order_id=order_id,
        created_at=occurred_at,
    )


async def record_changes(
    session: AsyncSession,
    changes: Sequence[LevelChange],
    *,
    reason: StockChangeReason,
    actor: str,
    order_id: uuid.UUID | None = None,
    note: str | None = None,
) -> list[InventoryUpdated]:
    """Write a stock_movement row and its inventory.updated outbox event (same id, same transaction) per
    change: two statements for all of them."""
    if not changes:
        return []
    occurred_at = datetime.now(UTC)
    events = _events(changes, reason=reason, order_id=order_id, occurred_at=occurred_at)
    await repository.insert_movements(
        session,
        _movements(events),
        reason=reason,
        actor=actor,
        order_id=order_id,
        note=note,
        created_at=occurred_at,
    )
    await outbox.add_many(session, _messages(events))
    return events


def _events(
    changes: Sequence[LevelChange], *, reason: StockChangeReason, order_id: uuid.UUID | None, occurred_at: datetime
) -> list[InventoryUpdated]:
    return [
        InventoryUpdated(
            event_id=uuid.uuid4(),
            book_id=change.book_id,
            previous_available=change.previous,
            new_available=change.new,
            delta=change.new - change.previous,
            reason=reason,
            order_id=order_id,
            occurred_at=occurred_at,
        )
        for change in changes
    ]


def _movements(events: Sequence[InventoryUpdated]) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """A stock_movement row per event, with the event's id."""
    return [(event.event_id, event.book_id, event.delta) for event in events]


def _messages(events: Sequence[InventoryUpdated]) -> list[OutboxMessage]:
    return [
        OutboxMessage(
            id=event.event_id,
            aggregatetype=AGGREGATE_TYPE,
            aggregateid=str(event.book_id),
            type=EVENT_TYPE,
            payload=event.model_dump(mode="json"),
        )
        for event in events
    ]
