"""`python -m ecom.seed`: load the shared catalog file's books that are not in the database yet (idempotent)."""

import asyncio
import logging

from ecom.catalog import repository
from ecom.config import Settings, get_settings
from servicekit.catalog import load_catalog
from servicekit.db import one_off_session
from servicekit.logs import configure_logging

logger = logging.getLogger(__name__)


async def seed(settings: Settings) -> int:
    books = load_catalog(settings.catalog_seed)
    rows = [
        {
            "id": b.id,
            "title": b.title,
            "author": b.author,
            "isbn13": b.isbn13,
            "genre": b.genre,
            "published_year": b.year,
            "price": b.price,
            "description": b.description,
        }
        for b in books
    ]
    async with one_off_session(settings.database_url) as session:
        inserted = await repository.insert_missing(session, rows)
    # Books an admin edited or removed since are left as they are.
    logger.info("catalog seeded", extra={"catalog_books": len(books), "inserted": inserted})
    return inserted


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    asyncio.run(seed(settings))


if __name__ == "__main__":
    main()
