import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ecom.models import Outbox


async def add(
    session: AsyncSession, *, event_id: uuid.UUID, event_type: str, aggregate_id: str, payload: dict[str, Any]
) -> None:
    """Debezium's outbox router publishes the row to the topic named by `type`, keyed by the aggregate id."""
    session.add(Outbox(id=event_id, aggregatetype="order", aggregateid=aggregate_id, type=event_type, payload=payload))
    await session.flush()
