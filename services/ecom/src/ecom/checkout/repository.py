import uuid
from datetime import timedelta

import asyncpg
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.cart import repository as carts
from ecom.models import Checkout, CheckoutState, CustomerOrder, OrderStatus, Outbox
from servicekit.orm import table_of
from servicekit.outbox import OutboxMessage
from servicekit.outbox import insert_args as outbox_args
from servicekit.outbox import insert_sql as outbox_sql

# Every checkout claims its key and completes the claim: plain SQL on a plain asyncpg connection, each one statement
# committed on its own (the claim with the priced cart; the completion with every write of the order).
# The claim comes with the customer's priced cart (`cart.repository.PRICED_ROWS`, read in the same statement: one
# round trip), one row per line; a row without a cart if there is none. `claimed` is false if the key was taken.
_CLAIM_AND_PRICE = f"""
WITH claim AS (
  INSERT INTO checkout (user_id, idempotency_key, order_id, state) VALUES ($1, $2, $3, $4)
  ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING order_id
)
SELECT EXISTS (SELECT FROM claim) AS claimed, p.* FROM (SELECT) AS one LEFT JOIN ({carts.PRICED_ROWS}) AS p ON true
ORDER BY p.added_at"""  # noqa: S608 (constants only)

# Then the order is written in one statement, committed on its own (one round trip: no BEGIN, no COMMIT): the claim
# marked done, the cart row-locked (so changes to the cart wait for the order; lock order: claim, then cart, nothing
# locks them the other way round), the order and its items, the priced lines taken out of the cart (exactly those
# (book, quantity) lines: a line changed meanwhile in another tab stays) and the order.created outbox row. Nothing
# but the claim's UPDATE writes if the claim is no longer pending (the recovery sweep gave the attempt up). PostgreSQL
# runs every data-modifying WITH query to completion; the lines' DELETE reads the locked cart first (its id is the
# DELETE's condition), so the cart is locked before any of its lines; foreign keys are checked at the statement's end.
_COMPLETE_AND_PLACE = f"""
WITH done AS (
  UPDATE checkout SET state = $2 WHERE order_id = $1 AND state = $3 RETURNING order_id
), locked AS (
  SELECT id FROM cart WHERE id = $15 AND EXISTS (SELECT FROM done) FOR UPDATE
), placed AS (
  INSERT INTO customer_order (id, user_id, username, email, status, total, currency, created_at, updated_at)
  SELECT $1, $4, $5, $6, $7, $8, $9, $10, $10 FROM done
), lines AS (
  INSERT INTO order_item (order_id, book_id, title, unit_price, quantity)
  SELECT $1, l.book_id, l.title, l.unit_price, l.quantity
  FROM unnest($11::uuid[], $12::text[], $13::numeric[], $14::int[]) AS l(book_id, title, unit_price, quantity)
  WHERE EXISTS (SELECT FROM done)
), emptied AS (
  DELETE FROM cart_item USING unnest($16::uuid[], $17::int[]) AS l(book_id, quantity)
  WHERE cart_item.cart_id = (SELECT id FROM locked) AND cart_item.book_id = l.book_id
    AND cart_item.quantity = l.quantity
), event AS (
  {outbox_sql(table_of(Outbox).name, first=18)} WHERE EXISTS (SELECT FROM done)
)
SELECT EXISTS (SELECT FROM done) AS placed"""  # noqa: S608 (constants only)


async def claim(
    connection: asyncpg.Connection, user_id: str, key: str, order_id: uuid.UUID
) -> tuple[bool, uuid.UUID | None, list[carts.PricedLine]]:
    """Claim the key for a new order (committed at once: a concurrent attempt with the key sees it) and read the
    customer's priced cart: whether the key was free, the cart (None if the customer has none) and its lines."""
    rows = await connection.fetch(_CLAIM_AND_PRICE, user_id, key, order_id, CheckoutState.PENDING.value)
    cart, lines = carts.priced([row for row in rows if row["cart_id"] is not None])
    return rows[0]["claimed"], cart, lines


async def find(session: AsyncSession, user_id: str, key: str) -> Checkout | None:
    found: Checkout | None = await session.scalar(
        select(Checkout)
        .where(Checkout.user_id == user_id, Checkout.idempotency_key == key)
        .execution_options(populate_existing=True)
    )
    return found


async def complete_and_place(
    connection: asyncpg.Connection,
    order: CustomerOrder,
    cart: uuid.UUID,
    taken: dict[uuid.UUID, int],
    event: OutboxMessage,
) -> bool:
    """Mark the claim done and write `order` (its items too), take the `taken` (book, quantity) lines out of the cart
    and write the event's outbox row: one statement. False, with nothing written, if the claim is no longer pending
    (the recovery sweep gave the attempt up)."""
    items = order.items
    placed: bool = await connection.fetchval(
        _COMPLETE_AND_PLACE,
        order.id,
        CheckoutState.COMPLETED.value,
        CheckoutState.PENDING.value,
        order.user_id,
        order.username,
        order.email,
        OrderStatus(order.status).value,
        order.total,
        order.currency,
        order.created_at,
        [item.book_id for item in items],
        [item.title for item in items],
        [item.unit_price for item in items],
        [item.quantity for item in items],
        cart,
        list(taken),
        list(taken.values()),
        *outbox_args([event]),
    )
    return placed


async def unclaim(session: AsyncSession, order_id: uuid.UUID) -> None:
    await session.execute(
        delete(Checkout).where(Checkout.order_id == order_id, Checkout.state == CheckoutState.PENDING)
    )


async def claim_stale(session: AsyncSession, older_than: timedelta, limit: int) -> list[uuid.UUID]:
    """Pending claims of attempts that died; locked so parallel sweeps never take the same one."""
    rows = await session.scalars(
        select(Checkout.order_id)
        .where(Checkout.state == CheckoutState.PENDING, Checkout.created_at < func.now() - older_than)
        .order_by(Checkout.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
