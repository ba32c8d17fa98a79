import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.models import ProcessedEvent


async def mark_processed(session: AsyncSession, event_id: uuid.UUID) -> bool:
    """Record a consumed event id; False if it was already recorded (a redelivery).

    A concurrent delivery of the same id waits on the primary key until ours commits or rolls back."""
    result = await session.execute(
        insert(ProcessedEvent)
        .values(event_id=event_id)
        .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
        .returning(ProcessedEvent.event_id)
    )
    return result.first() is not None
