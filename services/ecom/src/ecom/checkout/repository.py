import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.models import Checkout, CheckoutState


async def claim(session: AsyncSession, user_id: str, key: str, order_id: uuid.UUID) -> bool:
    """Claim the key for a new order; False if the key was claimed before."""
    result = await session.execute(
        insert(Checkout)
        .values(user_id=user_id, idempotency_key=key, order_id=order_id, state=CheckoutState.PENDING)
        .on_conflict_do_nothing(index_elements=[Checkout.user_id, Checkout.idempotency_key])
        .returning(Checkout.order_id)
    )
    return result.first() is not None


async def find(session: AsyncSession, user_id: str, key: str) -> Checkout | None:
    found: Checkout | None = await session.scalar(
        select(Checkout)
        .where(Checkout.user_id == user_id, Checkout.idempotency_key == key)
        .execution_options(populate_existing=True)
    )
    return found


async def complete(session: AsyncSession, order_id: uuid.UUID) -> bool:
    """Mark the claim done; False if it is gone (the recovery sweep gave the attempt up)."""
    result = await session.execute(
        update(Checkout)
        .where(Checkout.order_id == order_id, Checkout.state == CheckoutState.PENDING)
        .values(state=CheckoutState.COMPLETED)
        .returning(Checkout.order_id)
    )
    return result.first() is not None


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
