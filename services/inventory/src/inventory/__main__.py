"""`python -m inventory` / `inventory-service`: migrate, seed, then serve."""

import asyncio

from inventory import migrate, seed
from inventory.config import get_settings
from servicekit.logs import configure_logging
from servicekit.runner import serve


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    migrate.upgrade()
    asyncio.run(seed.seed(settings))
    serve("inventory.main:create_app", settings)


if __name__ == "__main__":
    main()
