"""The services' transactional outbox: rows written in the request's transaction, published by Debezium."""

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.orm import OutboxColumns, table_of

# Debezium reads inserts from the write-ahead log, not the table, so a row is no longer needed once written;
# a day of rows is kept for looking at what was published.
OUTBOX_RETENTION = timedelta(days=1)


class OutboxMessage(BaseModel):
    """One row for Debezium's outbox EventRouter: routed to topic `type`, keyed by `aggregateid`."""

    id: uuid.UUID
    aggregatetype: str
    aggregateid: str
    type: str
    payload: dict[str, Any]


async def add(session: AsyncSession, model: type[OutboxColumns], message: OutboxMessage) -> None:
    """Write the message in the caller's transaction; Debezium publishes it once that commits."""
    await session.execute(insert(table_of(model)).values(**message.model_dump()))


async def prune(session: AsyncSession, model: type[OutboxColumns], older_than: timedelta = OUTBOX_RETENTION) -> int:
    """Delete outbox rows older than `older_than`; returns how many."""
    result = await session.execute(delete(model).where(model.created_at < func.now() - older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
