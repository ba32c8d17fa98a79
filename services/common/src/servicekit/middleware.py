import functools
import logging
import re
import time
import uuid

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.logs import ACCESS_LOGGER_SUFFIX, trace_id_var

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# Cached: every app a process builds (tests build many) observes into the one registered histogram.
@functools.cache
def request_latency_histogram(service: str) -> Histogram:
    return Histogram(
        f"{service}_http_request_duration_seconds",
        "HTTP request latency by route template",
        ["method", "route", "status"],
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    )


class RequestContextMiddleware:
    """Trace id (the gateway's X-Request-Id, else a new one), access log line, latency histogram."""

    def __init__(self, app: ASGIApp, *, service: str, api_prefix: str, latency: Histogram) -> None:
        self.app = app
        self.logger = logging.getLogger(f"{service}{ACCESS_LOGGER_SUFFIX}")
        self.latency = latency
        # Probes and scrapes would drown the access log; they are logged at debug level.
        self.quiet = (f"{api_prefix}/health/", f"{api_prefix}/metrics")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        trace_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = trace_id_var.set(trace_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", trace_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.latency.labels(scope["method"], template, str(status)).observe(elapsed)
            path: str = scope["path"]
            self.logger.log(
                logging.DEBUG if path.startswith(self.quiet) else logging.INFO,
                "request",
                extra={
                    "method": scope["method"],
                    "path": path,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            trace_id_var.reset(token)
