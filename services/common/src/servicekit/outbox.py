"""The services' transactional outbox: rows written in the request's transaction, published by Debezium."""

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from pydantic import BaseModel
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


def insert_sql(table: str, first: int = 1) -> str:
    """`add_many`'s INSERT, its five arrays (`insert_args`) as parameters `$first` to `$first + 4`: a statement that
    writes more than the outbox can include it and send all of it in one round trip. `table` comes from a mapped
    class, never from input."""
    ids, types, keys, names, payloads = (f"${first + i}" for i in range(5))
    return (
        f"INSERT INTO {table} (id, aggregatetype, aggregateid, type, payload)"  # noqa: S608
        " SELECT m.id, m.aggregatetype, m.aggregateid, m.type, m.payload::jsonb"
        f" FROM unnest({ids}::uuid[], {types}::text[], {keys}::text[], {names}::text[], {payloads}::text[])"
        " AS m(id, aggregatetype, aggregateid, type, payload)"
    )


def insert_args(messages: Sequence[OutboxMessage]) -> list[list[Any]]:
    """The five arrays `insert_sql` takes, one element per message."""
    return [
        [m.id for m in messages],
        [m.aggregatetype for m in messages],
        [m.aggregateid for m in messages],
        [m.type for m in messages],
        [json.dumps(m.payload, separators=(",", ":"), ensure_ascii=False) for m in messages],
    ]


async def add_many(session: AsyncSession, model: type[OutboxColumns], messages: Sequence[OutboxMessage]) -> None:
    """Write the messages in the session's transaction, in one statement: plain SQL on the session's connection
    (every checkout writes events; no ORM compilation on that path)."""
    if messages:
        await write(await driver_connection(session), model, messages)


async def write(connection: asyncpg.Connection, model: type[OutboxColumns], messages: Sequence[OutboxMessage]) -> None:
    """`add_many` on a connection inside the caller's transaction (a path that has no ORM session)."""
    if messages:
        await connection.execute(insert_sql(table_of(model).name), *insert_args(messages))


def prune_sql(table: str) -> str:
    """`prune`'s DELETE, the age as parameter $1: rows found through the created_at index, so a prune reads only
    what it removes (without the index, each prune read the whole table, a day of rows). `table` comes from a
    mapped class, never from input."""
    return f"DELETE FROM {table} WHERE created_at < now() - $1::interval"  # noqa: S608


async def prune(session: AsyncSession, model: type[OutboxColumns], older_than: timedelta = OUTBOX_RETENTION) -> int:
    """Delete outbox rows older than `older_than`, in the session's transaction; returns how many."""
    status = await (await driver_connection(session)).execute(prune_sql(table_of(model).name), older_than)
    return int(status.rsplit(" ", 1)[-1])  # "DELETE <count>"
