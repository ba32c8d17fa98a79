"""Connector registration against a Connect worker that is still joining its group (faked transport)."""

from typing import Any

import httpx
import pytest

from bookstore import connectors, flink_status, loopback
from bookstore.platform import build_context

CONFIG = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1"}
RUNNING = {"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "RUNNING"}]}


class BusyWorker:
    """Connect's REST API that first times out, then answers 409 and a server-side timeout, then works."""

    def __init__(self, hiccups: list[Any]) -> None:
        self.hiccups = hiccups
        self.calls: list[tuple[str, str]] = []
        self.config: dict[str, str] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        if self.hiccups:
            hiccup = self.hiccups.pop(0)
            if isinstance(hiccup, Exception):
                raise hiccup
            return hiccup
        if request.method == "PUT":
            self.config = httpx.Response(200, content=request.content).json()
            return httpx.Response(201, json={"name": "c", "config": self.config})
        if request.url.path.endswith("/config"):
            return httpx.Response(200, json=self.config) if self.config else httpx.Response(404, json={})
        return httpx.Response(200, json=RUNNING)


@pytest.fixture
def ctx() -> Any:
    return build_context(write_secrets=False)


def test_register_waits_out_a_worker_that_is_joining_its_group(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors.time, "sleep", lambda _: None)
    worker = BusyWorker(
        [
            httpx.ReadTimeout("joining"),
            httpx.Response(409, json={"message": "Cannot complete request because of a conflicting operation"}),
            httpx.Response(500, json={"message": "Request timed out"}),
        ]
    )
    connectors.register(ctx, "c", CONFIG, transport=httpx.MockTransport(worker))
    assert worker.config == CONFIG
    assert worker.calls[:4] == [("GET", "/connectors/c/config")] * 4
    assert ("PUT", "/connectors/c/config") in worker.calls


def test_register_reports_a_real_error_at_once(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors.time, "sleep", lambda _: None)
    worker = BusyWorker(
        [httpx.Response(404, json={}), httpx.Response(400, json={"message": "Missing required configuration"})]
    )
    with pytest.raises(RuntimeError, match="400 .*Missing required configuration"):
        connectors.register(ctx, "c", CONFIG, transport=httpx.MockTransport(worker))
    assert len(worker.calls) == 2


def test_register_gives_up_at_its_deadline(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors.time, "sleep", lambda _: None)
    worker = BusyWorker([httpx.ReadTimeout("joining")] * 1000)
    with pytest.raises(httpx.ReadTimeout):
        connectors.register(ctx, "c", CONFIG, timeout=0, transport=httpx.MockTransport(worker))


def test_polls_of_connect_and_flink_share_one_kept_client(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keeper asks both every 5 s: a client per call built an SSL context each time (54 ms of CPU)."""
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/connectors":
            return httpx.Response(200, json={"c": {"status": RUNNING}})
        return httpx.Response(200, json={"jobs": []})

    kept = httpx.Client(transport=httpx.MockTransport(api))
    monkeypatch.setattr(loopback, "client", lambda: kept)
    assert connectors.statuses(ctx) == {"c": RUNNING}
    assert flink_status.overview(ctx) == []
    assert seen == ["/connectors", "/jobs/overview"]


def test_the_kept_client_is_one_per_process() -> None:
    assert loopback.client() is loopback.client()
