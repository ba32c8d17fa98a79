"""`python -m inventory.seed`: create stock rows for catalog books that have none (idempotent)."""

import asyncio
import logging
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from inventory.config import Settings, get_settings
from inventory.stock import repository
from servicekit.catalog import CatalogBook, load_catalog
from servicekit.db import one_off_session
from servicekit.logs import configure_logging

logger = logging.getLogger(__name__)

SEED_ACTOR = "system:seed"


async def seed_stock(session: AsyncSession, books: list[CatalogBook]) -> int:
    """Insert missing stock rows, each with an opening `seed` movement; existing rows are left alone."""
    inserted = await repository.insert_missing(session, {book.id: book.initial_stock for book in books})
    for book_id, available in inserted.items():
        if available:
            await repository.insert_movement(
                session, id=uuid4(), book_id=book_id, delta=available, reason="seed", actor=SEED_ACTOR
            )
    return len(inserted)


async def seed(settings: Settings) -> int:
    books = load_catalog(settings.catalog_seed)
    async with one_off_session(settings.database_url) as session:
        inserted = await seed_stock(session, books)
    logger.info("stock seeded", extra={"catalog_books": len(books), "inserted": inserted})
    return inserted


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    asyncio.run(seed(settings))


if __name__ == "__main__":
    main()
