import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from inventory.models import Reservation, ReservationStatus
from inventory.reservations.schemas import ReservationLine, ReservationRead
from inventory.stock import repository as stock_repository
from inventory.stock.schemas import StockLevel

# A reservation and its commit happen once per checkout each: plain SQL on a plain connection, every line in one
# statement (the reservation in its request's transaction, servicekit.db.TransactionDep; the commit in the
# order.created consumer's, servicekit.db.plain_transaction).
_INSERT_HELD = """
INSERT INTO reservation (order_id, request_hash, status, expires_at) VALUES ($1, $2, $3, now() + $4::interval)
ON CONFLICT (order_id) DO NOTHING RETURNING expires_at"""
# The reservation's stock rows locked (`stock.repository.lock`) and its lines written, in one statement. The lines
# come after the lock: inserting one takes a share lock on its stock row (the foreign key), which two
# reservations of the same book would each hold while waiting for the other's lock to be released. A line of a
# book with no stock row is not written; the caller finds the book missing from the levels and rolls back.
_LOCK_STOCK_AND_INSERT_LINES = f"""
WITH locked AS ({stock_repository.LOCK_SQL}), line AS (
  INSERT INTO reservation_line (order_id, book_id, quantity)
  SELECT $2, l.book_id, l.quantity FROM unnest($3::uuid[], $4::int[]) AS l(book_id, quantity)
  WHERE l.book_id IN (SELECT book_id FROM locked)
)
SELECT book_id, available, reserved FROM locked ORDER BY book_id"""  # noqa: S608 (constants only)
_READ = """
SELECT r.request_hash, r.status, r.expires_at, l.book_id, l.quantity
FROM reservation r JOIN reservation_line l ON l.order_id = r.order_id WHERE r.order_id = $1 ORDER BY l.book_id"""
# The commit's first statement: the event id recorded (nothing inserted if it was already: a redelivery; a
# concurrent delivery of the same id waits on the primary key until ours commits or rolls back) and the reservation
# row-locked with its lines. PostgreSQL runs a data-modifying WITH query to completion; its RETURNING tells whether
# the id is new.
_MARK_AND_LOCK = """
WITH mark AS (
  INSERT INTO processed_event (event_id) VALUES ($2) ON CONFLICT (event_id) DO NOTHING RETURNING event_id
)
SELECT EXISTS (SELECT FROM mark) AS fresh, r.status, l.book_id, l.quantity
FROM reservation r JOIN reservation_line l ON l.order_id = r.order_id
WHERE r.order_id = $1 ORDER BY l.book_id FOR UPDATE OF r"""
# A held reservation sold: its units leave `reserved` (the rows are locked, `stock.repository.lock_rows`) and it
# becomes committed, in one statement.
_COMMIT_HELD = """
WITH sold AS (
  UPDATE stock SET reserved = stock.reserved - l.quantity, updated_at = now()
  FROM unnest($2::uuid[], $3::int[]) AS l(book_id, quantity) WHERE stock.book_id = l.book_id
)
UPDATE reservation SET status = $4, updated_at = now() WHERE order_id = $1"""
_SET_STATUS = "UPDATE reservation SET status = $2, updated_at = now() WHERE order_id = $1"


async def insert_held(
    connection: asyncpg.Connection, *, order_id: uuid.UUID, request_hash: str, ttl: timedelta
) -> datetime | None:
    """Insert a held reservation; None if the order already has one.

    The primary key makes a concurrent insert of the same order wait for ours to commit (then it
    does nothing and reads our row) or roll back (then it proceeds): one decrement either way."""
    expires_at: datetime | None = await connection.fetchval(
        _INSERT_HELD, order_id, request_hash, ReservationStatus.HELD.value, ttl
    )
    return expires_at


async def lock_stock_and_insert_lines(
    connection: asyncpg.Connection, order_id: uuid.UUID, lines: Sequence[tuple[uuid.UUID, int]]
) -> dict[uuid.UUID, StockLevel]:
    """Row-lock the lines' stock (as `stock.repository.lock` does) and write the reservation's lines: the locked
    books' levels (a book inventory does not know is missing, and its line was not written)."""
    books, quantities = [book for book, _ in lines], [quantity for _, quantity in lines]
    rows = await connection.fetch(_LOCK_STOCK_AND_INSERT_LINES, sorted(set(books)), order_id, books, quantities)
    return stock_repository.levels(rows)


async def read(connection: asyncpg.Connection, order_id: uuid.UUID) -> tuple[str, ReservationRead] | None:
    """A reservation's request hash and its API view, lines in book order as `get` loads them (None if none)."""
    rows = await connection.fetch(_READ, order_id)
    if not rows:
        return None
    first = rows[0]
    items = [ReservationLine(book_id=row["book_id"], quantity=row["quantity"]) for row in rows]
    reservation = ReservationRead(
        order_id=order_id, status=first["status"], items=items, expires_at=first["expires_at"]
    )
    return first["request_hash"], reservation


@dataclass(frozen=True)
class LockedReservation:
    fresh: bool  # the event id was recorded now (False: it had been, this delivery is a repeat)
    status: ReservationStatus
    lines: list[tuple[uuid.UUID, int]]  # (book_id, quantity) in book_id order


async def mark_and_lock(
    connection: asyncpg.Connection, order_id: uuid.UUID, event_id: uuid.UUID
) -> LockedReservation | None:
    """Record the event id and row-lock the order's reservation, reading its status and lines (one statement).
    None if the order has no reservation (then the caller rolls back, and the id is not recorded)."""
    rows = await connection.fetch(_MARK_AND_LOCK, order_id, event_id)
    if not rows:
        return None
    first = rows[0]
    lines = [(row["book_id"], row["quantity"]) for row in rows]
    return LockedReservation(first["fresh"], ReservationStatus(first["status"]), lines)


async def commit_held(
    connection: asyncpg.Connection, order_id: uuid.UUID, lines: Sequence[tuple[uuid.UUID, int]]
) -> None:
    """Take a held reservation's units out of `reserved` and mark it committed (rows locked by the caller; a
    reservation has one line per book)."""
    books, quantities = [book for book, _ in lines], [quantity for _, quantity in lines]
    await connection.execute(_COMMIT_HELD, order_id, books, quantities, ReservationStatus.COMMITTED.value)


async def set_status_locked(connection: asyncpg.Connection, order_id: uuid.UUID, status: ReservationStatus) -> None:
    """`set_status` for a reservation locked with `mark_and_lock` (no ORM object to keep in step)."""
    await connection.execute(_SET_STATUS, order_id, status.value)


async def get(session: AsyncSession, order_id: uuid.UUID, *, for_update: bool = False) -> Reservation | None:
    query = (
        select(Reservation)
        .where(Reservation.order_id == order_id)
        .options(selectinload(Reservation.lines))
        .execution_options(populate_existing=True)
    )
    if for_update:
        query = query.with_for_update(of=Reservation)
    return (await session.scalars(query)).one_or_none()


async def claim_expired(session: AsyncSession, *, limit: int) -> Sequence[Reservation]:
    """Lock up to `limit` overdue held reservations, skipping rows another sweeper has locked."""
    result = await session.scalars(
        select(Reservation)
        .where(Reservation.status == ReservationStatus.HELD, Reservation.expires_at <= func.now())
        .order_by(Reservation.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .options(selectinload(Reservation.lines))
        .execution_options(populate_existing=True)
    )
    return result.all()


async def set_status(session: AsyncSession, order_ids: Sequence[uuid.UUID], status: ReservationStatus) -> None:
    await session.execute(
        update(Reservation)
        .where(Reservation.order_id.in_(order_ids))
        .values(status=status, updated_at=func.now())
        .execution_options(synchronize_session="fetch")
    )
