import uuid
from typing import Any

import asyncpg
from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ecom.catalog.schemas import SortOrder
from ecom.config import API_PREFIX
from ecom.models import Book

# Read paths (the catalog's list and search) run one hand-written statement on a plain connection, and PostgreSQL
# writes the page's items as JSON itself: no ORM objects, no rows decoded into Python values only to be encoded
# again. The page's total comes with its rows, so a page is one round trip: counted apart for the list (each sort
# order's page is the first rows of an index in that order, `ecom.models.book.PAGE_INDEXES`, which a count over the
# page's rows would have to read in full and sort), with the rows (`count(*) OVER ()`) for a search's few matches.
_BOOK = "id, title, author, isbn13, genre, published_year, price, description, created_at"
_COLUMNS = f"{_BOOK}, count(*) OVER () AS total"

# One item of a `BookPage`, in `BookRead`'s field order and serialisation (the price and the id as strings); a
# test compares the statements' pages with the model's.
_ITEM = f"""SELECT page.id, page.title, page.author, page.isbn13, page.genre, page.published_year AS year,
  page.price::text AS price, page.description, '{API_PREFIX}/books/' || page.id || '/cover.svg' AS cover_url"""

# The id makes every order total, so pages never repeat or skip a book.
_ORDER = {
    SortOrder.TITLE: "title, id",
    SortOrder.TITLE_DESC: "title DESC, id",
    SortOrder.AUTHOR: "author, title, id",
    SortOrder.AUTHOR_DESC: "author DESC, title, id",
    SortOrder.PRICE: "price, title, id",
    SortOrder.PRICE_DESC: "price DESC, title, id",
    SortOrder.YEAR: "published_year, title, id",
    SortOrder.YEAR_DESC: "published_year DESC, title, id",
    SortOrder.NEWEST: "created_at DESC, title, id",
}

# Below this trigram word similarity a query is not taken as a misspelling of a title or author word.
TYPO_THRESHOLD = 0.45
# The session settings of the connections `search` runs on (ecom's search pool, `ecom.catalog.dependencies`): the
# typo branch's `<%` reads its threshold from pg_trgm.word_similarity_threshold, and sequential scans are off so
# PostgreSQL plans every search from its indexes. It prices the trigram indexes above reading a small catalog, which
# costs several times more (the shipped 124 books: 1.2-1.5 ms of execution per search read in full, 0.2 ms from the
# indexes; searches per second through the gateway 954-1 052 -> 2 277-2 484; docs/benchmarks.md); with tens of
# thousands of books it takes the indexes on its own. Only the search statement runs on these connections.
SEARCH_SETTINGS = {"pg_trgm.word_similarity_threshold": str(TYPO_THRESHOLD), "enable_seqscan": "off"}

# Full-text matches ranked by ts_rank_cd (title > author > description), plus trigram matches of title or author
# words so a misspelling (`tolkein`) still finds the book. $1 is the query text. Each branch of the WHERE is an
# operator one index answers (the search vector's GIN index, the title's and the author's trigram GIN indexes, as a
# BitmapOr), so a large catalog is not read book by book: with 100 000 books a search took 540-790 ms while the typo
# branch compared word similarities with the threshold itself (no index can answer that), 1.1-1.9 ms with `<%`
# (scripts/bench_catalog_scale.py; a test checks the plans). `active IS NOT FALSE` means `active` (the column is NOT
# NULL) but implies no partial index's `WHERE active`: with sequential scans off (SEARCH_SETTINGS) PostgreSQL would
# otherwise read every active book through such an index. The score's word similarities are computed for the
# matches only. The similarity of the whole title is not part of the score: the whole title is one of the extents
# word_similarity takes the best of, and it divides by the query's trigrams only, so it is never smaller (a test
# checks this on the catalog). The query is parsed once, in FROM: as a column it was parsed again for every book
# whenever PostgreSQL ran the prepared statement's generic plan (its parameter unknown at planning, the call cannot
# be folded into a constant). (S608: the statements below are put together from constants only; every value a
# caller sends is a bind parameter.)
_SEARCH = f"""
SELECT {_COLUMNS},
  ts_rank_cd(search_vector, tsquery) * 2 + greatest(word_similarity($1, title), word_similarity($1, author)) AS rank
FROM book, websearch_to_tsquery('english', $1) AS tsquery
WHERE active IS NOT FALSE AND (search_vector @@ tsquery OR $1 <% title OR $1 <% author)
"""  # noqa: S608
_SEARCH_ORDER = "rank DESC, title, id"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _page(
    connection: asyncpg.Connection,
    sql: str,
    order: str,
    args: list[Any],
    *,
    offset: int,
    limit: int,
    count: str | None = None,
) -> tuple[str, int]:
    """One page of `sql`'s rows in `order`, as a JSON array of `BookRead`s, and the number of all its rows: from
    `count` (a statement counting them, run in the same statement) if given, else from the rows' `total` column (a
    second count only for a page past the end)."""
    n = len(args)
    within_page = ", ".join(f"page.{key}" for key in order.split(", "))  # `item` has columns of the same names
    total = f"({count})" if count else "max(page.total)"
    paged = f"""
SELECT json_agg(item ORDER BY {within_page})::text AS items, {total} AS total
FROM ({sql} ORDER BY {order} LIMIT ${n + 1} OFFSET ${n + 2}) AS page
CROSS JOIN LATERAL ({_ITEM}) AS item"""  # noqa: S608
    items, found = await connection.fetchrow(paged, *args, limit, offset)
    if items is not None or count:
        return items or "[]", found
    found = await connection.fetchval(f"SELECT count(*) FROM ({sql}) AS page", *args) if offset else 0  # noqa: S608
    return "[]", found


async def list_books(
    connection: asyncpg.Connection,
    *,
    genre: str | None,
    author: str | None,
    sort: SortOrder,
    offset: int,
    limit: int,
) -> tuple[str, int]:
    """Active books, filtered, in `sort` order: one page (a JSON array) and the total."""
    where, args = ["active"], []
    if genre:
        args.append(genre.lower())
        where.append(f"lower(genre) = ${len(args)}")
    if author:
        args.append(f"%{_escape_like(author)}%")
        where.append(f"author ILIKE ${len(args)} ESCAPE '\\'")
    condition = " AND ".join(where)
    sql, count = f"SELECT {_BOOK} FROM book WHERE {condition}", f"SELECT count(*) FROM book WHERE {condition}"  # noqa: S608
    return await _page(connection, sql, _ORDER[sort], args, offset=offset, limit=limit, count=count)


async def search(connection: asyncpg.Connection, q: str, *, offset: int, limit: int) -> tuple[str, int]:
    """Ranked full-text search with typo tolerance: one page (a JSON array) and the number of matches."""
    return await _page(connection, _SEARCH, _SEARCH_ORDER, [q], offset=offset, limit=limit)


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
