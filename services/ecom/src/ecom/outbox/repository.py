import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.models import Outbox
from servicekit import outbox
from servicekit.outbox import OutboxMessage


async def add(connection: asyncpg.Connection, message: OutboxMessage) -> None:
    """Debezium's outbox router publishes the row to the topic named by `type`, keyed by the aggregate id. Written
    on `connection`, in its transaction."""
    await outbox.write(connection, Outbox, [message])


async def prune(session: AsyncSession) -> int:
    """Delete the rows published long enough ago; returns how many."""
    return await outbox.prune(session, Outbox)
