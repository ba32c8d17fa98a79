"""analytics-keeper: keeps the analytics pipeline running through crashes, as operators do in Kubernetes.

- A standalone Flink session cluster without high availability forgets its jobs when the JobManager
  restarts: the keeper resubmits a job that ran before from its latest retained checkpoint (the Flink
  Kubernetes Operator's job in the kind deployment).
- A Kafka Connect task stops for good on an error such as its database restarting under it: the keeper
  restarts the platform's failed connectors with a growing back-off (Strimzi's connector auto-restart).
The loop is `bookstore.keeper.run`; this process listens on no port.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bookstore.components.base import Component, Context

ALIVE_WITHIN_SECONDS = 30.0


def alive_file(ctx: Context) -> Path:
    """Touched every few seconds while the keeper's loop runs; its age is the readiness check."""
    return ctx.paths.run / "analytics-keeper.alive"


@dataclass
class AnalyticsKeeper(Component):
    ready_timeout: float = 60.0

    def command(self, ctx: Context) -> list[str]:
        return [str(ctx.venv_bin / "bookstore"), "_keep-analytics"]

    def is_ready(self, ctx: Context) -> bool:
        path = alive_file(ctx)
        return path.exists() and time.time() - path.stat().st_mtime < ALIVE_WITHIN_SECONDS
