"""Alembic plumbing: run a service's migrations programmatically, and the body of its env.py."""

import asyncio
import logging
from logging.config import fileConfig
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.db import to_asyncpg_url
from servicekit.runner import load_settings
from servicekit.settings import ServiceSettings, SettingsLoader

# The advisory lock key every service's migrations take in its own database (any constant; one per database).
MIGRATION_LOCK = 7_310_424_601


class Migrations:
    """A service's Alembic migrations (`<service root>/alembic.ini`); `main` is its `<service>-migrate` command."""

    def __init__(self, service_root: Path, get_settings: SettingsLoader[ServiceSettings]) -> None:
        self.service_root = service_root
        self._get_settings = get_settings

    def config(self, database_url: str | None = None) -> Config:
        config = Config(str(self.service_root / "alembic.ini"))
        if database_url is not None:
            config.attributes["database_url"] = database_url
        return config

    def upgrade(self, database_url: str | None = None, revision: str = "head") -> None:
        command.upgrade(self.config(database_url), revision)

    def downgrade(self, database_url: str | None = None, revision: str = "base") -> None:
        command.downgrade(self.config(database_url), revision)

    def main(self) -> None:
        """Bring the database schema to the latest revision (the service also does at start-up)."""
        self.upgrade(load_settings(self._get_settings).database_url)


def run_env(metadata: MetaData, default_url: str) -> None:
    """What a service's migrations/env.py does; `default_url` is used unless the caller passed one."""
    config = context.config
    # Plain `alembic` on the command line logs per alembic.ini; inside the service the JSON logging stays.
    if config.config_file_name is not None and not logging.getLogger().handlers:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    explicit = config.attributes.get("database_url")
    url = to_asyncpg_url(explicit or default_url)

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        # One run at a time per database: processes that start together (two replicas' init containers, or a
        # service restarted while `<service>-migrate` runs) wait here, and the later one finds the schema at head
        # instead of failing halfway on tables the other just created. A session lock: it outlives the commits of
        # revisions that build indexes concurrently (outside a transaction).
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        connection.commit()
        try:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.rollback()  # whatever a failed revision left open, before the unlock
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()

    async def online() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(online())
