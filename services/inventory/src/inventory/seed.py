"""`python -m inventory.seed`: create stock rows for catalog books that have none (idempotent)."""

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from inventory.config import get_settings
from inventory.stock import repository
from servicekit.catalog import CatalogBook
from servicekit.seed import CatalogSeed

SEED_ACTOR = "system:seed"


async def seed_stock(session: AsyncSession, books: list[CatalogBook]) -> int:
    """Insert missing stock rows, each with an opening `seed` movement; existing rows are left alone."""
    inserted = await repository.insert_missing(session, {book.id: book.initial_stock for book in books})
    opening = [(uuid4(), book_id, available) for book_id, available in inserted.items() if available]
    if opening:
        await repository.insert_movements(
            session, opening, reason="seed", actor=SEED_ACTOR, order_id=None, note=None, created_at=datetime.now(UTC)
        )
    return len(inserted)


seed = CatalogSeed(seed_stock, get_settings, logged_as="stock seeded")
main = seed.main

if __name__ == "__main__":
    main()
