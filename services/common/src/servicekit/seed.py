"""Seeding a service's database from the shared catalog file (data/catalog/books.json), idempotently."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.catalog import CatalogBook, load_catalog
from servicekit.db import one_off_session
from servicekit.runner import load_settings
from servicekit.settings import ServiceSettings, SettingsLoader

Insert = Callable[[AsyncSession, list[CatalogBook]], Awaitable[int]]


class CatalogSeed:
    """`await seed(settings)` at start-up, `seed.main()` as the `<service>-seed` command. `insert` adds what the
    database lacks in one transaction and returns how many rows it added."""

    def __init__(self, insert: Insert, get_settings: SettingsLoader[ServiceSettings], *, logged_as: str) -> None:
        self._insert = insert
        self._get_settings = get_settings
        self._logged_as = logged_as
        self._logger = logging.getLogger(insert.__module__)

    async def __call__(self, settings: ServiceSettings) -> int:
        books = load_catalog(settings.catalog_seed)
        async with one_off_session(settings.database_url) as session:
            inserted = await self._insert(session, books)
        self._logger.info(self._logged_as, extra={"catalog_books": len(books), "inserted": inserted})
        return inserted

    def main(self) -> None:
        asyncio.run(self(load_settings(self._get_settings)))
