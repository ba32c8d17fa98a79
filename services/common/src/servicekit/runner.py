"""The services' commands: `python -m <service>` (migrate, seed, serve) and the one-off ones."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn

from servicekit.logs import configure_logging
from servicekit.settings import S, ServiceSettings, SettingsLoader


def load_settings(get_settings: SettingsLoader[S]) -> S:
    """The process's settings, with its JSON logging configured."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return settings


def serve(factory: str, settings: ServiceSettings) -> None:
    """Run the app factory `module:function` under uvicorn the way every service runs."""
    uvicorn.run(
        factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # RequestContextMiddleware logs every request with its trace id
        server_header=False,
        workers=settings.workers,
        proxy_headers=False,  # client addresses are derived in servicekit.ratelimit.client_address
    )


def run_service(
    factory: str,
    get_settings: SettingsLoader[S],
    *,
    migrate: Callable[[str], None],
    seed: Callable[[S], Coroutine[Any, Any, int]],
) -> None:
    """`python -m <service>`, as the platform runs it: bring the schema up to date, seed, then serve."""
    settings = load_settings(get_settings)
    migrate(settings.database_url)
    asyncio.run(seed(settings))
    serve(factory, settings)
