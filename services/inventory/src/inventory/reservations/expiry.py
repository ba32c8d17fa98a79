import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.outbox import repository as outbox
from inventory.reservations.service import expire_reservations

logger = logging.getLogger(__name__)


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], *, batch_size: int) -> int:
    """Expire every overdue reservation, one transaction per batch; returns how many."""
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            expired = await expire_reservations(session, limit=batch_size)
        total += expired
        if expired < batch_size:
            return total


async def run_expiry_loop(
    sessionmaker: async_sessionmaker[AsyncSession], *, interval_seconds: float, batch_size: int
) -> None:
    """Background task of the app's lifespan (expiry, then outbox housekeeping); runs until cancelled."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            if expired := await sweep(sessionmaker, batch_size=batch_size):
                logger.info("expired reservations", extra={"count": expired})
            async with sessionmaker() as session, session.begin():
                await outbox.prune(session)
        except Exception:
            logger.exception("reservation expiry sweep failed; retrying next interval")
