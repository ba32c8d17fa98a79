"""Flink helpers the platform tests share."""

from __future__ import annotations

import shutil

from bookstore import flink_jobs, flink_status
from bookstore.components import Context
from tests.waiting import wait_for


def discard_job(ctx: Context, name: str) -> None:
    """Cancel a test's job `name`, wait until the cluster has cancelled it, and remove what it left behind: its
    retained checkpoints, savepoints, recorded plan and its submission lock."""
    flink_jobs.cancel_job(ctx, name)
    wait_for(lambda: flink_status.job_state(ctx, name) in (None, "CANCELED"), 60, f"job {name} cancelled")
    shutil.rmtree(flink_jobs.job_checkpoints(ctx, name), ignore_errors=True)
    shutil.rmtree(flink_jobs.job_savepoints(ctx, name), ignore_errors=True)
    flink_jobs.plan_file(ctx, name).unlink(missing_ok=True)
    flink_jobs.lock_file(ctx, name).unlink(missing_ok=True)
