"""`python -m ecom` / `ecom-service`: migrate, seed, then serve."""

import asyncio

from ecom import migrate, seed
from ecom.config import get_settings
from servicekit.logs import configure_logging
from servicekit.runner import serve


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    migrate.upgrade()
    asyncio.run(seed.seed(settings))
    serve("ecom.main:create_app", settings)


if __name__ == "__main__":
    main()
