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
    """Create or update connector `name`, then wait until it and its tasks run."""
    base = f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/connectors/{name}"
    with httpx.Client(timeout=30) as client:
        current = client.get(f"{base}/config")
        if current.status_code != 200 or {k: v for k, v in current.json().items() if k != "name"} != config:
            response = client.put(f"{base}/config", json=config)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"registering connector {name}: {response.status_code} {response.text}")
        deadline = time.monotonic() + timeout
        while not _running(name, client.get(f"{base}/status")):
            if time.monotonic() > deadline:
                raise RuntimeError(f"connector {name} is not running after {timeout:.0f}s")
            time.sleep(0.5)


def _running(name: str, status: httpx.Response) -> bool:
    if status.status_code != 200:
        return False
    body = status.json()
    parts = [body["connector"], *body["tasks"]]
    if any(p["state"] == "FAILED" for p in parts):
        traces = "\n".join(p.get("trace", "") for p in parts)
        raise RuntimeError(f"connector {name} failed:\n{traces[-3000:]}")
    return bool(body["tasks"]) and all(p["state"] == "RUNNING" for p in parts)
