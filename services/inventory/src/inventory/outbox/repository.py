from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from inventory.models import Outbox
from servicekit import outbox
from servicekit.outbox import OutboxMessage


async def add_many(session: AsyncSession, messages: Sequence[OutboxMessage]) -> None:
    """Debezium's outbox router publishes each row to the topic named by `type`, keyed by the aggregate id."""
    await outbox.add_many(session, Outbox, messages)


async def prune(session: AsyncSession) -> int:
    """Delete the rows published long enough ago; returns how many."""
    return await outbox.prune(session, Outbox)
