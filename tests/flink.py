"""Flink helpers the platform tests share."""

from __future__ import annotations

from bookstore import flink_jobs
from bookstore.components import Context


def discard_job(ctx: Context, name: str) -> None:
    """Cancel a test's job `name`, wait until the cluster has cancelled it, and remove what it left behind: its
    retained checkpoints, savepoints, recorded plan and its submission lock."""
    flink_jobs.discard(ctx, name)
    flink_jobs.plan_file(ctx, name).unlink(missing_ok=True)
    flink_jobs.lock_file(ctx, name).unlink(missing_ok=True)
