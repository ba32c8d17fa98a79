import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.catalog.schemas import SortOrder
from ecom.models import Book

_ORDER = {
    SortOrder.TITLE: (Book.title.asc(),),
    SortOrder.TITLE_DESC: (Book.title.desc(),),
    SortOrder.AUTHOR: (Book.author.asc(), Book.title.asc()),
    SortOrder.AUTHOR_DESC: (Book.author.desc(), Book.title.asc()),
    SortOrder.PRICE: (Book.price.asc(), Book.title.asc()),
    SortOrder.PRICE_DESC: (Book.price.desc(), Book.title.asc()),
    SortOrder.YEAR: (Book.published_year.asc(), Book.title.asc()),
    SortOrder.YEAR_DESC: (Book.published_year.desc(), Book.title.asc()),
    SortOrder.NEWEST: (Book.created_at.desc(), Book.title.asc()),
}

# Below this trigram word similarity a query is not taken as a misspelling of a title or author word.
TYPO_THRESHOLD = 0.45


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _active() -> Select[Any]:
    return select(Book).where(Book.active)


async def _page(session: AsyncSession, query: Select[Any], *, offset: int, limit: int) -> tuple[list[Book], int]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (await session.scalars(query.offset(offset).limit(limit))).all()
    return list(rows), total or 0


async def list_books(
    session: AsyncSession, *, genre: str | None, author: str | None, sort: SortOrder, offset: int, limit: int
) -> tuple[list[Book], int]:
    query = _active()
    if genre:
        query = query.where(func.lower(Book.genre) == genre.lower())
    if author:
        query = query.where(Book.author.ilike(f"%{_escape_like(author)}%", escape="\\"))
    # The id makes the order total, so pages never repeat or skip a book.
    return await _page(session, query.order_by(*_ORDER[sort], Book.id), offset=offset, limit=limit)


async def search(session: AsyncSession, q: str, *, offset: int, limit: int) -> tuple[list[Book], int]:
    """Full-text matches ranked by ts_rank_cd (title > author > description), plus trigram matches of
    title or author words so a misspelling (`tolkein`) still finds the book."""
    tsquery = func.websearch_to_tsquery("english", q)
    similarity = func.greatest(
        func.word_similarity(q, Book.title), func.word_similarity(q, Book.author), func.similarity(q, Book.title)
    )
    rank = func.ts_rank_cd(Book.search_vector, tsquery) * 2 + similarity
    query = (
        _active()
        .where(or_(Book.search_vector.op("@@")(tsquery), similarity >= literal(TYPO_THRESHOLD)))
        .order_by(rank.desc(), Book.title, Book.id)
    )
    return await _page(session, query, offset=offset, limit=limit)


async def genres(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(
        select(Book.genre, func.count()).where(Book.active).group_by(Book.genre).order_by(Book.genre)
    )
    return [(genre, count) for genre, count in rows.all()]


async def get(session: AsyncSession, book_id: uuid.UUID, *, active_only: bool = True) -> Book | None:
    query = select(Book).where(Book.id == book_id)
    if active_only:
        query = query.where(Book.active)
    book: Book | None = await session.scalar(query)
    return book


async def get_many(session: AsyncSession, book_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Book]:
    """Books by id, inactive ones included (callers decide what a removed book means to them)."""
    if not book_ids:
        return {}
    rows = await session.scalars(select(Book).where(Book.id.in_(book_ids)))
    return {book.id: book for book in rows}


async def insert_book(session: AsyncSession, values: dict[str, Any]) -> Book:
    """Insert a book (IntegrityError if its ISBN is taken)."""
    book = Book(**values)
    session.add(book)
    await session.flush()
    return book


async def insert_missing(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert catalog rows whose id is not present yet; returns how many were inserted."""
    if not rows:
        return 0
    result = await session.execute(
        insert(Book).values(rows).on_conflict_do_nothing(index_elements=[Book.id]).returning(Book.id)
    )
    return len(result.all())


async def update_book(session: AsyncSession, book_id: uuid.UUID, values: dict[str, Any]) -> Book | None:
    """Replace an active book's fields; None when there is no such book (IntegrityError on a taken ISBN)."""
    book: Book | None = await session.scalar(
        update(Book).where(Book.id == book_id, Book.active).values(**values).returning(Book)
    )
    return book


async def deactivate(session: AsyncSession, book_id: uuid.UUID) -> bool:
    result = await session.execute(
        update(Book).where(Book.id == book_id, Book.active).values(active=False).returning(Book.id)
    )
    return result.first() is not None


async def isbn_taken(session: AsyncSession, isbn13: str, *, other_than: uuid.UUID | None = None) -> bool:
    query = select(literal(1)).where(Book.isbn13 == isbn13)
    if other_than is not None:
        query = query.where(Book.id != other_than)
    return await session.scalar(query) is not None
