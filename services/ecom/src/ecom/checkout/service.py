"""The checkout saga: claim the Idempotency-Key, reserve stock in inventory, store the order and its
order.created event in one transaction; undo the reservation if anything after it fails."""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom.cart import repository as carts
from ecom.checkout import repository
from ecom.checkout.exceptions import BooksUnavailable, CartEmpty, CheckoutInProgress, InjectedFault, OutOfStock
from ecom.clients.inventory import InsufficientStock, InventoryClient, InventoryUnavailable
from ecom.config import Settings
from ecom.events.schemas import ORDER_CREATED
from ecom.events.service import order_event
from ecom.metrics import CHECKOUTS
from ecom.models import CheckoutState
from ecom.orders import repository as orders
from ecom.orders.exceptions import InventoryDown
from ecom.orders.schemas import OrderRead
from ecom.outbox import repository as outbox
from servicekit.auth.tokens import Principal
from servicekit.db import plain_connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    book_id: uuid.UUID
    title: str
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class CheckoutResult:
    order: OrderRead
    replayed: bool


async def checkout(
    pool: asyncpg.Pool,
    sessionmaker: async_sessionmaker[AsyncSession],
    inventory: InventoryClient,
    settings: Settings,
    customer: Principal,
    key: str,
) -> CheckoutResult:
    """Place the customer's cart as an order, at most once per Idempotency-Key."""
    order_id = uuid.uuid4()
    claimed = await _claim_or_wait(
        pool, sessionmaker, customer.subject, key, order_id, settings.idempotency_wait_seconds
    )
    if isinstance(claimed, OrderRead):
        CHECKOUTS.labels("replayed").inc()
        return CheckoutResult(claimed, replayed=True)

    lines: list[Line] = []
    try:
        cart, lines = _priced_cart(*claimed)
        await inventory.reserve(order_id, {line.book_id: line.quantity for line in lines})
    except BaseException as exc:
        await _unclaim(sessionmaker, order_id)
        translated = _translate(exc, lines)
        if translated is exc:
            raise
        raise translated from exc

    try:
        if settings.fault_after_reservation:
            raise InjectedFault("fault injected after the reservation")
        order = await _store(pool, customer, order_id, cart, lines, settings.currency)
    except BaseException:
        logger.exception(
            "checkout failed after the stock was reserved; releasing it", extra={"order_id": str(order_id)}
        )
        await _compensate(sessionmaker, inventory, order_id)
        CHECKOUTS.labels("compensated").inc()
        raise
    CHECKOUTS.labels("created").inc()
    logger.info("order placed", extra={"order_id": str(order_id), "total": str(order.total), "lines": len(lines)})
    return CheckoutResult(order, replayed=False)


async def _claim_or_wait(
    pool: asyncpg.Pool,
    sessionmaker: async_sessionmaker[AsyncSession],
    user_id: str,
    key: str,
    order_id: uuid.UUID,
    wait: float,
) -> OrderRead | tuple[uuid.UUID | None, list[carts.PricedLine]]:
    """The customer's cart and its priced lines once this attempt owns the key; else the order an earlier attempt
    with the key placed."""
    deadline = time.monotonic() + wait
    while True:
        # The claim is one statement, committed on its own: a concurrent attempt with the key sees it at once.
        async with plain_connection(pool) as connection:
            claimed, cart, items = await repository.claim(connection, user_id, key, order_id)
        if claimed:
            return cart, items
        async with sessionmaker() as session:
            existing = await repository.find(session, user_id, key)
            if existing is not None and existing.state == CheckoutState.COMPLETED:
                order = await orders.get(session, existing.order_id)
                assert order is not None
                return OrderRead.from_order(order)
        # Pending: a duplicate is running right now. Gone: it failed and released the key; claim again.
        if time.monotonic() > deadline:
            CHECKOUTS.labels("in_progress").inc()
            raise CheckoutInProgress()
        await asyncio.sleep(0.05 if existing is None else 0.1)


def _priced_cart(cart: uuid.UUID | None, items: list[carts.PricedLine]) -> tuple[uuid.UUID, list[Line]]:
    """The cart's lines priced from the catalog (never from the client), read with the claim."""
    if cart is None or not items:
        raise CartEmpty()
    gone = {line.book_id: line.title for line in items if not line.active}
    if gone:
        raise BooksUnavailable(gone)
    return cart, [Line(line.book_id, line.title, line.price, line.quantity) for line in items]


def _translate(exc: BaseException, lines: list[Line]) -> BaseException:
    """Inventory's answers as this API's errors; no order exists and the cart is untouched."""
    if isinstance(exc, InsufficientStock):
        CHECKOUTS.labels("insufficient_stock").inc()
        titles = {line.book_id: line.title for line in lines}
        return OutOfStock(
            [
                {
                    "book_id": str(s.book_id),
                    "title": titles.get(s.book_id, str(s.book_id)),
                    "requested": s.requested,
                    "available": s.available,
                }
                for s in exc.lines
            ]
        )
    if isinstance(exc, InventoryUnavailable):
        CHECKOUTS.labels("inventory_unavailable").inc()
        logger.warning("checkout: inventory unavailable", extra={"error": str(exc)})
        return InventoryDown("no order was placed and the cart is unchanged")
    return exc


async def _store(
    pool: asyncpg.Pool,
    customer: Principal,
    order_id: uuid.UUID,
    cart: uuid.UUID,
    lines: list[Line],
    currency: str,
) -> OrderRead:
    """Order, lines, order.created outbox row, emptied cart and completed claim: one statement on a plain connection
    (`repository.complete_and_place`), committed on its own. The order's time is taken here: the answer, the stored
    order and its event carry the same one."""
    order = orders.new_order(
        order_id=order_id,
        user_id=customer.subject,
        username=customer.username,
        email=customer.email,
        currency=currency,
        lines=[(line.book_id, line.title, line.unit_price, line.quantity) for line in lines],
        at=datetime.now(UTC),
    )
    taken = {line.book_id: line.quantity for line in lines}
    async with plain_connection(pool) as connection:
        placed = await repository.complete_and_place(connection, order, cart, taken, order_event(ORDER_CREATED, order))
    if not placed:
        raise RuntimeError("the checkout claim was given up by the recovery sweep")
    return OrderRead.from_order(order)


async def _unclaim(sessionmaker: async_sessionmaker[AsyncSession], order_id: uuid.UUID) -> None:
    async with sessionmaker() as session, session.begin():
        await repository.unclaim(session, order_id)


async def _compensate(
    sessionmaker: async_sessionmaker[AsyncSession], inventory: InventoryClient, order_id: uuid.UUID
) -> None:
    """Release the reservation and free the key. If inventory cannot be reached the claim stays
    pending: the recovery sweep retries the release, and inventory's expiry is the last resort."""
    try:
        await inventory.release(order_id)
    except InventoryUnavailable as exc:
        logger.error(
            "could not release the reservation; recovery will retry",
            extra={"order_id": str(order_id), "error": str(exc)},
        )
        return
    await _unclaim(sessionmaker, order_id)


async def recover_stale(
    sessionmaker: async_sessionmaker[AsyncSession],
    inventory: InventoryClient,
    *,
    older_than_seconds: float,
    limit: int = 50,
) -> int:
    """Release the reservations of checkouts that died between reserving and storing the order."""
    released = 0
    async with sessionmaker() as session, session.begin():
        for order_id in await repository.claim_stale(session, timedelta(seconds=older_than_seconds), limit):
            try:
                await inventory.release(order_id)
            except InventoryUnavailable:
                logger.warning("recovery: inventory unavailable, retrying later", extra={"order_id": str(order_id)})
                break
            await repository.unclaim(session, order_id)
            released += 1
            logger.warning(
                "recovery: released the reservation of an abandoned checkout", extra={"order_id": str(order_id)}
            )
    if released:
        CHECKOUTS.labels("recovered").inc(released)
    return released


async def run_recovery_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    inventory: InventoryClient,
    *,
    interval_seconds: float,
    stale_seconds: float,
) -> None:
    """Every interval: recover abandoned checkouts and prune published outbox rows."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await recover_stale(sessionmaker, inventory, older_than_seconds=stale_seconds)
            async with sessionmaker() as session, session.begin():
                await outbox.prune(session)
        except Exception:
            logger.exception("recovery sweep failed; retrying next interval")
