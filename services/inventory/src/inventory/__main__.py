"""`python -m inventory` / `inventory-service`: migrate, seed, then serve."""

import asyncio

import uvicorn

from inventory import migrate, seed
from inventory.config import get_settings
from servicekit.logs import configure_logging


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    migrate.upgrade()
    asyncio.run(seed.seed(settings))
    uvicorn.run(
        "inventory.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # RequestContextMiddleware logs every request with its trace id
        server_header=False,
        workers=settings.workers,
        proxy_headers=False,  # client addresses are derived in ratelimit.client_address
    )


if __name__ == "__main__":
    main()
