"""Async engine, sessions and the one-transaction-per-request dependency."""

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

logger = logging.getLogger(__name__)


def to_asyncpg_url(url: str) -> str:
    """Accept the platform's libpq-style URL and return the SQLAlchemy asyncpg form."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("database URL must look like postgresql://user:password@host:port/db")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+asyncpg"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database URL scheme {scheme!r}")


def to_asyncpg_dsn(url: str) -> str:
    """The same URL as `to_asyncpg_url`, in the form asyncpg itself takes (its pool, `asyncpg.connect`)."""
    return to_asyncpg_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


# Connections a worker keeps open. Overflow connections are closed when returned, so under load they would be
# reopened (TLS and authentication each time) request after request: the pool itself is sized for the load, which
# is small since the hot paths (catalog pages, carts, checkout, reservations) run on plain connections
# (`create_plain_pool`) and the ORM's (admin, orders, idempotent replays, recovery sweeps) are rare. A worker's pools
# together are what the chart's PostgreSQL max_connections is sized by (tests/deploy/test_chart.py).
def create_engine(database_url: str, *, pool_size: int = 10, max_overflow: int = 0) -> AsyncEngine:
    engine = create_async_engine(
        to_asyncpg_url(database_url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=10,
        connect_args={"timeout": 5, "command_timeout": 30},
    )
    ping_when_idle(engine)
    return engine


# A connection back in the pool for longer than this is pinged before it is handed out again.
IDLE_PING_SECONDS = 2.0


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """SQLAlchemy's pool_pre_ping with a threshold: a connection that was idle is pinged at checkout, and a dead
    one (the database restarted) is replaced before any request sees it; one in use moments ago is not pinged,
    which saves a round trip per request under load. A database that dies mid-load fails the requests that were
    using it; SQLAlchemy then invalidates the whole pool, so the next ones connect afresh."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool discards this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError(f"idle connection failed its ping: {error!r}") from error


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


async def _sessionmaker_dependency(request: Request) -> async_sessionmaker[AsyncSession]:
    # Dependencies are coroutines throughout: FastAPI runs a plain function in a worker thread, a costly hop.
    return get_sessionmaker(request)


# For services that run several transactions of their own in one request (the checkout saga).
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(_sessionmaker_dependency)]


async def _plain_pool_dependency(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.plain_pool
    return pool


# For plain connections of the service's own (`plain_connection`), held only as long as they are needed.
PlainPoolDep = Annotated[asyncpg.Pool, Depends(_plain_pool_dependency)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back when it raises."""
    async with get_sessionmaker(request)() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function" commits before the response is sent, so a failed commit can never follow a 2xx.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


# Plain connections come from asyncpg's own pool, not SQLAlchemy's: a read or a single-statement write needs none
# of SQLAlchemy's machinery (its checkout ran through a greenlet and events), and this pool never overflows: a
# request that finds every connection busy waits for one rather than opening a connection that is closed again
# when it is returned (under load that was TLS and authentication, request after request).
PLAIN_POOL_SIZE = 10
PLAIN_POOL_TIMEOUT = 10.0


class PlainConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection that remembers when it was last given back to its pool."""

    __slots__ = ("returned_at",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.returned_at: float | None = None  # None: never returned, so connected moments ago


async def _returned(connection: PlainConnection) -> None:
    """The pool's reset on return. asyncpg rolls back a transaction left open before calling it; its default reset
    then sends a second query (RESET ALL, UNLISTEN, ...) every time, for session state that plain statements never
    set. Only the time is noted, for the idle ping."""
    connection.returned_at = time.monotonic()


async def create_plain_pool(
    database_url: str, *, size: int = PLAIN_POOL_SIZE, server_settings: Mapping[str, str] | None = None
) -> asyncpg.Pool:
    """The worker's pool of plain connections (`plain_connection`), opened as they are first needed, each starting
    with `server_settings`."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        to_asyncpg_dsn(database_url),
        server_settings=dict(server_settings or {}),
        min_size=0,
        max_size=size,
        connection_class=PlainConnection,
        reset=_returned,
        timeout=5,
        command_timeout=30,
    )
    return pool


async def _checked_out(pool: asyncpg.Pool, idle_seconds: float) -> asyncpg.Connection:
    """A connection from `pool`; one that sat idle for `idle_seconds` or more is pinged first, and a dead one (the
    database restarted) is dropped for the next, so no caller sees it (as `ping_when_idle` does for SQLAlchemy's
    pool). Each dead connection is dropped once, so the attempts are bounded by the pool's size."""
    for _ in range(pool.get_max_size() + 1):
        connection = await pool.acquire(timeout=PLAIN_POOL_TIMEOUT)
        returned = connection.returned_at
        if returned is None or time.monotonic() - returned < idle_seconds:
            return connection
        try:
            await connection.execute("SELECT 1")
        except BaseException as error:
            # Whatever went wrong (a server that went away shows up as a closed connection, a protocol caught
            # mid-message, or the caller cancelled), the connection goes back to the pool, dropped, before anything
            # else: one that is never released keeps its slot forever, and a full pool then hangs every caller.
            await _drop(pool, connection)
            if not isinstance(error, Exception):
                raise
            logger.warning("an idle database connection failed its ping; replacing it", extra={"error": repr(error)})
            continue
        return connection
    raise exc.DisconnectionError("no database connection passed its ping")


async def _drop(pool: asyncpg.Pool, connection: asyncpg.Connection) -> None:
    """Closes a checked-out connection that is unfit for use and gives its slot back; the pool opens a new one
    when next asked. asyncpg may already have released a connection it saw close (then `terminate` refuses)."""
    with contextlib.suppress(asyncpg.InterfaceError):
        connection.terminate()
    await pool.release(connection)


@asynccontextmanager
async def plain_connection(
    pool: asyncpg.Pool, *, idle_seconds: float = IDLE_PING_SECONDS
) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection without a transaction: each statement is its own (one statement sees one
    snapshot; a write commits at once), one round trip where a transaction takes three (BEGIN, it, COMMIT)."""
    connection = await _checked_out(pool, idle_seconds)
    try:
        yield connection
    finally:
        await pool.release(connection)


async def get_reader(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection (`plain_connection`) for read-only routes that answer with one statement: no ORM
    session and no transaction, so a read costs one round trip."""
    async with plain_connection(request.app.state.plain_pool) as connection:
        yield connection


ReaderDep = Annotated[asyncpg.Connection, Depends(get_reader, scope="function")]


@asynccontextmanager
async def plain_transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection (`plain_connection`) in a transaction: committed when the block ends, rolled back when it
    raises; no ORM session around it."""
    async with plain_connection(pool) as connection, connection.transaction():
        yield connection


async def get_transaction(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """One transaction per request on a plain connection, for routes whose statements are all plain SQL: committed
    when the route returns, rolled back when it raises (as `get_session`)."""
    async with plain_transaction(request.app.state.plain_pool) as connection:
        yield connection


# scope="function", as SessionDep: the commit comes before the response, so a failed commit never follows a 2xx.
TransactionDep = Annotated[asyncpg.Connection, Depends(get_transaction, scope="function")]


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under `session`, inside the session's transaction: hot-path writes run plain SQL on
    it (asyncpg prepares and caches each statement; no ORM compilation or identity map) and still commit or roll
    back with everything else the session does.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; a statement sent straight to the
    driver before that would run outside the transaction, in autocommit. So the adapter's transaction is begun
    here (its `_start_transaction`, the method its own cursors call). Rows written this way are not in the
    session's identity map: ORM reads after them must use `populate_existing`."""
    connection = await session.connection()
    fairy = await connection.get_raw_connection()
    adapter = fairy.dbapi_connection
    if adapter is None:
        raise RuntimeError("the session's connection is closed")
    if adapter._transaction is None:  # type: ignore[attr-defined]  # noqa: SLF001
        await adapter._start_transaction()  # type: ignore[attr-defined]  # noqa: SLF001
    driver: asyncpg.Connection = fairy.driver_connection
    return driver


@asynccontextmanager
async def one_off_session(database_url: str) -> AsyncIterator[AsyncSession]:
    """One transaction on a short-lived engine, for commands that run outside the app (seeding)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()
