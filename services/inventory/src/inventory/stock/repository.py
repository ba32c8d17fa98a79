import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.models import Outbox, Stock
from inventory.stock.schemas import StockLevel
from servicekit.db import driver_connection
from servicekit.orm import table_of
from servicekit.outbox import OutboxMessage
from servicekit.outbox import insert_args as outbox_args
from servicekit.outbox import insert_sql as outbox_sql

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

    Every writer locks stock rows with `LOCK_SQL` (here, or inside a statement of its own, as the reservation
    does), in the same order, so concurrent transactions touching overlapping books queue up instead of
    deadlocking."""
    return await lock_rows(await driver_connection(session), book_ids)


async def lock_rows(connection: asyncpg.Connection, book_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, StockLevel]:
    """`lock` in the transaction of a plain connection."""
    return levels(await connection.fetch(LOCK_SQL, sorted(set(book_ids))))


def levels(rows: Iterable[asyncpg.Record]) -> dict[uuid.UUID, StockLevel]:
    """`lock`'s answer from rows of `LOCK_SQL`."""
    return {row["book_id"]: StockLevel(available=row["available"], reserved=row["reserved"]) for row in rows}


# Every reservation, commit, release and expiry writes here: plain SQL on a plain connection or the session's
# (servicekit.db.driver_connection), all of a transaction's books in one statement.
LOCK_SQL = "SELECT book_id, available, reserved FROM stock WHERE book_id = ANY($1::uuid[]) ORDER BY book_id FOR UPDATE"
_MOVEMENTS = """
INSERT INTO stock_movement (id, book_id, delta, reason, actor, order_id, note, created_at)
SELECT m.id, m.book_id, m.delta, $4, $5, $6, $7, $8
FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS m(id, book_id, delta)"""

# `move`: the shift, its movements and their outbox events in one statement (the rows are locked, so the fewer
# round trips before COMMIT, the shorter other writers of the same books wait). PostgreSQL runs every
# data-modifying WITH query to completion, whether or not the statement reads its output.
_MOVE = f"""
WITH shifted AS (
  UPDATE stock SET available = stock.available + s.available, reserved = stock.reserved + s.reserved, updated_at = now()
  FROM unnest($1::uuid[], $2::int[], $3::int[]) AS s(book_id, available, reserved)
  WHERE stock.book_id = s.book_id
), moved AS (
  INSERT INTO stock_movement (id, book_id, delta, reason, actor, order_id, note, created_at)
  SELECT m.id, m.book_id, m.delta, $7, $8, $9, $10, $11
  FROM unnest($4::uuid[], $5::uuid[], $6::int[]) AS m(id, book_id, delta)
)
{outbox_sql(table_of(Outbox).name, first=12)}"""  # noqa: S608 (constants only)


@dataclass(frozen=True)
class Shift:
    """Units moved for one book: into (+) or out of (-) `available` and `reserved`."""

    book_id: uuid.UUID
    available: int = 0
    reserved: int = 0


def _totals(shifts: Sequence[Shift]) -> tuple[list[uuid.UUID], list[int], list[int]]:
    """Shifts of the same book added up (an UPDATE joined to two rows of one book would apply only one of them),
    as the three arrays of `_MOVE`'s shift in book order."""
    totals: dict[uuid.UUID, tuple[int, int]] = {}
    for s in shifts:
        available, reserved = totals.get(s.book_id, (0, 0))
        totals[s.book_id] = (available + s.available, reserved + s.reserved)
    books = sorted(totals)
    return books, [totals[b][0] for b in books], [totals[b][1] for b in books]


async def move(
    connection: asyncpg.Connection,
    shifts: Sequence[Shift],
    movements: Sequence[tuple[uuid.UUID, uuid.UUID, int]],
    events: Sequence[OutboxMessage],
    *,
    reason: str,
    actor: str,
    order_id: uuid.UUID | None,
    created_at: datetime,
) -> None:
    """`shift_many`, `insert_movements` and the events' outbox rows, in one statement. The caller has locked the
    rows (`lock`), in the transaction of `connection`."""
    ids, books, deltas = (list(column) for column in zip(*movements, strict=True)) if movements else ([], [], [])
    await connection.execute(
        _MOVE, *_totals(shifts), ids, books, deltas, reason, actor, order_id, None, created_at, *outbox_args(events)
    )


async def change(session: AsyncSession, book_id: uuid.UUID, *, available_delta: int) -> Stock:
    """Add to or take from one book's available units, returning the row (the admin pages answer with it)."""
    result = await session.scalars(
        update(Stock)
        .where(Stock.book_id == book_id)
        .values(available=Stock.available + available_delta, updated_at=func.now())
        .returning(Stock),
        execution_options={"populate_existing": True},
    )
    return result.one()


async def insert_movements(
    session: AsyncSession,
    movements: Sequence[tuple[uuid.UUID, uuid.UUID, int]],
    *,
    reason: str,
    actor: str,
    order_id: uuid.UUID | None,
    note: str | None,
    created_at: datetime,
) -> None:
    """Several (id, book_id, delta) movements of one change, in one statement."""
    connection = await driver_connection(session)
    ids, books, deltas = zip(*movements, strict=True)
    await connection.execute(
        _MOVEMENTS, list(ids), list(books), list(deltas), reason, actor, order_id, note, created_at
    )


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
