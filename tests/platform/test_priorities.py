"""The analytics pipeline yields the cores to the shop: Flink and the keeper run as SCHED_IDLE (only on CPU time the
shop leaves), Connect, which also carries the outbox connectors, at the lowest niceness, and so do the order mails
(the notifier and Mailpit); the shop at neither."""

from __future__ import annotations

import os
from pathlib import Path

from bookstore import sockets
from bookstore.components import COMPONENTS, Context
from bookstore.supervise import Supervisor

IDLE = {"flink-jobmanager", "flink-taskmanager", "analytics-keeper"}
NICED = {"kafka-connect", "notifier", "mailpit"}
POLICY_NAMES = {os.SCHED_OTHER: "other", os.SCHED_IDLE: "idle", os.SCHED_BATCH: "batch"}


def _priorities(ctx: Context) -> dict[str, set[tuple[str, int]]]:
    """Component -> (scheduling policy, niceness) of every thread of every process in its tree."""
    found = {}
    for name, info in Supervisor(ctx).all_info().items():
        if info["pid"]:
            seen = set()
            for pid in sockets.process_tree(info["pid"]):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    tid = int(task.name)
                    try:
                        seen.add((POLICY_NAMES[os.sched_getscheduler(tid)], os.getpriority(os.PRIO_PROCESS, tid)))
                    except ProcessLookupError:  # a thread that ended meanwhile
                        continue
            found[name] = seen
    return found


class TestPriorities:
    def test_the_pipeline_yields_and_everything_else_does_not(self, ctx: Context) -> None:
        seen = _priorities(ctx)
        assert set(seen) == {c.name for c in COMPONENTS}  # every component is running: none escapes the check
        assert {name: seen[name] for name in IDLE} == {name: {("idle", 0)} for name in IDLE}
        assert {name: seen[name] for name in NICED} == {name: {("other", 19)} for name in NICED}
        rest = {name: prio for name, prio in seen.items() if name not in IDLE | NICED}
        assert rest == {name: {("other", 0)} for name in rest}
