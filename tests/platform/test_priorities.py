"""The analytics pipeline yields the cores to the shop: Connect, Flink and their keeper run niced (Connect, which
also carries the outbox connectors, less so), the shop not."""

from __future__ import annotations

import psutil

from bookstore import sockets
from bookstore.components import COMPONENTS, Context
from bookstore.components.registry import ANALYTICS_NICE, CONNECT_NICE
from bookstore.supervise import Supervisor

PIPELINE = {"kafka-connect", "flink-jobmanager", "flink-taskmanager", "analytics-keeper"}


def _niceness(ctx: Context) -> dict[str, set[int]]:
    """Component -> the niceness of every process in its tree."""
    found = {}
    for name, info in Supervisor(ctx).all_info().items():
        if info["pid"]:
            found[name] = {psutil.Process(pid).nice() for pid in sockets.process_tree(info["pid"])}
    return found


class TestPriorities:
    def test_the_pipeline_runs_niced_and_everything_else_does_not(self, ctx: Context) -> None:
        seen = _niceness(ctx)
        assert set(seen) == {c.name for c in COMPONENTS}  # every component is running: none escapes the check
        assert 0 < CONNECT_NICE < ANALYTICS_NICE
        expected = {name: {CONNECT_NICE if name == "kafka-connect" else ANALYTICS_NICE} for name in PIPELINE}
        assert {name: seen[name] for name in PIPELINE} == expected
        rest = {name: nice for name, nice in seen.items() if name not in PIPELINE}
        assert rest == {name: {0} for name in rest}
