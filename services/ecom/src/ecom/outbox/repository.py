from sqlalchemy.ext.asyncio import AsyncSession

from ecom.models import Outbox
from servicekit import outbox
from servicekit.outbox import OutboxMessage


async def add(session: AsyncSession, message: OutboxMessage) -> None:
    """Debezium's outbox router publishes the row to the topic named by `type`, keyed by the aggregate id."""
    await outbox.add(session, Outbox, message)


async def prune(session: AsyncSession) -> int:
    """Delete the rows published long enough ago; returns how many."""
    return await outbox.prune(session, Outbox)
