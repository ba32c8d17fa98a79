from sqlalchemy.ext.asyncio import AsyncSession

from inventory.outbox import repository
from inventory.outbox.schemas import OutboxMessage


async def enqueue(session: AsyncSession, message: OutboxMessage) -> None:
    """Write an event in the caller's transaction; Debezium publishes it once that commits."""
    await repository.insert_message(session, message.model_dump())
