"""The services' commands: `python -m <service>` (migrate, seed, serve) and the one-off ones."""

import asyncio
import atexit
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from servicekit.health import MULTIPROC_ENV
from servicekit.logs import configure_logging
from servicekit.settings import S, ServiceSettings, SettingsLoader

logger = logging.getLogger(__name__)


def load_settings(get_settings: SettingsLoader[S]) -> S:
    """The process's settings, with its JSON logging configured. Settings that do not validate (a missing
    secret, say) end the process before anything runs, with a log line naming the variables."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        configure_logging()
        problems = [_problem(get_settings.cls, error) for error in exc.errors()]
        logger.critical("invalid settings: %s", "; ".join(problems))
        sys.exit(os.EX_CONFIG)
    configure_logging(settings.log_level)
    return settings


def _problem(cls: type[ServiceSettings], error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    return f"{cls.env_name(str(error['loc'][0]))}: {message}" if error["loc"] else message


def prepare_multiprocess_metrics(workers: int) -> str | None:
    """With several worker processes each keeps its own metrics, and a scrape reaches one of them: in
    prometheus_client's multiprocess mode every worker writes its samples to files in one directory and
    `/metrics` adds them up. The directory must be empty when the workers start (left-over files would add a
    previous run's counts), so each run gets a fresh one, removed at exit. The variable is set before uvicorn
    spawns the workers, which import prometheus_client afresh and so pick the mode up."""
    if workers <= 1:
        os.environ.pop(MULTIPROC_ENV, None)
        return None
    directory = tempfile.mkdtemp(prefix="bookstore-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def serve(factory: str, settings: ServiceSettings) -> None:
    """Run the app factory `module:function` under uvicorn the way every service runs."""
    prepare_multiprocess_metrics(settings.workers)
    uvicorn.run(
        factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # RequestContextMiddleware logs every request with its trace id
        server_header=False,
        workers=settings.workers,
        # With several workers uvicorn pings each one and kills it after this long without an answer. Its default
        # (5 s) killed healthy workers over and over while the two cores were saturated (a worker still importing
        # under load answers late), dropping the requests they held.
        timeout_worker_healthcheck=30,
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
