import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ecom.models import CustomerOrder, OrderItem, OrderStatus

# Every checkout stores its order: one plain SQL statement on the checkout transaction's asyncpg connection
# (servicekit.db.plain_connection) writes the order and its items and returns the server-set times.
_INSERT = """
WITH placed AS (
  INSERT INTO customer_order (id, user_id, username, email, status, total, currency)
  VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at, updated_at
), lines AS (
  INSERT INTO order_item (order_id, book_id, title, unit_price, quantity)
  SELECT $1, l.book_id, l.title, l.unit_price, l.quantity
  FROM unnest($8::uuid[], $9::text[], $10::numeric[], $11::int[]) AS l(book_id, title, unit_price, quantity)
)
SELECT created_at, updated_at FROM placed"""


async def insert(
    connection: asyncpg.Connection,
    *,
    order_id: uuid.UUID,
    user_id: str,
    username: str | None,
    currency: str,
    email: str | None = None,
    lines: list[tuple[uuid.UUID, str, Decimal, int]],
) -> CustomerOrder:
    """Write the new order with its items on `connection`, in its transaction; returns it as an ORM object that is
    in no session (for its event and the answer; items ordered by title, as `get` loads them)."""
    total = sum((price * quantity for _, _, price, quantity in lines), Decimal("0.00"))
    row = await connection.fetchrow(
        _INSERT,
        order_id,
        user_id,
        username,
        email,
        OrderStatus.CONFIRMED.value,
        total,
        currency,
        [book_id for book_id, _, _, _ in lines],
        [title for _, title, _, _ in lines],
        [price for _, _, price, _ in lines],
        [quantity for _, _, _, quantity in lines],
    )
    assert row is not None
    items = [
        OrderItem(order_id=order_id, book_id=book_id, title=title, unit_price=price, quantity=quantity)
        for book_id, title, price, quantity in lines
    ]
    return CustomerOrder(
        id=order_id,
        user_id=user_id,
        username=username,
        email=email,
        status=OrderStatus.CONFIRMED,
        total=total,
        currency=currency,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        cancelled_at=None,
        items=sorted(items, key=lambda item: item.title),
    )


async def get(
    session: AsyncSession, order_id: uuid.UUID, *, user_id: str | None = None, for_update: bool = False
) -> CustomerOrder | None:
    query = select(CustomerOrder).where(CustomerOrder.id == order_id).options(selectinload(CustomerOrder.items))
    if user_id is not None:
        query = query.where(CustomerOrder.user_id == user_id)
    if for_update:
        query = query.with_for_update(of=CustomerOrder)
    order: CustomerOrder | None = (await session.scalars(query.execution_options(populate_existing=True))).first()
    return order


async def page(
    session: AsyncSession, *, user_id: str | None, status: OrderStatus | None, offset: int, limit: int
) -> tuple[list[CustomerOrder], int]:
    query = select(CustomerOrder)
    if user_id is not None:
        query = query.where(CustomerOrder.user_id == user_id)
    if status is not None:
        query = query.where(CustomerOrder.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.options(selectinload(CustomerOrder.items))
        .order_by(CustomerOrder.created_at.desc(), CustomerOrder.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def mark_cancelled(session: AsyncSession, order_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(CustomerOrder)
        .where(CustomerOrder.id == order_id)
        .values(status=OrderStatus.CANCELLED, cancelled_at=when)
    )
