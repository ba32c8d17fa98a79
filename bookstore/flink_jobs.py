"""Flink SQL jobs on the platform's session cluster: submitted by name, idempotently, resumed from checkpoints.

`submit_sql_job(ctx, name, sql)` runs Flink's SQL client (`sql-client.sh -f`) on a script made of
`SET 'pipeline.name'`, the job's own checkpoint directory (var/data/flink/checkpoints/<name>), and, when
that directory holds a completed checkpoint, `SET 'execution.state-recovery.path'` to the newest one; then
the caller's SQL (CREATE TABLE ...; INSERT INTO ... or EXECUTE STATEMENT SET BEGIN ... END). It does
nothing when a job of that name is already running (or restarting). `jobs(ctx)` reports each job's state
and its last completed checkpoint (and last failure) from the REST API; `cancel_job` cancels (its checkpoint is
retained).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bookstore.components.base import Context
from bookstore.components.flink import (
    checkpoints_dir,
    conf_dir,
    flink_env,
    flink_home,
    held_file,
    rest_get,
    rest_url,
    savepoints_dir,
)

# Job states after which the cluster no longer runs the job (SUSPENDED: the JobManager stopped it).
TERMINAL_STATES = frozenset({"FINISHED", "CANCELED", "FAILED", "SUSPENDED"})
# Terminal states someone chose (a cancel, a bounded job done), unlike FAILED and SUSPENDED.
ENDED_ON_PURPOSE = frozenset({"FINISHED", "CANCELED"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_JOB_ID = re.compile(r"Job ID: ([0-9a-f]{32})")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUBMIT_TIMEOUT_S = 300.0


class FlinkJobError(RuntimeError):
    """A job could not be submitted (the SQL client's output says why)."""


@dataclass(frozen=True)
class Job:
    name: str
    jid: str
    state: str
    started: datetime | None
    last_checkpoint: datetime | None  # when the latest completed checkpoint was acknowledged
    last_checkpoint_id: int | None
    restored_from: str | None  # the checkpoint this run of the job started from (or last recovered from)
    last_failure: datetime | None = None  # the newest entry of the job's exception history (restarts included)
    last_failure_cause: str | None = None  # where and why: "<task>: <exception> … <root cause>"

    @property
    def checkpoint_age_s(self) -> float | None:
        if self.last_checkpoint is None:
            return None
        return (datetime.now(UTC) - self.last_checkpoint).total_seconds()

    @property
    def failed_since_checkpoint(self) -> bool:
        """The job failed after its latest completed checkpoint: whatever it ran since has not made progress
        (a job failing on the same record restarts, briefly shows RUNNING, and fails again)."""
        if self.last_failure is None:
            return False
        return self.last_checkpoint is None or self.last_failure >= self.last_checkpoint


def job_checkpoints(ctx: Context, name: str) -> Path:
    """Where job `name` checkpoints: one subdirectory per job id, each with chk-<n>/_metadata when complete."""
    return checkpoints_dir(ctx) / name


def job_savepoints(ctx: Context, name: str) -> Path:
    """Where a planned stop leaves job `name`'s savepoints (components/flink.py stop_jobs_with_savepoints)."""
    return savepoints_dir(ctx) / name


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


def overview(ctx: Context) -> list[dict]:
    jobs: list[dict] = rest_get(ctx, "/jobs/overview")["jobs"]
    return jobs


def _active(ctx: Context, name: str) -> dict | None:
    return next((j for j in overview(ctx) if j["name"] == name and j["state"] not in TERMINAL_STATES), None)


def _ms(value: object) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if isinstance(value, int) and value > 0 else None


def _short(line: str) -> str:
    name, sep, message = line.strip().removeprefix("Caused by: ").partition(": ")
    return name.rsplit(".", 1)[-1] + sep + message


def _cause(stacktrace: str) -> str:
    """The outermost and the innermost exception of a Java stack trace (`Class: message`), on one short line:
    what failed ("Failed to deserialize consumer record") and why (the parser's complaint)."""
    lines = stacktrace.splitlines()
    if not lines:
        return "no stack trace"
    causes = [line for line in lines if line.startswith("Caused by: ")]
    outer, inner = _short(lines[0]), _short(causes[-1]) if causes else ""
    text = outer + (f" … {inner}" if inner and inner != outer else "")
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= 240 else text[:237] + "..."


def _last_failure(ctx: Context, jid: str) -> tuple[datetime | None, str | None]:
    entries = rest_get(ctx, f"/jobs/{jid}/exceptions").get("exceptionHistory", {}).get("entries") or []
    if not entries:
        return None, None
    newest = max(entries, key=lambda e: e.get("timestamp") or 0)
    task = str(newest.get("taskName") or "job").split(" (", 1)[0]  # "Source: src[1] (1/1) - execution #3"
    return _ms(newest.get("timestamp")), f"{task}: {_cause(str(newest.get('stacktrace') or ''))}"


def _job(ctx: Context, summary: dict) -> Job:
    latest = rest_get(ctx, f"/jobs/{summary['jid']}/checkpoints").get("latest") or {}
    completed, restored = latest.get("completed") or {}, latest.get("restored") or {}
    failed_at, cause = _last_failure(ctx, summary["jid"])
    return Job(
        name=summary["name"],
        jid=summary["jid"],
        state=summary["state"],
        started=_ms(summary.get("start-time")),
        last_checkpoint=_ms(completed.get("latest_ack_timestamp")),
        last_checkpoint_id=completed.get("id"),
        restored_from=restored.get("external_path"),
        last_failure=failed_at,
        last_failure_cause=cause,
    )


def _chosen(ctx: Context) -> dict[str, dict]:
    """Per job name, its running (non-terminal) job, else the one started last."""
    chosen: dict[str, dict] = {}
    for summary in sorted(overview(ctx), key=lambda j: j.get("start-time", 0)):
        current = chosen.get(summary["name"])
        if current is None or summary["state"] not in TERMINAL_STATES or current["state"] in TERMINAL_STATES:
            chosen[summary["name"]] = summary
    return chosen


def jobs(ctx: Context, *, ended_too: Collection[str] | None = None) -> list[Job]:
    """One entry per job name: the running (non-terminal) job, else the one started last. With `ended_too`,
    names whose last job ended on purpose (cancelled, finished) are left out unless listed in it."""
    return [
        _job(ctx, summary)
        for name, summary in sorted(_chosen(ctx).items())
        if ended_too is None or name in ended_too or summary["state"] not in ENDED_ON_PURPOSE
    ]


def job(ctx: Context, name: str) -> Job | None:
    summary = _chosen(ctx).get(name)
    return None if summary is None else _job(ctx, summary)


def job_state(ctx: Context, name: str) -> str | None:
    """Job `name`'s state from the overview alone (one REST call; `job` adds its checkpoints and failures)."""
    summary = _chosen(ctx).get(name)
    return None if summary is None else str(summary["state"])


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


def submit_sql_job(ctx: Context, name: str, sql_text: str, *, restore: bool = True) -> str:
    """Make sure job `name` runs `sql_text`; its job id. Starts it from its latest retained checkpoint, if
    any (`restore=False`: fresh, e.g. after an incompatible change to the SQL), and does nothing when a job
    of that name is already running. The SQL must make ONE job: wrap several INSERTs in a statement set."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid Flink job name {name!r} (letters, digits, '_', '.', '-')")
    with _locked(ctx, name) as directory:
        if running := _active(ctx, name):
            return str(running["jid"])
        checkpoint = latest_checkpoint(ctx, name) if restore else None
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
        return ids[0]
