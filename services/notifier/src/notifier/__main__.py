"""`python -m notifier` / `notifier-service`: consume order events and send their emails."""

import uvicorn

from notifier.config import Settings
from servicekit.logs import configure_logging


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "notifier.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
