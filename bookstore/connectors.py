"""Registers Kafka Connect connectors idempotently through Connect's REST API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jinja2

from bookstore.components.base import Context


def render(template: Path, **values: object) -> dict[str, Any]:
    """A connector's config from a committed JSON template (secrets stay ${env:NAME} references)."""
    return json.loads(jinja2.Template(template.read_text(), undefined=jinja2.StrictUndefined).render(**values))


def register(ctx: Context, name: str, config: dict[str, Any], timeout: float = 90) -> None:
    """Create or update connector `name`, restart it if it (or a task) failed, and wait until all of it runs.

    So `make up` also repairs a connector whose task stopped on an error that has gone away since (a
    database that was down longer than the sink's retries)."""
    base = f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/connectors/{name}"
    with httpx.Client(timeout=30) as client:
        current = client.get(f"{base}/config")
        if current.status_code != 200 or {k: v for k, v in current.json().items() if k != "name"} != config:
            response = client.put(f"{base}/config", json=config)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"registering connector {name}: {response.status_code} {response.text}")
        if _failed(client.get(f"{base}/status")):
            client.post(f"{base}/restart", params={"includeTasks": "true", "onlyFailed": "true"})
        deadline = time.monotonic() + timeout
        while True:
            status = client.get(f"{base}/status")
            if _running(status):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"connector {name} is not running after {timeout:.0f}s:\n{_failed(status)[-3000:]}")
            time.sleep(0.5)


def _failed(status: httpx.Response) -> str:
    """The stack traces of the connector's failed parts ('' when nothing failed)."""
    if status.status_code != 200:
        return ""
    body = status.json()
    return "\n".join(p.get("trace", "FAILED") for p in [body["connector"], *body["tasks"]] if p["state"] == "FAILED")


def _running(status: httpx.Response) -> bool:
    if status.status_code != 200:
        return False
    body = status.json()
    parts = [body["connector"], *body["tasks"]]
    return bool(body["tasks"]) and all(p["state"] == "RUNNING" for p in parts)
