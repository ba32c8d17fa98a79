import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import driver_connection

_MARK = "INSERT INTO processed_event (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING RETURNING event_id"


async def mark_processed(session: AsyncSession, event_id: uuid.UUID) -> bool:
    """Record a consumed event id; False if it was already recorded (a redelivery).

    A concurrent delivery of the same id waits on the primary key until ours commits or rolls back."""
    connection = await driver_connection(session)
    return await connection.fetchval(_MARK, event_id) is not None
