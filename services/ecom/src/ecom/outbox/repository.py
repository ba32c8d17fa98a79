import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.models import Outbox


async def add(
    session: AsyncSession, *, event_id: uuid.UUID, event_type: str, aggregate_id: str, payload: dict[str, Any]
) -> None:
    """Debezium's outbox router publishes the row to the topic named by `type`, keyed by the aggregate id."""
    session.add(Outbox(id=event_id, aggregatetype="order", aggregateid=aggregate_id, type=event_type, payload=payload))
    await session.flush()


async def prune(session: AsyncSession, older_than: timedelta) -> int:
    """Delete published rows: Debezium reads the write-ahead log, so a row is no longer needed once written."""
    result = await session.execute(delete(Outbox).where(Outbox.created_at < func.now() - older_than))
    return result.rowcount or 0  # type: ignore[attr-defined]
