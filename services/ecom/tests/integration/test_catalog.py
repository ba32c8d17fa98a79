import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from factories import SigningKey, admin_token, bearer, book_body, create_book, csrf_headers
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecom.catalog import repository
from ecom.catalog.schemas import BookPage, BookRead, SortOrder
from ecom.models import Book
from ecom.models.book import PAGE_INDEXES
from servicekit.db import plain_connection

Sessions = async_sessionmaker[AsyncSession]


def genre() -> str:
    """A genre no other test uses, so counts and orders are exact."""
    return f"G-{uuid.uuid4().hex[:10]}"


# Books whose titles, authors and descriptions are made of hexadecimal words: nothing a test searches for.
SYNTHETIC_BOOKS = """
INSERT INTO book (id, title, author, isbn13, genre, published_year, price, description)
SELECT gen_random_uuid(), substr(md5(i::text), 1, 7) || ' ' || substr(md5((i * 7)::text), 3, 9),
  substr(md5((i * 3)::text), 1, 6) || ' ' || substr(md5((i * 5)::text), 2, 8), '7' || lpad(i::text, 12, '0'),
  'synthetic', 2000 + i % 20, 5 + i % 50, 'about ' || substr(md5((i * 11)::text), 1, 8)
FROM generate_series(1, $1) AS i"""
SEARCH_INDEXES = ["ix_book_search_vector", "ix_book_title_trgm", "ix_book_author_trgm"]


@contextlib.asynccontextmanager
async def large_catalog(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of `pool`, in a transaction (rolled back at the end) that added 20 000 books."""
    async with plain_connection(pool) as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            await connection.execute(SYNTHETIC_BOOKS, 20_000)
            # A bulk insert leaves its entries in the GIN indexes' pending lists, which PostgreSQL reads whole on
            # every scan until (auto)vacuum merges them; merged here, as a catalog that grows by the book has them.
            await connection.execute(
                "SELECT gin_clean_pending_list(index::regclass) FROM unnest($1::text[]) AS index", SEARCH_INDEXES
            )
            await connection.execute("ANALYZE book")
            yield connection
        finally:
            await transaction.rollback()
            # The table is rewritten without the rolled-back rows, and ANALYZE, which wrote its size in place, measures
            # what is left: the table is as small as before for the tests that follow.
            await connection.execute("VACUUM (FULL, ANALYZE) book")


class Explaining:
    """Stands in for a connection in `catalog.repository`'s page reads: records the plan of each statement (its
    nodes, depth first) instead of running it, and answers an empty page."""

    def __init__(self, connection: asyncpg.Connection | None = None) -> None:
        self.connection = connection
        self.plans: list[list[dict[str, Any]]] = []

    async def fetchrow(self, sql: str, *args: Any) -> tuple[str, int]:
        assert self.connection is not None
        plan = json.loads(await self.connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))
        self.plans.append(list(_plan_nodes(plan[0]["Plan"])))
        return "[]", 0


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


class TestListing:
    async def test_pages_cover_every_book_once_in_title_order(self, client: AsyncClient, ecom_db: Sessions) -> None:
        g = genre()
        titles = [f"Book {c}" for c in "EBDAC"]
        for title in titles:
            await create_book(ecom_db, title=title, genre=g)
        pages = [(await client.get("/ecom/books", params={"genre": g, "size": 2, "page": p})).json() for p in (1, 2, 3)]
        assert [page["total"] for page in pages] == [5, 5, 5]
        assert [page["page"] for page in pages] == [1, 2, 3]
        assert [b["title"] for page in pages for b in page["items"]] == sorted(titles)

    async def test_genre_filter_ignores_case_and_author_filter_matches_part_of_the_name(
        self, client: AsyncClient, ecom_db: Sessions
    ) -> None:
        g = genre()
        await create_book(ecom_db, genre=g, author="Ursula K. Le Guin", title="A")
        await create_book(ecom_db, genre=g, author="Someone Else", title="B")
        by_genre = (await client.get("/ecom/books", params={"genre": g.upper()})).json()
        assert by_genre["total"] == 2
        by_author = (await client.get("/ecom/books", params={"genre": g, "author": "le gui"})).json()
        assert [b["author"] for b in by_author["items"]] == ["Ursula K. Le Guin"]

    async def test_author_filter_treats_like_wildcards_as_text(self, client: AsyncClient, ecom_db: Sessions) -> None:
        g = genre()
        await create_book(ecom_db, genre=g, author="Plain Name")
        assert (await client.get("/ecom/books", params={"genre": g, "author": "%"})).json()["total"] == 0

    async def test_sorts_by_price_and_year_both_ways(self, client: AsyncClient, ecom_db: Sessions) -> None:
        g = genre()
        for title, price, year in (("X", "9.99", 2001), ("Y", "30.00", 1999), ("Z", "15.50", 2010)):
            await create_book(ecom_db, genre=g, title=title, price=price, year=year)

        async def order(sort: str) -> list[str]:
            return [
                b["title"] for b in (await client.get("/ecom/books", params={"genre": g, "sort": sort})).json()["items"]
            ]

        assert await order("price") == ["X", "Z", "Y"]
        assert await order("-price") == ["Y", "Z", "X"]
        assert await order("year") == ["Y", "X", "Z"]
        assert await order("-year") == ["Z", "X", "Y"]
        assert await order("-title") == ["Z", "Y", "X"]

    async def test_removed_books_are_not_listed(self, client: AsyncClient, ecom_db: Sessions) -> None:
        g = genre()
        await create_book(ecom_db, genre=g, active=False)
        assert (await client.get("/ecom/books", params={"genre": g})).json()["total"] == 0

    async def test_bad_paging_and_sort_are_422_naming_the_parameter(self, client: AsyncClient) -> None:
        for params, name in (({"size": 101}, "size"), ({"page": 0}, "page"), ({"sort": "cheapest"}, "sort")):
            response = await client.get("/ecom/books", params=params)
            assert response.status_code == 422
            assert response.json()["error"] == "validation_error"
            assert response.json()["detail"][0]["loc"] == ["query", name]

    async def test_genres_lists_counts(self, client: AsyncClient, ecom_db: Sessions) -> None:
        g = genre()
        await create_book(ecom_db, genre=g)
        await create_book(ecom_db, genre=g)
        genres = {row["genre"]: row["count"] for row in (await client.get("/ecom/books/genres")).json()}
        assert genres[g] == 2

    async def test_a_large_catalogs_pages_are_read_in_order_from_an_index(self, app: FastAPI) -> None:
        """With 20 000 more books a page is not the whole catalog sorted: for every sort order the page's books are
        the first rows of that order's index (no sort, the total counted apart), and a genre is looked up in the
        index of lower(genre)."""
        async with large_catalog(app.state.plain_pool) as connection:
            explaining = Explaining(connection)
            for sort in SortOrder:
                await repository.list_books(explaining, genre=None, author=None, sort=sort, offset=0, limit=20)  # type: ignore[arg-type]
            await repository.list_books(
                explaining, genre="Fantasy", author=None, sort=SortOrder.TITLE, offset=0, limit=20
            )  # type: ignore[arg-type]
        *sorted_plans, genre_plan = explaining.plans
        for sort, nodes in zip(SortOrder, sorted_plans, strict=True):
            (index,) = [name for name, columns in PAGE_INDEXES.items() if ", ".join(columns) == repository._ORDER[sort]]
            assert index in {node.get("Index Name") for node in nodes}, (sort, nodes)
            # Neither a sort nor a window (a count over the rows would read them all to the end of the index).
            assert [node for node in nodes if node["Node Type"] in ("Sort", "WindowAgg")] == [], (sort, nodes)
        assert "ix_book_active_genre_lower" in {node.get("Index Name") for node in genre_plan}, genre_plan


class TestPagesWrittenByPostgres:
    """The list and search pages are JSON written by PostgreSQL; each must equal what `BookPage` writes for the
    same books, whatever the sort, and for text, prices and years that JSON or numbers could get wrong."""

    TRICKY = (
        ('Grüße aus "Wien"', "Ann \\ Author", "12.50", 1999, "Line one\nline two\t— ✓ </script>"),
        ("Zebra", "Émile Zola", "0.99", 1880, "Control \u0001 character"),
        ("Apple", "Ann Author", "9999.00", 2024, "Plain"),
        ("Mango", "Bob", "10.10", 2024, "Plain"),
    )

    async def expected(self, ecom_db: Sessions, page: dict[str, Any], total: int, size: int) -> dict[str, object]:
        """`BookPage`'s JSON for the page's books (read through the ORM), in the page's order."""
        ids = [uuid.UUID(item["id"]) for item in page["items"]]
        async with ecom_db() as session:
            books = {b.id: b for b in await session.scalars(select(Book).where(Book.id.in_(ids)))}
        expected = BookPage(items=[BookRead.model_validate(books[i]) for i in ids], total=total, page=1, size=size)
        return expected.model_dump(mode="json")

    @pytest.mark.parametrize("sort", list(SortOrder))
    async def test_every_sort_equals_the_models_serialisation(
        self, client: AsyncClient, ecom_db: Sessions, sort: SortOrder
    ) -> None:
        g = genre()
        for title, author, price, year, description in self.TRICKY:
            await create_book(
                ecom_db, genre=g, title=title, author=author, price=price, year=year, description=description
            )
        page = (await client.get("/ecom/books", params={"genre": g, "sort": sort.value, "size": 3})).json()
        assert len(page["items"]) == 3
        assert page == await self.expected(ecom_db, page, 4, 3)

    async def test_a_search_page_equals_the_models_serialisation(self, client: AsyncClient, ecom_db: Sessions) -> None:
        word = f"w{uuid.uuid4().hex[:12]}"
        for title, author, price, year, description in self.TRICKY:
            await create_book(
                ecom_db, title=title, author=author, price=price, year=year, description=f"{description} {word}"
            )
        page = (await client.get("/ecom/books/search", params={"q": word, "size": 10})).json()
        assert sorted(item["title"] for item in page["items"]) == sorted(t for t, *_ in self.TRICKY)
        assert page == await self.expected(ecom_db, page, 4, 10)

    async def test_a_page_past_the_end_is_empty_with_the_total(self, client: AsyncClient, ecom_db: Sessions) -> None:
        g = genre()
        await create_book(ecom_db, genre=g)
        page = (await client.get("/ecom/books", params={"genre": g, "page": 5})).json()
        assert page == {"items": [], "total": 1, "page": 5, "size": 20}


class TestBook:
    async def test_returns_the_book_with_price_as_decimal_string_and_cover(
        self, client: AsyncClient, ecom_db: Sessions
    ) -> None:
        book_id = await create_book(ecom_db, title="Detail", price="7.05", year=1999)
        body = (await client.get(f"/ecom/books/{book_id}")).json()
        assert body["title"] == "Detail"
        assert body["price"] == "7.05"
        assert body["year"] == 1999
        assert body["cover_url"] == f"/ecom/books/{book_id}/cover.svg"

    async def test_unknown_removed_and_malformed_ids(self, client: AsyncClient, ecom_db: Sessions) -> None:
        removed = await create_book(ecom_db, active=False)
        for book_id in (uuid.uuid4(), removed):
            response = await client.get(f"/ecom/books/{book_id}")
            assert response.status_code == 404
            assert response.json()["error"] == "book_not_found"
        assert (await client.get("/ecom/books/not-a-uuid")).status_code == 422

    async def test_cover_is_svg_with_the_title_escaped(self, client: AsyncClient, ecom_db: Sessions) -> None:
        book_id = await create_book(ecom_db, title="<script>alert(1)</script>")
        response = await client.get(f"/ecom/books/{book_id}/cover.svg")
        assert response.headers["content-type"] == "image/svg+xml"
        assert "sandbox" in response.headers["content-security-policy"]
        assert "<script>" not in response.text
        assert "&lt;script&gt;" in response.text

    async def test_markup_in_a_title_round_trips_as_plain_data(
        self, client: AsyncClient, signing_key: SigningKey
    ) -> None:
        title = f"<script>alert('{uuid.uuid4().hex[:6]}')</script> & <b>bold</b>"
        admin = bearer(admin_token(signing_key))
        created = await client.post(
            "/ecom/admin/books", json=book_body(title=title), headers=await csrf_headers(client, admin)
        )
        assert created.status_code == 201, created.text
        fetched = (await client.get(f"/ecom/books/{created.json()['id']}")).json()
        assert fetched["title"] == title
        found = (await client.get("/ecom/books/search", params={"q": title})).json()
        assert title in [b["title"] for b in found["items"]]


class TestSearch:
    async def test_title_match_ranks_above_description_match(self, client: AsyncClient, ecom_db: Sessions) -> None:
        word = f"zq{uuid.uuid4().hex[:6]}"
        in_description = await create_book(ecom_db, title="Plain", description=f"A story about {word} and more.")
        in_title = await create_book(ecom_db, title=f"The {word}")
        items = (await client.get("/ecom/books/search", params={"q": word})).json()["items"]
        ours = [b["id"] for b in items if b["id"] in (str(in_title), str(in_description))]
        assert ours == [str(in_title), str(in_description)]
        assert items[0]["id"] == str(in_title)

    async def test_a_misspelt_author_still_finds_the_book(self, client: AsyncClient, ecom_db: Sessions) -> None:
        # word_similarity("tolkein", ...) is 0.5: above the catalog's threshold (0.45), below pg_trgm's default (0.6).
        book_id = await create_book(ecom_db, title="Trigram Tale", author="Jolanda Tolkien-Varga")
        items = (await client.get("/ecom/books/search", params={"q": "tolkein", "size": 100})).json()["items"]
        assert str(book_id) in [b["id"] for b in items]

    async def test_a_misspelt_title_still_finds_the_book(self, client: AsyncClient, ecom_db: Sessions) -> None:
        book_id = await create_book(ecom_db, title="Quixotic Wanderings")
        items = (await client.get("/ecom/books/search", params={"q": "quixotik wanderins", "size": 100})).json()
        assert str(book_id) in [b["id"] for b in items["items"]]

    async def test_words_match_anywhere_across_title_author_description(
        self, client: AsyncClient, ecom_db: Sessions
    ) -> None:
        token = uuid.uuid4().hex[:8]
        book_id = await create_book(ecom_db, title=f"Alpha{token}", description=f"beta{token} gamma")
        found = (await client.get("/ecom/books/search", params={"q": f"alpha{token} beta{token}"})).json()
        assert found["items"][0]["id"] == str(book_id)

    async def test_a_titles_similarity_never_exceeds_its_word_similarity(self, ecom_db: Sessions) -> None:
        """Why the search leaves similarity(q, title) out of its score: word_similarity(q, title) is never smaller,
        checked for the whole catalog against misspelt, partial, multi-word and accented queries."""
        queries = ["tolkein", "war and peace", "hobbit", "émile", "lord of the rings", "x", "jane austin", "the"]
        async with ecom_db() as session:
            larger = await session.scalar(
                text(
                    "SELECT count(*) FROM unnest(cast(:queries AS text[])) AS q(t), book"
                    " WHERE similarity(t, title) > word_similarity(t, title)"
                ),
                {"queries": queries},
            )
            pairs = await session.scalar(text("SELECT count(*) * :n FROM book"), {"n": len(queries)})
        assert pairs > 0
        assert larger == 0

    async def test_every_search_is_answered_by_its_indexes(self, app: FastAPI) -> None:
        """PostgreSQL reads no book one by one for a search: each branch (full text, title words, author words) is
        answered by its own index, with 20 000 more books and for the few the tests leave (where it would rather
        read them all), in the plan for the query at hand and in the prepared statement's generic plan. The search's
        own connections start with the catalog's typo threshold and sequential scans off (`SEARCH_SETTINGS`)."""
        explaining = Explaining()
        async with large_catalog(app.state.search_pool) as connection:
            explaining.connection = connection
            await repository.search(explaining, "tolkein", offset=0, limit=20)  # type: ignore[arg-type]
            await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await repository.search(explaining, "tolkein", offset=0, limit=20)  # type: ignore[arg-type]
        async with plain_connection(app.state.search_pool) as connection:
            for name, value in repository.SEARCH_SETTINGS.items():
                assert await connection.fetchval(f"SHOW {name}") == value
            assert await connection.fetchval("SELECT count(*) FROM book") < 1000
            explaining.connection = connection
            await repository.search(explaining, "tolkein", offset=0, limit=20)  # type: ignore[arg-type]
        assert len(explaining.plans) == 3
        for nodes in explaining.plans:
            assert set(SEARCH_INDEXES) <= {node.get("Index Name") for node in nodes}, nodes
            assert [node for node in nodes if node["Node Type"] == "Seq Scan"] == []

    async def test_nonsense_finds_nothing(self, client: AsyncClient) -> None:
        body = (await client.get("/ecom/books/search", params={"q": "xqzvbnmwrtp"})).json()
        assert body == {"items": [], "total": 0, "page": 1, "size": 20}

    async def test_empty_blank_or_overlong_query_is_422(self, client: AsyncClient) -> None:
        for q in ("", "   ", "x" * 201):
            response = await client.get("/ecom/books/search", params={"q": q})
            assert response.status_code == 422, q
            assert response.json()["detail"][0]["loc"] == ["query", "q"]
        assert (await client.get("/ecom/books/search")).status_code == 422

    async def test_removed_books_are_not_found(self, client: AsyncClient, ecom_db: Sessions) -> None:
        word = f"zr{uuid.uuid4().hex[:6]}"
        await create_book(ecom_db, title=f"Gone {word}", active=False)
        assert (await client.get("/ecom/books/search", params={"q": word})).json()["total"] == 0


class TestHostileInput:
    async def test_nul_characters_are_422_not_a_server_error(self, client: AsyncClient) -> None:
        for path, params in (
            ("/ecom/books", {"author": "a\x00b"}),
            ("/ecom/books", {"genre": "\x00"}),
            ("/ecom/books/search", {"q": "x\x00"}),
        ):
            response = await client.get(path, params=params)
            assert response.status_code == 422, (path, params)
            assert "NUL" in response.json()["detail"][0]["msg"]
