"""How the catalog's pages cost as the catalog grows (`make up` first). Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_catalog_scale.py [--books 20000 100000] [--rounds 5]

In the running ecom database, inside one transaction that is rolled back (nothing is committed, so nothing reaches
the shop or the analytics pipeline), for the shipped catalog first (the baseline of the same run) and then with
each `--books` count of synthetic books added, on one connection:

- the time of one search page for a fixed set of queries (words, a phrase, misspellings, a stop word), with the
  search ecom runs (`ecom.catalog.repository.search` with its connections' settings: every branch of its WHERE
  answered by an index) and with the same statement's typo branch written as a comparison of word similarities with
  the threshold and sequential scans allowed (the search before 2026-11-29: no index can answer it, so every book's
  similarities are computed);
- the time of one list page (`ecom.catalog.repository.list_books`) for several sorts, a genre, an author and a page
  deep into the catalog.

Caution: the synthetic books are written to ecom-db's WAL even though they are rolled back (100 000 books with their
twelve indexes come to gigabytes), and every replication slot on that instance must keep that WAL until its connector
confirms past it. A slot whose connector confirms rarely (the outbox connectors confirm on outbox events and a 60 s
heartbeat) can exceed max_slot_wal_keep_size (2 GB locally) and be invalidated: on 2026-11-29 repeated runs lost the
ecom_outbox slot of a development platform. Run it with `--books 20000` on a platform you care about.

Both must find the same number of books for every query (the script stops if they do not). The bulk insert's
entries are merged into the GIN indexes (`gin_clean_pending_list`), as a catalog that grows by the book has them;
afterwards the book table is vacuumed and analysed, so the rolled-back rows leave nothing behind.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "services" / "ecom" / "src"))

from ecom.catalog import repository  # noqa: E402
from ecom.catalog.schemas import SortOrder  # noqa: E402

from bookstore.platform import build_context  # noqa: E402

QUERIES = ["tolkein", "war and peace", "hobbit", "jane austin", "the", "pride", "quixotik wanderins", "orwel"]
SEARCH_INDEXES = ["ix_book_search_vector", "ix_book_title_trgm", "ix_book_author_trgm"]
# Titles, authors and descriptions of hexadecimal words: none of them is a query above.
SYNTHETIC_BOOKS = """
INSERT INTO book (id, title, author, isbn13, genre, published_year, price, description)
SELECT gen_random_uuid(), substr(md5(i::text), 1, 7) || ' ' || substr(md5((i * 7)::text), 3, 9),
  substr(md5((i * 3)::text), 1, 6) || ' ' || substr(md5((i * 5)::text), 2, 8), '6' || lpad(i::text, 12, '0'),
  'synthetic', 2000, 10, 'about ' || substr(md5((i * 11)::text), 1, 8)
FROM generate_series($1::int, $2::int) AS i"""
INDEXED_TYPOS = "$1 <% title OR $1 <% author"
COMPARED_TYPOS = f"greatest(word_similarity($1, title), word_similarity($1, author)) >= {repository.TYPO_THRESHOLD}"


# (label, list_books' filters, sort, offset)
PAGES = [
    ("title", None, None, SortOrder.TITLE, 0),
    ("-price", None, None, SortOrder.PRICE_DESC, 0),
    ("newest", None, None, SortOrder.NEWEST, 0),
    ("genre", "fantasy", None, SortOrder.TITLE, 0),
    ("author", None, "tolk", SortOrder.TITLE, 0),
    ("page 100", None, None, SortOrder.TITLE, 1980),
]


async def settings(connection: asyncpg.Connection, values: dict[str, str]) -> None:
    """Session settings for the rest of the transaction."""
    for name, value in values.items():
        await connection.execute("SELECT set_config($1, $2, true)", name, value)


async def timed_pages(connection: asyncpg.Connection, rounds: int) -> list[float]:
    """Median milliseconds of each of PAGES."""
    medians = []
    for _, genre, author, sort, offset in PAGES:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            await repository.list_books(connection, genre=genre, author=author, sort=sort, offset=offset, limit=20)
            times.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(times))
    return medians


async def timed(connection: asyncpg.Connection, sql: str, rounds: int) -> tuple[float, dict[str, int]]:
    """Median milliseconds of one search page over the queries, and each query's number of matches."""
    totals: dict[str, int] = {}
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for q in QUERIES:
            _, totals[q] = await repository._page(connection, sql, repository._SEARCH_ORDER, [q], offset=0, limit=20)
        times.append((time.perf_counter() - start) * 1000 / len(QUERIES))
    return statistics.median(times), totals


async def main(counts: list[int], rounds: int) -> None:
    ctx = build_context(write_secrets=False)
    if INDEXED_TYPOS not in repository._SEARCH:
        raise SystemExit("the search's typo branch is no longer written as this script expects; update it")
    before = repository._SEARCH.replace(INDEXED_TYPOS, COMPARED_TYPOS)
    connection = await asyncpg.connect(
        host="127.0.0.1",
        port=ctx.port("ECOM_DB_PORT"),
        user="postgres",
        password=ctx.env["ECOM_DB_ADMIN_PASSWORD"],
        database="ecom",
    )
    rows = ["| active books | search (indexed) ms | before 2026-11-29 ms | ratio |", "| ---: | ---: | ---: | ---: |"]
    pages = [
        f"| active books | {' | '.join(f'list: {label} ms' for label, *_ in PAGES)} |",
        f"| ---: |{' ---: |' * len(PAGES)}",
    ]
    try:
        transaction = connection.transaction()
        await transaction.start()
        try:
            added = 0
            for count in [0, *sorted(counts)]:
                if count > added:
                    print(f"adding {count - added} synthetic books ...", flush=True)
                    await connection.execute(SYNTHETIC_BOOKS, added + 1, count)
                    await connection.execute(
                        "SELECT gin_clean_pending_list(index::regclass) FROM unnest($1::text[]) AS index",
                        SEARCH_INDEXES,
                    )
                    await connection.execute("ANALYZE book")
                    added = count
                books = await connection.fetchval("SELECT count(*) FROM book WHERE active")
                await settings(connection, repository.SEARCH_SETTINGS)  # as on ecom's search connections
                now, found = await timed(connection, repository._SEARCH, rounds)
                await settings(connection, {"enable_seqscan": "on"})  # as on ecom's other connections, and before
                then, found_before = await timed(connection, before, max(1, rounds // 5) if count else rounds)
                if found != found_before:
                    raise SystemExit(f"the two statements found different books: {found} vs {found_before}")
                line = f"| {books} | {now:.2f} | {then:.2f} | {then / now:.1f}x |"
                print(line, flush=True)
                rows.append(line)
                listed = f"| {books} | {' | '.join(f'{ms:.2f}' for ms in await timed_pages(connection, rounds))} |"
                print(listed, flush=True)
                pages.append(listed)
        finally:
            await transaction.rollback()
        print("rolled back; vacuuming the book table ...", flush=True)
        await connection.execute("VACUUM (ANALYZE) book")
    finally:
        await connection.close()
    print()
    print(f"ms per search page (median of rounds), queries: {', '.join(QUERIES)}")
    print("\n".join(rows))
    print()
    print("ms per list page (median of rounds)")
    print("\n".join(pages))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.books, args.rounds))
