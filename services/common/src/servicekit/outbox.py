"""The services' transactional outbox: rows written in the request's transaction, published by Debezium."""

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import driver_connection
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
    await add_many(session, model, [message])


async def add_many(session: AsyncSession, model: type[OutboxColumns], messages: Sequence[OutboxMessage]) -> None:
    """Write the messages in the caller's transaction, in one statement: plain SQL on the session's connection
    (every checkout writes events; no ORM compilation on that path)."""
    if not messages:
        return
    table = table_of(model).name  # a mapped class's table name, never input
    connection = await driver_connection(session)
    await connection.execute(
        f"INSERT INTO {table} (id, aggregatetype, aggregateid, type, payload)"  # noqa: S608
        " SELECT m.id, m.aggregatetype, m.aggregateid, m.type, m.payload::jsonb"
        " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])"
        " AS m(id, aggregatetype, aggregateid, type, payload)",
        [m.id for m in messages],
        [m.aggregatetype for m in messages],
        [m.aggregateid for m in messages],
        [m.type for m in messages],
        [json.dumps(m.payload, separators=(",", ":"), ensure_ascii=False) for m in messages],
    )


async def prune(session: AsyncSession, model: type[OutboxColumns], older_than: timedelta = OUTBOX_RETENTION) -> int:
    """Delete outbox rows older than `older_than`; returns how many."""
    result = await session.execute(delete(model).where(model.created_at < func.now() - older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
