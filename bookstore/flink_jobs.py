"""Flink SQL jobs on the platform's session cluster: submitted by name, idempotently, resumed from checkpoints.

`submit_sql_job(ctx, name, sql)` runs Flink's SQL client (`sql-client.sh -f`) on a script made of
`SET 'pipeline.name'`, the job's own checkpoint directory (var/data/flink/checkpoints/<name>), and, when
that directory holds a completed checkpoint, `SET 'execution.state-recovery.path'` to the newest one; then
the caller's SQL (CREATE TABLE ...; INSERT INTO ... or EXECUTE STATEMENT SET BEGIN ... END). It does
nothing when a job of that name is already running (or restarting), unless the caller's `plan` differs from
the one the job's retained state belongs to: then the job is rebuilt from nothing (see `submit_sql_job`).
`cancel_job` cancels (its checkpoint is retained). What runs, in which state, with which last checkpoint and
failure: `bookstore.flink_status`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bookstore.components.base import Context
from bookstore.components.flink import (
    checkpoints_dir,
    conf_dir,
    data_dir,
    flink_env,
    flink_home,
    held_file,
    rest_url,
    savepoints_dir,
)
from bookstore.flink_status import TERMINAL_STATES, overview

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_JOB_ID = re.compile(r"Job ID: ([0-9a-f]{32})")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUBMIT_TIMEOUT_S = 300.0
CANCEL_TIMEOUT_S = 60.0
log = logging.getLogger(__name__)


class FlinkJobError(RuntimeError):
    """A job could not be submitted (the SQL client's output says why)."""


def job_checkpoints(ctx: Context, name: str) -> Path:
    """Where job `name` checkpoints: one subdirectory per job id, each with chk-<n>/_metadata when complete."""
    return checkpoints_dir(ctx) / name


def job_savepoints(ctx: Context, name: str) -> Path:
    """Where a planned stop leaves job `name`'s savepoints (components/flink.py stop_jobs_with_savepoints)."""
    return savepoints_dir(ctx) / name


def plan_file(ctx: Context, name: str) -> Path:
    """The plan (the caller's fingerprint of the job's SQL) that job `name`'s retained state belongs to."""
    return data_dir(ctx) / "plans" / name


def recorded_plan(ctx: Context, name: str) -> str | None:
    path = plan_file(ctx, name)
    return path.read_text().strip() if path.exists() else None


def latest_checkpoint(ctx: Context, name: str) -> Path | None:
    """The newest completed (retained) checkpoint of any run of job `name`, or its newest savepoint if younger."""
    done = [
        *(meta.parent for meta in job_checkpoints(ctx, name).glob("*/chk-*/_metadata")),
        *(meta.parent for meta in job_savepoints(ctx, name).glob("savepoint-*/_metadata")),
    ]
    return max(done, key=lambda chk: (chk / "_metadata").stat().st_mtime, default=None)


def held(ctx: Context) -> bool:
    """The JobManager is being stopped for a restart: its jobs were stopped with savepoints on purpose."""
    return held_file(ctx).exists()


def _active(ctx: Context, name: str) -> dict | None:
    return next((j for j in overview(ctx) if j["name"] == name and j["state"] not in TERMINAL_STATES), None)


def cancel_job(ctx: Context, name: str) -> list[str]:
    """Cancel every running job named `name` (checkpoints are retained on cancellation); the ids cancelled."""
    cancelled = []
    for summary in overview(ctx):
        if summary["name"] == name and summary["state"] not in TERMINAL_STATES:
            httpx.patch(f"{rest_url(ctx)}/jobs/{summary['jid']}", params={"mode": "cancel"}, timeout=10)
            cancelled.append(summary["jid"])
    return cancelled


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _script(ctx: Context, name: str, sql_text: str, restore_from: Path | None) -> str:
    lines = [
        f"SET 'pipeline.name' = {_quote(name)};",
        f"SET 'execution.checkpointing.dir' = {_quote(job_checkpoints(ctx, name).as_uri())};",
    ]
    if restore_from is not None:
        # NO_CLAIM (the default): the new job never deletes the old files; its first checkpoint is a full one.
        lines.append(f"SET 'execution.state-recovery.path' = {_quote(restore_from.as_uri())};")
    return "\n".join(lines) + "\n" + sql_text.strip() + "\n"


def lock_file(ctx: Context, name: str) -> Path:
    """What serialises submissions of job `name`."""
    return conf_dir(ctx) / "jobs" / f"{name}.lock"


@contextmanager
def _locked(ctx: Context, name: str) -> Iterator[Path]:
    """One submission per job name at a time (two `up`s at once must not start it twice)."""
    path = lock_file(ctx, name)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield directory


def _run_sql_client(ctx: Context, directory: Path, name: str, script: str) -> str:
    # The script may hold connector passwords: private to us, and gone once submitted.
    path = directory / f"{name}.sql"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(script)
    env = {**os.environ, **flink_env(ctx), "FLINK_IDENT_STRING": name}  # log: var/log/flink/flink-<name>-sql-client-*
    cmd = [str(flink_home(ctx) / "bin" / "sql-client.sh"), "-f", str(path), "-hist", os.devnull]
    try:
        result = subprocess.run(
            cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=SUBMIT_TIMEOUT_S
        )
    finally:
        path.unlink(missing_ok=True)
    out = _ANSI.sub("", result.stdout + result.stderr)
    if result.returncode != 0 or "[ERROR]" in out:
        raise FlinkJobError(f"submitting Flink job {name} failed (exit {result.returncode}):\n{out[-4000:]}")
    return out


def _prune(ctx: Context, name: str, keep: set[str]) -> None:
    """Checkpoint directories of earlier runs and savepoints, superseded by the one the new run started from."""
    for run in [*job_checkpoints(ctx, name).iterdir(), *job_savepoints(ctx, name).glob("savepoint-*")]:
        if run.is_dir() and run.name not in keep:
            shutil.rmtree(run, ignore_errors=True)


def _plan_changed(ctx: Context, name: str, plan: str, running: dict | None) -> bool:
    recorded = recorded_plan(ctx, name)
    if recorded is None:  # state (or a run) from before plans were recorded belongs to an unknown plan
        return latest_checkpoint(ctx, name) is not None or running is not None
    return recorded != plan


def discard(ctx: Context, name: str) -> None:
    """Cancel job `name`, wait until the cluster no longer runs it, and delete its retained checkpoints and
    savepoints (its recorded plan and submission lock stay)."""
    cancelled = cancel_job(ctx, name)
    deadline = time.monotonic() + CANCEL_TIMEOUT_S
    while cancelled and _active(ctx, name) is not None:
        if time.monotonic() > deadline:
            raise FlinkJobError(f"job {name} ({', '.join(cancelled)}) still runs {CANCEL_TIMEOUT_S:.0f}s after cancel")
        time.sleep(0.5)
    shutil.rmtree(job_checkpoints(ctx, name), ignore_errors=True)
    shutil.rmtree(job_savepoints(ctx, name), ignore_errors=True)


def _rebuild_from_nothing(ctx: Context, name: str, plan: str, on_rebuild: Callable[[], None] | None) -> None:
    """The job's SQL changed from the plan its state belongs to: Flink maps state to operators by the plan's
    topology, so a changed plan cannot restore it (and must not: an operator that found no state would start
    empty while the others did not). Stop the old run, drop its checkpoints and savepoints, let the caller
    empty what the job wrote (`on_rebuild`); the new run then recomputes everything from its sources."""
    log.warning(
        "Flink job %s: its SQL changed (plan %s, state of %s); rebuilding it from nothing",
        name,
        plan,
        recorded_plan(ctx, name) or "an unrecorded plan",
    )
    discard(ctx, name)
    if on_rebuild is not None:
        on_rebuild()


def submit_sql_job(
    ctx: Context,
    name: str,
    sql_text: str,
    *,
    restore: bool = True,
    plan: str | None = None,
    on_rebuild: Callable[[], None] | None = None,
) -> str:
    """Make sure job `name` runs `sql_text`; its job id. Starts it from its latest retained checkpoint, if
    any (`restore=False`: fresh), and does nothing when a job of that name is already running. The SQL must
    make ONE job: wrap several INSERTs in a statement set.
    With `plan` (the caller's fingerprint of the SQL), a job whose retained state or running job belongs to
    another plan is rebuilt from nothing first (`_rebuild_from_nothing`, which calls `on_rebuild`); the plan is
    recorded once the new run is submitted, so a rebuild cut short is done again next time."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid Flink job name {name!r} (letters, digits, '_', '.', '-')")
    with _locked(ctx, name) as directory:
        checkpoint = None
        running = _active(ctx, name)
        if plan is not None and _plan_changed(ctx, name, plan, running):
            _rebuild_from_nothing(ctx, name, plan, on_rebuild)
        elif running is not None:
            return str(running["jid"])
        elif restore:
            checkpoint = latest_checkpoint(ctx, name)
        out = _run_sql_client(ctx, directory, name, _script(ctx, name, sql_text, checkpoint))
        ids = _JOB_ID.findall(out)
        if len(ids) != 1:
            for jid in ids:
                httpx.patch(f"{rest_url(ctx)}/jobs/{jid}", params={"mode": "cancel"}, timeout=10)
            raise FlinkJobError(
                f"the SQL of Flink job {name} started {len(ids)} jobs (cancelled); it must start exactly one "
                f"(several INSERTs belong in EXECUTE STATEMENT SET BEGIN ... END):\n{out[-4000:]}"
            )
        job_checkpoints(ctx, name).mkdir(parents=True, exist_ok=True)
        # What the new run restored from: a checkpoint's run directory (its parent) or a savepoint's own directory.
        restored = () if checkpoint is None else (checkpoint.name, checkpoint.parent.name)
        _prune(ctx, name, keep={ids[0], *restored})
        if plan is not None:
            plan_file(ctx, name).parent.mkdir(parents=True, exist_ok=True)
            plan_file(ctx, name).write_text(plan + "\n")
        return ids[0]
