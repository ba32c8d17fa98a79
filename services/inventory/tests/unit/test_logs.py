"""servicekit.logs: JSON lines on stdout; the per-request access lines written in batches (one write per batch, not
per request) but never held back for long, every other record at once with the batch before it."""

import io
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from servicekit.logs import BatchingStreamHandler, JsonFormatter, configure_logging


class _Pipe(io.StringIO):
    """An unbuffered stream (stdout under PYTHONUNBUFFERED): every write reaches the reader."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    @property
    def delivered(self) -> str:
        return self.getvalue()


def _eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, _Pipe, BatchingStreamHandler]]:
    pipe = _Pipe()
    handler = BatchingStreamHandler(pipe, delay=0.3)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("shop.access")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield logger, pipe, handler
    logger.removeHandler(handler)
    handler.close()


def test_records_are_delivered_in_one_flush_shortly_after_a_burst(
    logged: tuple[logging.Logger, _Pipe, BatchingStreamHandler],
) -> None:
    logger, pipe, _ = logged
    for n in range(200):
        logger.info("request %d", n)
    assert pipe.delivered == ""  # nothing written per record
    assert _eventually(lambda: pipe.delivered.count("\n") == 200)
    assert pipe.writes == 1
    assert [json.loads(line)["message"] for line in pipe.delivered.splitlines()][-1] == "request 199"


def test_a_warning_is_delivered_at_once_with_what_came_before(
    logged: tuple[logging.Logger, _Pipe, BatchingStreamHandler],
) -> None:
    logger, pipe, _ = logged
    logger.info("before")
    logger.warning("slow request")
    assert [json.loads(line)["level"] for line in pipe.delivered.splitlines()] == ["info", "warning"]


def test_records_of_other_loggers_are_delivered_at_once_with_what_came_before(
    logged: tuple[logging.Logger, _Pipe, BatchingStreamHandler],
) -> None:
    logger, pipe, handler = logged
    logger.info("request")
    lifecycle = logging.getLogger("shop.lifecycle")
    lifecycle.propagate = False
    lifecycle.setLevel(logging.INFO)
    lifecycle.addHandler(handler)
    try:
        lifecycle.info("Application shutdown complete.")
    finally:
        lifecycle.removeHandler(handler)
    assert [json.loads(line)["message"] for line in pipe.delivered.splitlines()] == [
        "request",
        "Application shutdown complete.",
    ]


def test_a_quiet_period_after_a_record_still_delivers_it(
    logged: tuple[logging.Logger, _Pipe, BatchingStreamHandler],
) -> None:
    logger, pipe, _ = logged
    logger.info("first")
    assert _eventually(lambda: "first" in pipe.delivered)
    logger.info("second, after the flusher went back to waiting")
    assert _eventually(lambda: "second" in pipe.delivered)
    assert pipe.writes == 2


def test_a_batch_that_reaches_its_size_limit_is_written_at_once() -> None:
    pipe = _Pipe()
    handler = BatchingStreamHandler(pipe, delay=60, max_bytes=1000)
    handler.setFormatter(logging.Formatter("%(message)s"))
    line = {"name": "shop.access", "msg": "x" * 99, "levelno": logging.INFO}  # 100 bytes with its newline
    for _ in range(9):
        handler.handle(logging.makeLogRecord(line))
    assert pipe.writes == 0
    handler.handle(logging.makeLogRecord(line))
    assert (pipe.writes, len(pipe.delivered)) == (1, 1000)
    handler.close()


def test_closing_the_handler_delivers_what_is_buffered(
    logged: tuple[logging.Logger, _Pipe, BatchingStreamHandler],
) -> None:
    logger, pipe, handler = logged
    logger.info("last words")
    handler.close()
    assert "last words" in pipe.delivered


def test_a_process_killed_by_sigterm_right_after_its_shutdown_line_loses_nothing() -> None:
    """uvicorn re-raises SIGTERM once it has shut down: the process dies without running exit hooks."""
    script = (
        "import logging, signal; from servicekit.logs import configure_logging; configure_logging();"
        "[logging.getLogger('shop.access').info('request %d', n) for n in range(50)];"
        "logging.getLogger('uvicorn.error').info('Application shutdown complete.');"
        "signal.raise_signal(signal.SIGTERM)"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGTERM
    messages = [json.loads(line)["message"] for line in proc.stdout.splitlines()]
    assert messages == [*(f"request {n}" for n in range(50)), "Application shutdown complete."]


def test_a_process_that_exits_right_after_a_request_line_loses_nothing() -> None:
    script = (
        "import logging; from servicekit.logs import configure_logging; configure_logging();"
        "logging.getLogger('shop.access').info('last request')"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert [json.loads(line)["message"] for line in out.splitlines()] == ["last request"]


def test_configuring_again_retires_the_previous_handler_and_its_thread() -> None:
    """Every app a worker (or a test) builds configures logging again: one flusher thread stays, not one each."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        for n in range(5):
            configure_logging()
            logging.getLogger("x.access").info("configured %d", n)
        assert len(root.handlers) == 1
        assert _eventually(lambda: [t.name for t in threading.enumerate()].count("log-flush") == 1)
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def test_closing_while_the_flusher_is_between_waits_ends_its_thread() -> None:
    """close() can come just as the flusher's quiet period ends: its thread must still end, not wait forever."""
    handlers = []
    for n in range(300):
        handler = BatchingStreamHandler(_Pipe(), delay=0.0005 * (n % 4))
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.handle(logging.makeLogRecord({"name": "shop.access", "msg": "x", "levelno": logging.INFO}))
        time.sleep(0.0005 * (n % 3))
        handler.close()
        handlers.append(handler)
    assert _eventually(lambda: all(h._flusher is None or not h._flusher.is_alive() for h in handlers))


def test_the_http_clients_request_lines_are_left_out_but_its_warnings_kept() -> None:
    """httpx logs every request it sends at INFO; the service called logs it, under the same trace id."""
    script = (
        "import logging; from servicekit.logs import configure_logging; configure_logging();"
        "logging.getLogger('httpx').info('HTTP Request: POST http://inventory/ \"HTTP/1.1 201 Created\"');"
        "logging.getLogger('httpx').warning('something the client had to say')"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert [json.loads(line)["message"] for line in out.splitlines()] == ["something the client had to say"]
