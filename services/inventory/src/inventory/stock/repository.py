import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.models import Stock, StockMovement
from inventory.stock.schemas import StockLevel
from servicekit.orm import table_of

# The public stock reads (one book, or the catalog's badges) run one statement on a plain connection, without
# an ORM session or a transaction: one round trip each.
_LEVELS = "SELECT book_id, available, reserved, updated_at FROM stock"


async def read_level(connection: asyncpg.Connection, book_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await connection.fetchrow(f"{_LEVELS} WHERE book_id = $1", book_id)
    return row


async def read_levels(connection: asyncpg.Connection, book_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await connection.fetch(
        f"{_LEVELS} WHERE book_id = ANY($1::uuid[]) ORDER BY book_id", list(book_ids)
    )
    return rows


async def get(session: AsyncSession, book_id: uuid.UUID) -> Stock | None:
    return await session.get(Stock, book_id)


async def page(session: AsyncSession, *, offset: int, limit: int) -> tuple[Sequence[Stock], int]:
    total = await session.scalar(select(func.count()).select_from(Stock))
    result = await session.scalars(select(Stock).order_by(Stock.book_id).offset(offset).limit(limit))
    return result.all(), total or 0


async def lock(session: AsyncSession, book_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, StockLevel]:
    """Row-lock the books' stock in book_id order and return their levels.

    Every writer locks stock rows through here, in the same order, so concurrent transactions
    touching overlapping books queue up instead of deadlocking."""
    result = await session.execute(
        select(Stock.book_id, Stock.available, Stock.reserved)
        .where(Stock.book_id.in_(sorted(set(book_ids))))
        .order_by(Stock.book_id)
        .with_for_update()
    )
    return {row.book_id: StockLevel(available=row.available, reserved=row.reserved) for row in result}


_STOCK = table_of(Stock)  # hot-path writes as plain Core statements (servicekit.orm.table_of)


def _shifted(available_delta: int, reserved_delta: int) -> dict[str, Any]:
    return {
        "available": _STOCK.c.available + available_delta,
        "reserved": _STOCK.c.reserved + reserved_delta,
        "updated_at": func.now(),
    }


async def shift(
    session: AsyncSession, book_id: uuid.UUID, *, available_delta: int = 0, reserved_delta: int = 0
) -> None:
    """Move units between available and reserved (or in or out): a reservation, release, expiry or commit."""
    await session.execute(
        update(_STOCK).where(_STOCK.c.book_id == book_id).values(**_shifted(available_delta, reserved_delta))
    )


async def change(
    session: AsyncSession, book_id: uuid.UUID, *, available_delta: int = 0, reserved_delta: int = 0
) -> Stock:
    """`shift`, returning the row (the admin pages answer with it)."""
    result = await session.scalars(
        update(Stock)
        .where(Stock.book_id == book_id)
        .values(**_shifted(available_delta, reserved_delta))
        .returning(Stock),
        execution_options={"populate_existing": True},
    )
    return result.one()


async def insert_movement(
    session: AsyncSession,
    *,
    id: uuid.UUID,
    book_id: uuid.UUID,
    delta: int,
    reason: str,
    actor: str,
    order_id: uuid.UUID | None = None,
    note: str | None = None,
    created_at: datetime | None = None,
) -> None:
    values = {"id": id, "book_id": book_id, "delta": delta, "reason": reason, "actor": actor}
    values |= {"order_id": order_id, "note": note}
    if created_at is not None:
        values["created_at"] = created_at
    await session.execute(insert(table_of(StockMovement)).values(**values))


async def insert_missing(session: AsyncSession, levels: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Insert stock rows for books that have none; return the ones inserted with their level."""
    if not levels:
        return {}
    result = await session.execute(
        insert(Stock)
        .values([{"book_id": book_id, "available": n, "reserved": 0} for book_id, n in levels.items()])
        .on_conflict_do_nothing(index_elements=[Stock.book_id])
        .returning(Stock.book_id, Stock.available)
    )
    return {row.book_id: row.available for row in result}
