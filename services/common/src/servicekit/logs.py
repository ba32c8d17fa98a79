"""JSON log lines on stdout, each carrying the current request's trace id."""

import json
import logging
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

# RequestContextMiddleware's logger is `<service>.access`: one line per request, the only records written in batches.
ACCESS_LOGGER_SUFFIX = ".access"

trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)

# Attributes every LogRecord has; anything else was passed through `extra=` and is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (trace_id := trace_id_var.get()) is not None:
            entry["trace_id"] = trace_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class BatchingStreamHandler(logging.StreamHandler[TextIO]):
    """Keeps the per-request access lines (loggers named `<service>.access`, below WARNING) in memory and writes
    them to the stream together, from a thread, at most `delay` seconds after the first of them, or at once when
    the batch reaches `max_bytes`. Any other record is written at once, after the batch before it: uvicorn ends a
    process by re-raising SIGTERM, so no exit hook runs, and its shutdown lines must not wait. Each write is a
    system call and wakes whatever reads the pipe (supervisord copies every service's stdout into its log file):
    under load that is one per batch instead of one per request (docs/benchmarks.md). The batch is the handler's
    own, so it does not depend on how the stream buffers (PYTHONUNBUFFERED makes stdout write through)."""

    def __init__(self, stream: TextIO, delay: float = 0.2, max_bytes: int = 64 * 1024) -> None:
        super().__init__(stream)
        self.delay = delay
        self.max_bytes = max_bytes
        self._batch: list[str] = []
        self._batch_bytes = 0
        self._written = threading.Event()
        self._stopping = threading.Event()
        self._flusher: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # Handler.handle holds the handler's lock around emit, and flush takes the same lock: one thread at a time.
        try:
            line = self.format(record) + self.terminator
        except RecursionError:
            raise
        except Exception:  # logging's own contract: a broken record is reported, never raised
            self.handleError(record)
            return
        self._batch.append(line)
        self._batch_bytes += len(line)
        batched = record.name.endswith(ACCESS_LOGGER_SUFFIX) and record.levelno < logging.WARNING
        if not batched or self._batch_bytes >= self.max_bytes:
            self.flush()
            return
        # A forked child has the thread object but not the thread.
        if self._flusher is None or not self._flusher.is_alive():
            self._flusher = threading.Thread(target=self._flush_after_writes, name="log-flush", daemon=True)
            self._flusher.start()
        self._written.set()

    def flush(self) -> None:
        self.acquire()  # reentrant: emit already holds it
        try:
            if self._batch:
                text, self._batch, self._batch_bytes = "".join(self._batch), [], 0
                self.stream.write(text)
            super().flush()
        finally:
            self.release()

    def _flush_after_writes(self) -> None:
        while True:
            self._written.wait()
            if self._stopping.wait(self.delay):
                return  # close() wrote the batch
            self._written.clear()
            # close() may have run since the wait above: its wake-up was just cleared, so stop here, or this
            # thread would wait for a write that never comes.
            if self._stopping.is_set():
                return
            try:
                self.flush()
            except (OSError, ValueError):  # the reader went away, or the stream closed at exit
                return

    def close(self) -> None:
        self.flush()
        self._stopping.set()
        self._written.set()
        super().close()


def configure_logging(level: str = "INFO") -> None:
    handler = BatchingStreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, BatchingStreamHandler):
            old.close()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own handlers would print plain text; route its records through ours instead.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # httpx logs every request it sends at INFO; the service it calls logs it under the same trace id (ecom sends
    # its X-Request-Id to inventory), and each line here was a write of its own (not an access line, so unbatched).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # RequestContextMiddleware logs every request with its trace id; uvicorn's access line would repeat it.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
