import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from inventory.models import Reservation, ReservationLine, ReservationStatus
from servicekit.orm import table_of


async def insert_held(
    session: AsyncSession, *, order_id: uuid.UUID, request_hash: str, ttl: timedelta
) -> datetime | None:
    """Insert a held reservation; None if the order already has one.

    The primary key makes a concurrent insert of the same order wait for ours to commit (then it
    does nothing and reads our row) or roll back (then it proceeds): one decrement either way."""
    table = table_of(Reservation)  # a plain Core statement on the hot path
    result = await session.execute(
        insert(table)
        .values(
            order_id=order_id,
            request_hash=request_hash,
            status=ReservationStatus.HELD,
            expires_at=func.now() + ttl,
        )
        .on_conflict_do_nothing(index_elements=[table.c.order_id])
        .returning(table.c.expires_at)
    )
    return result.scalar_one_or_none()


async def insert_lines(session: AsyncSession, order_id: uuid.UUID, lines: Sequence[tuple[uuid.UUID, int]]) -> None:
    await session.execute(
        insert(table_of(ReservationLine)),
        [{"order_id": order_id, "book_id": book_id, "quantity": quantity} for book_id, quantity in lines],
    )


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
