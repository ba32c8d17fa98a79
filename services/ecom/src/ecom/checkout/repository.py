import uuid
from datetime import timedelta

import asyncpg
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.models import Checkout, CheckoutState

# Every checkout claims its key and completes the claim: plain SQL on an asyncpg connection (the claim on a
# plain connection, committed on its own; the completion in the order's transaction).
_CLAIM = """
INSERT INTO checkout (user_id, idempotency_key, order_id, state) VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING order_id"""
_COMPLETE = "UPDATE checkout SET state = $2 WHERE order_id = $1 AND state = $3 RETURNING order_id"


async def claim(connection: asyncpg.Connection, user_id: str, key: str, order_id: uuid.UUID) -> bool:
    """Claim the key for a new order; False if the key was claimed before."""
    return await connection.fetchval(_CLAIM, user_id, key, order_id, CheckoutState.PENDING.value) is not None


async def find(session: AsyncSession, user_id: str, key: str) -> Checkout | None:
    found: Checkout | None = await session.scalar(
        select(Checkout)
        .where(Checkout.user_id == user_id, Checkout.idempotency_key == key)
        .execution_options(populate_existing=True)
    )
    return found


async def complete(connection: asyncpg.Connection, order_id: uuid.UUID) -> bool:
    """Mark the claim done; False if it is gone (the recovery sweep gave the attempt up)."""
    completed = await connection.fetchval(
        _COMPLETE, order_id, CheckoutState.COMPLETED.value, CheckoutState.PENDING.value
    )
    return completed is not None


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
