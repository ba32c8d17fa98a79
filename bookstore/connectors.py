"""Registers Kafka Connect connectors idempotently through Connect's REST API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jinja2

from bookstore import loopback
from bookstore.components.base import Context


def render(template: Path, **values: object) -> dict[str, Any]:
    """A connector's config from a committed JSON template (secrets stay ${env:NAME} references)."""
    return json.loads(jinja2.Template(template.read_text(), undefined=jinja2.StrictUndefined).render(**values))


def register(
    ctx: Context, name: str, config: dict[str, Any], timeout: float = 180, transport: httpx.BaseTransport | None = None
) -> None:
    """Create or update connector `name`, restart it if it (or a task) failed, and wait until all of it runs.

    So `make up` also repairs a connector whose task stopped on an error that has gone away since (a
    database that was down longer than the sink's retries). A worker that is still joining its group answers
    late or 409 (after an unclean stop Kafka holds the group until the old member's rebalance timeout, 60 s):
    each call is retried until `timeout`."""
    base = f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/connectors/{name}"
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=30, transport=transport) as client:

        def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
            return _patient(client, method, url, deadline, **kwargs)

        current = call("GET", f"{base}/config")
        if current.status_code != 200 or {k: v for k, v in current.json().items() if k != "name"} != config:
            response = call("PUT", f"{base}/config", json=config)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"registering connector {name}: {response.status_code} {response.text}")
        if _failed(call("GET", f"{base}/status")):
            call("POST", f"{base}/restart", params={"includeTasks": "true", "onlyFailed": "true"})
        while True:
            status = call("GET", f"{base}/status")
            if _running(status):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"connector {name} is not running after {timeout:.0f}s:\n{_failed(status)[-3000:]}")
            time.sleep(0.5)


def _busy(response: httpx.Response) -> bool:
    """Connect's answers while its herder is busy (joining the group, a rebalance, reading its config topic): 409,
    503, or its own request timeout (500 "Request timed out"); any other error is real and stands."""
    return response.status_code in (409, 503) or (response.status_code == 500 and "timed out" in response.text)


def _patient(client: httpx.Client, method: str, url: str, deadline: float, **kwargs: Any) -> httpx.Response:
    """`client.request`, retried while the worker is busy or slow until `deadline`; then the last answer (or the
    timeout) stands."""
    while True:
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            if time.monotonic() > deadline:
                raise
            continue
        if not _busy(response) or time.monotonic() > deadline:
            return response
        time.sleep(1)


def statuses(ctx: Context) -> dict[str, dict[str, Any]]:
    """Every connector on the worker: name -> its status body (connector and task states, traces)."""
    url = f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/connectors"
    found = loopback.client().get(url, params={"expand": "status"}, timeout=5).json()
    return {name: entry["status"] for name, entry in found.items()}


def failed_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The connector and task entries of a status body that are FAILED."""
    return [p for p in [body["connector"], *body["tasks"]] if p["state"] == "FAILED"]


def is_running(body: dict[str, Any]) -> bool:
    """The connector and at least one task run, and nothing else."""
    return bool(body["tasks"]) and all(p["state"] == "RUNNING" for p in [body["connector"], *body["tasks"]])


def failure_reason(part: dict[str, Any]) -> str:
    """The innermost cause of a failed part, in one line."""
    trace = part.get("trace", "").splitlines() or ["FAILED"]
    return ([line for line in trace if line.startswith("Caused by:")] or trace)[-1][:200]


def _body(status: httpx.Response) -> dict[str, Any] | None:
    return status.json() if status.status_code == 200 else None


def _failed(status: httpx.Response) -> str:
    """The stack traces of the connector's failed parts ('' when nothing failed)."""
    body = _body(status)
    return "\n".join(p.get("trace", "FAILED") for p in failed_parts(body)) if body else ""


def _running(status: httpx.Response) -> bool:
    body = _body(status)
    return body is not None and is_running(body)
