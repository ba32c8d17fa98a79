import uuid
from datetime import timedelta

from factories import fetch_all
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.models import Outbox
from servicekit.outbox import prune
from servicekit.testing import prune_plan


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


async def test_old_rows_are_found_through_the_created_at_index(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    # Every worker prunes every 30 s; without the index each prune read the whole outbox (a day of rows).
    async with sessionmaker() as session, session.begin():
        plan = await prune_plan(session, "outbox")
    assert "ix_outbox_created_at" in plan and "Seq Scan" not in plan, plan
