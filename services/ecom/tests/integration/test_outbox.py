import uuid
from datetime import timedelta

from factories import fetch_all
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom.models import Outbox
from servicekit.outbox import prune
from servicekit.testing import prune_plan

Sessions = async_sessionmaker[AsyncSession]


async def add_row(ecom_db: Sessions, age: timedelta) -> uuid.UUID:
    row_id = uuid.uuid4()
    async with ecom_db() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, created_at) "
                "VALUES (:id, 'order', 'x', 'order.created', '{}', now() - CAST(:age AS interval))"
            ),
            {"id": row_id, "age": age},
        )
    return row_id


class TestOutboxPruning:
    async def test_rows_older_than_a_day_are_deleted_and_recent_ones_kept(self, ecom_db: Sessions) -> None:
        old, recent = await add_row(ecom_db, timedelta(hours=25)), await add_row(ecom_db, timedelta(hours=1))
        async with ecom_db() as session, session.begin():
            assert await prune(session, Outbox) >= 1
        left = {
            r["id"] for r in await fetch_all(ecom_db, "SELECT id FROM outbox WHERE id IN (:a, :b)", a=old, b=recent)
        }
        assert left == {recent}

    async def test_old_rows_are_found_through_the_created_at_index(self, ecom_db: Sessions) -> None:
        # Every worker prunes every 30 s; without the index each prune read the whole outbox (a day of rows).
        async with ecom_db() as session, session.begin():
            plan = await prune_plan(session, "outbox")
        assert "ix_outbox_created_at" in plan and "Seq Scan" not in plan, plan
