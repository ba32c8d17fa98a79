"""`inventory-migrate`: bring the database schema to the latest revision (also run at startup)."""

from alembic import command
from alembic.config import Config

from inventory.config import SERVICE_ROOT, get_settings
from servicekit.logs import configure_logging


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(SERVICE_ROOT / "alembic.ini"))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def main() -> None:
    configure_logging(get_settings().log_level)
    upgrade()


if __name__ == "__main__":
    main()
