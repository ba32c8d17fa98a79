import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.metrics import RESERVATIONS
from inventory.models import Reservation, ReservationStatus
from inventory.reservations import repository
from inventory.reservations.exceptions import (
    ReservationCommitted,
    ReservationConflict,
    ReservationNotFound,
    ReservationNotHeld,
)
from inventory.reservations.schemas import ReservationCreate, ReservationRead
from inventory.stock import repository as stock_repository
from inventory.stock import service as stock_service
from inventory.stock.exceptions import BookNotFound, InsufficientStock
from inventory.stock.repository import Shift
from inventory.stock.schemas import ShortLine, StockChangeReason
from servicekit.db import driver_connection

EXPIRY_ACTOR = "system:expiry"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReserveResult:
    reservation: ReservationRead
    created: bool


class CommitOutcome(StrEnum):
    COMMITTED = "committed"
    ALREADY_COMMITTED = "already_committed"
    # The order was cancelled before its order.created event arrived: nothing left to commit.
    CANCELLED = "cancelled"
    DUPLICATE_EVENT = "duplicate_event"
    # The event came after the reservation expired (the pipeline lagged more than its TTL): the units were back
    # on sale and are taken again, as they were still there.
    COMMITTED_AFTER_EXPIRY = "committed_after_expiry"


async def reserve(
    connection: asyncpg.Connection, request: ReservationCreate, *, ttl_seconds: int, actor: str
) -> ReserveResult:
    """Hold every line's quantity or none of them; a replay of the same order returns the first result. Every
    statement runs on `connection`, in the request's transaction."""
    request_hash = request.request_hash()
    expires_at = await repository.insert_held(
        connection, order_id=request.order_id, request_hash=request_hash, ttl=timedelta(seconds=ttl_seconds)
    )
    if expires_at is None:
        existing = await repository.read(connection, request.order_id)
        assert existing is not None  # reservations are never deleted
        existing_hash, reservation = existing
        if existing_hash != request_hash:
            RESERVATIONS.labels("conflict").inc()
            raise ReservationConflict(request.order_id)
        RESERVATIONS.labels("replayed").inc()
        return ReserveResult(reservation, created=False)

    # Stock rows are locked in book_id order, the lock order every stock writer uses; the lines are written with it.
    lines = [(line.book_id, line.quantity) for line in request.items]
    levels = await repository.lock_stock_and_insert_lines(connection, request.order_id, lines)
    unknown = [line.book_id for line in request.items if line.book_id not in levels]
    if unknown:
        RESERVATIONS.labels("unknown_book").inc()
        raise BookNotFound(unknown)
    short = [
        ShortLine(book_id=line.book_id, requested=line.quantity, available=levels[line.book_id].available)
        for line in request.items
        if levels[line.book_id].available < line.quantity
    ]
    if short:
        RESERVATIONS.labels("insufficient_stock").inc()
        raise InsufficientStock(short)

    await stock_service.move(
        connection,
        levels,
        [Shift(line.book_id, available=-line.quantity, reserved=line.quantity) for line in request.items],
        reason=StockChangeReason.RESERVE,
        actor=actor,
        order_id=request.order_id,
    )
    RESERVATIONS.labels("created").inc()
    reservation = ReservationRead(
        order_id=request.order_id, status=ReservationStatus.HELD, items=request.items, expires_at=expires_at
    )
    return ReserveResult(reservation, created=True)


async def release(session: AsyncSession, order_id: uuid.UUID, *, actor: str) -> ReservationRead:
    """Return a held reservation's stock; releasing a released or expired one changes nothing."""
    reservation = await repository.get(session, order_id, for_update=True)
    if reservation is None:
        raise ReservationNotFound(order_id)
    if reservation.status == ReservationStatus.COMMITTED:
        raise ReservationCommitted(order_id)
    if reservation.status == ReservationStatus.HELD:
        await _restore(session, [reservation], reason=StockChangeReason.RELEASE, actor=actor)
        await repository.set_status(session, [order_id], ReservationStatus.RELEASED)
        RESERVATIONS.labels("released").inc()
    return ReservationRead.model_validate(reservation)


async def cancel(session: AsyncSession, order_id: uuid.UUID, *, actor: str) -> ReservationRead:
    """Cancel an order's reservation and return its units to `available`; idempotent.

    A held reservation's units move from reserved back to available. A committed one's units left
    `reserved` at commit, so they come back as available only (the customer returns them). Cancelling
    a cancelled, released or expired reservation changes nothing: its stock was already returned."""
    reservation = await repository.get(session, order_id, for_update=True)
    if reservation is None:
        raise ReservationNotFound(order_id)
    if reservation.status == ReservationStatus.HELD:
        await _restore(session, [reservation], reason=StockChangeReason.CANCEL, actor=actor)
    elif reservation.status == ReservationStatus.COMMITTED:
        await _return_sold(session, reservation, actor=actor)
    else:
        return ReservationRead.model_validate(reservation)
    await repository.set_status(session, [order_id], ReservationStatus.CANCELLED)
    RESERVATIONS.labels("cancelled").inc()
    return ReservationRead.model_validate(reservation)


async def expire_reservations(session: AsyncSession, *, limit: int = 100) -> int:
    """Release up to `limit` held reservations past their expiry; returns how many.

    SKIP LOCKED lets several instances sweep at once without waiting for, or double-releasing,
    each other's rows; a reservation being released or committed right now is skipped too."""
    claimed = await repository.claim_expired(session, limit=limit)
    if claimed:
        await _restore(session, claimed, reason=StockChangeReason.EXPIRE, actor=EXPIRY_ACTOR)
        await repository.set_status(session, [r.order_id for r in claimed], ReservationStatus.EXPIRED)
        RESERVATIONS.labels("expired").inc(len(claimed))
    return len(claimed)


async def commit_reservation(connection: asyncpg.Connection, order_id: uuid.UUID, event_id: uuid.UUID) -> CommitOutcome:
    """Turn a held reservation into a sale (for the order.created consumer); idempotent by event id. Runs in the
    transaction of `connection`: three statements for a held reservation (mark and lock, stock lock, sale).

    The reserved units leave the store, so `reserved` drops while `available` stays as it is: no
    stock movement and no inventory.updated event. A cancelled reservation stays cancelled; an expired one
    takes its units from `available` again if they are all there (`_retake`)."""
    reservation = await repository.mark_and_lock(connection, order_id, event_id)
    if reservation is None:
        raise ReservationNotFound(order_id)
    if not reservation.fresh:
        return CommitOutcome.DUPLICATE_EVENT
    if reservation.status == ReservationStatus.COMMITTED:
        return CommitOutcome.ALREADY_COMMITTED
    if reservation.status == ReservationStatus.CANCELLED:
        return CommitOutcome.CANCELLED
    if reservation.status == ReservationStatus.EXPIRED:
        await _retake(connection, order_id, reservation.lines)
        await repository.set_status_locked(connection, order_id, ReservationStatus.COMMITTED)
        RESERVATIONS.labels(CommitOutcome.COMMITTED_AFTER_EXPIRY.value).inc()
        return CommitOutcome.COMMITTED_AFTER_EXPIRY
    if reservation.status != ReservationStatus.HELD:
        raise ReservationNotHeld(order_id, reservation.status)
    await stock_repository.lock_rows(connection, [book_id for book_id, _ in reservation.lines])
    await repository.commit_held(connection, order_id, reservation.lines)
    RESERVATIONS.labels("committed").inc()
    return CommitOutcome.COMMITTED


async def _retake(connection: asyncpg.Connection, order_id: uuid.UUID, lines: Sequence[tuple[uuid.UUID, int]]) -> None:
    """Sell an expired reservation's units after all: its order was placed, but the expiry put them back on sale
    first. Taken from `available` with a `reserve` movement if every line is still there; otherwise nothing
    changes and ReservationNotHeld names the short lines (the consumer dead-letters the event)."""
    levels = await stock_repository.lock_rows(connection, [book_id for book_id, _ in lines])
    short = [
        ShortLine(book_id=book_id, requested=quantity, available=levels[book_id].available)
        for book_id, quantity in lines
        if levels[book_id].available < quantity
    ]
    if short:
        RESERVATIONS.labels("short_after_expiry").inc()
        gone = ", ".join(f"book {s.book_id}: {s.requested} ordered, {s.available} left" for s in short)
        raise ReservationNotHeld(order_id, ReservationStatus.EXPIRED, f"its units were sold meanwhile ({gone})")
    await stock_service.move(
        connection,
        levels,
        [Shift(book_id, available=-quantity) for book_id, quantity in lines],
        reason=StockChangeReason.RESERVE,
        actor=EXPIRY_ACTOR,
        order_id=order_id,
    )
    logger.warning(
        "order.created arrived after its reservation expired; its units were taken again",
        extra={"order_id": str(order_id), "lines": len(lines)},
    )


async def _restore(
    session: AsyncSession, reservations: Sequence[Reservation], *, reason: StockChangeReason, actor: str
) -> None:
    """Move the reservations' units from reserved back to available, one movement per book and order."""
    levels = await stock_repository.lock(session, [line.book_id for r in reservations for line in r.lines])
    connection = await driver_connection(session)
    for reservation in reservations:
        await stock_service.move(
            connection,
            levels,
            [Shift(line.book_id, available=line.quantity, reserved=-line.quantity) for line in reservation.lines],
            reason=reason,
            actor=actor,
            order_id=reservation.order_id,
        )


async def _return_sold(session: AsyncSession, reservation: Reservation, *, actor: str) -> None:
    """Put a committed reservation's units back on sale: they left `reserved` at commit, so only
    `available` grows, with one movement per book."""
    levels = await stock_repository.lock(session, [line.book_id for line in reservation.lines])
    await stock_service.move(
        await driver_connection(session),
        levels,
        [Shift(line.book_id, available=line.quantity) for line in reservation.lines],
        reason=StockChangeReason.CANCEL,
        actor=actor,
        order_id=reservation.order_id,
    )
