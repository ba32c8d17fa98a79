import uuid
from datetime import timedelta

from factories import fetch_all
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.models import Outbox
from servicekit.outbox import prune


async def test_the_inventory_outbox_keeps_a_day_of_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    ids = {hours: uuid.uuid4() for hours in (30, 2)}
    async with sessionmaker() as session, session.begin():
        for hours, row_id in ids.items():
            await session.execute(
                text(
                    "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, created_at) VALUES "
                    "(:id, 'stock', 'x', 'inventory.updated', '{}', now() - CAST(:age AS interval))"
                ),
                {"id": row_id, "age": timedelta(hours=hours)},
            )
    async with sessionmaker() as session, session.begin():
        await prune(session, Outbox)
    sql = "SELECT id FROM outbox WHERE id = ANY(:ids)"
    assert {r["id"] for r in await fetch_all(sessionmaker, sql, ids=list(ids.values()))} == {ids[2]}
