"""`inventory-migrate`: bring the database schema to the latest revision (also run at startup)."""

from inventory.config import SERVICE_ROOT, get_settings
from servicekit.logs import configure_logging
from servicekit.migrations import Migrations

_migrations = Migrations(SERVICE_ROOT)
upgrade = _migrations.upgrade
downgrade = _migrations.downgrade


def main() -> None:
    configure_logging(get_settings().log_level)
    upgrade()


if __name__ == "__main__":
    main()
