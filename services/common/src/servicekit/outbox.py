"""Housekeeping for the services' outbox tables."""

from datetime import timedelta

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.orm import OutboxColumns

# Debezium reads inserts from the write-ahead log, not the table, so a row is no longer needed once written;
# a day of rows is kept for looking at what was published.
OUTBOX_RETENTION = timedelta(days=1)


async def prune(session: AsyncSession, model: type[OutboxColumns], older_than: timedelta = OUTBOX_RETENTION) -> int:
    """Delete outbox rows older than `older_than`; returns how many."""
    result = await session.execute(delete(model).where(model.created_at < func.now() - older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
