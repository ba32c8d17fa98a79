import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, FastAPI, Request

from ecom.catalog.repository import SEARCH_SETTINGS
from servicekit.db import create_plain_pool, plain_connection

# Searches per worker at once; more wait for a connection. PostgreSQL answers a search in well under a millisecond of
# CPU, and the two cores are shared with everything else.
SEARCH_POOL_SIZE = 5


@contextlib.asynccontextmanager
async def open_search_pool(app: FastAPI, database_url: str) -> AsyncIterator[None]:
    """The worker's pool for the catalog search (`app.state.search_pool`): plain connections that start with
    `SEARCH_SETTINGS`, opened as they are first needed, closed at shutdown."""
    app.state.search_pool = pool = await create_plain_pool(
        database_url, size=SEARCH_POOL_SIZE, server_settings=SEARCH_SETTINGS
    )
    try:
        yield
    finally:
        await pool.close()


async def get_searcher(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the search pool, for `catalog.service.search` only."""
    async with plain_connection(request.app.state.search_pool) as connection:
        yield connection


SearcherDep = Annotated[asyncpg.Connection, Depends(get_searcher, scope="function")]
