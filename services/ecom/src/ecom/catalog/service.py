import uuid

import asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.catalog import repository
from ecom.catalog.exceptions import BookNotFound, IsbnTaken
from ecom.catalog.schemas import BookWrite, GenreCount, SortOrder
from ecom.models import Book


def page_json(items: str, total: int, page: int, size: int) -> bytes:
    """A `BookPage` as JSON around its items, which PostgreSQL wrote (the catalog's hottest path builds no models;
    an integration test compares its pages with `BookPage`'s)."""
    return f'{{"items":{items},"total":{total},"page":{page},"size":{size}}}'.encode()


async def list_books(
    connection: asyncpg.Connection,
    *,
    page: int,
    size: int,
    genre: str | None,
    author: str | None,
    sort: SortOrder,
) -> bytes:
    """Active books, filtered and sorted, one page (a `BookPage` as JSON)."""
    items, total = await repository.list_books(
        connection, genre=genre, author=author, sort=sort, offset=(page - 1) * size, limit=size
    )
    return page_json(items, total, page, size)


async def search(connection: asyncpg.Connection, q: str, *, page: int, size: int) -> bytes:
    """Ranked full-text search with typo tolerance (a `BookPage` as JSON)."""
    items, total = await repository.search(connection, q, offset=(page - 1) * size, limit=size)
    return page_json(items, total, page, size)


async def genres(session: AsyncSession) -> list[GenreCount]:
    return [GenreCount(genre=g, count=c) for g, c in await repository.genres(session)]


async def get_book(session: AsyncSession, book_id: uuid.UUID) -> Book:
    book = await repository.get(session, book_id)
    if book is None:
        raise BookNotFound(book_id)
    return book


def _values(body: BookWrite) -> dict[str, object]:
    values = body.model_dump(exclude={"year"})
    values["published_year"] = body.year
    return values


async def create_book(session: AsyncSession, body: BookWrite) -> Book:
    """Add a book to the catalog (409 if its ISBN exists, even on a removed book)."""
    if await repository.isbn_taken(session, body.isbn13):
        raise IsbnTaken(body.isbn13)
    try:
        return await repository.insert_book(session, {"id": uuid.uuid4(), **_values(body)})
    except IntegrityError as exc:  # a concurrent create with the same ISBN won
        raise IsbnTaken(body.isbn13) from exc


async def update_book(session: AsyncSession, book_id: uuid.UUID, body: BookWrite) -> Book:
    """Replace a book's fields; orders keep the title and price they were sold with."""
    if await repository.isbn_taken(session, body.isbn13, other_than=book_id):
        raise IsbnTaken(body.isbn13)
    try:
        book = await repository.update_book(session, book_id, _values(body))
    except IntegrityError as exc:
        raise IsbnTaken(body.isbn13) from exc
    if book is None:
        raise BookNotFound(book_id)
    return book


async def delete_book(session: AsyncSession, book_id: uuid.UUID) -> None:
    """Soft delete: the book leaves the catalog; past orders and their lines keep referencing it."""
    if not await repository.deactivate(session, book_id):
        raise BookNotFound(book_id)
