"""`python -m ecom.seed`: load the shared catalog file's books that are not in the database yet (idempotent)."""

from sqlalchemy.ext.asyncio import AsyncSession

from ecom.catalog import repository
from ecom.config import get_settings
from servicekit.catalog import CatalogBook
from servicekit.seed import CatalogSeed


async def insert_books(session: AsyncSession, books: list[CatalogBook]) -> int:
    """Insert the books the database lacks; books an admin edited or removed since are left as they are."""
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
    return await repository.insert_missing(session, rows)


seed = CatalogSeed(insert_books, get_settings, logged_as="catalog seeded")
main = seed.main

if __name__ == "__main__":
    main()
