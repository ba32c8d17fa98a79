import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ecom.models import CustomerOrder, OrderItem, OrderStatus


def new_order(
    *,
    order_id: uuid.UUID,
    user_id: str,
    username: str | None,
    currency: str,
    email: str | None = None,
    lines: list[tuple[uuid.UUID, str, Decimal, int]],
    at: datetime,
) -> CustomerOrder:
    """A new confirmed order placed at `at`, as an ORM object in no session (for its event, the answer and the
    checkout's INSERT, `checkout.repository.complete_and_place`; items ordered by title, as `get` loads them)."""
    total = sum((price * quantity for _, _, price, quantity in lines), Decimal("0.00"))
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
        created_at=at,
        updated_at=at,
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
