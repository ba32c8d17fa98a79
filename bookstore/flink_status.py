"""What the platform's Flink session cluster runs: each job's state, last completed checkpoint and last failure,
from the JobManager's REST API (`cdc status`, the keeper, tests). Submitting jobs is `bookstore.flink_jobs`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from bookstore.components.base import Context
from bookstore.components.flink import rest_get

# Job states after which the cluster no longer runs the job (SUSPENDED: the JobManager stopped it).
TERMINAL_STATES = frozenset({"FINISHED", "CANCELED", "FAILED", "SUSPENDED"})
# Terminal states someone chose (a cancel, a bounded job done), unlike FAILED and SUSPENDED.
ENDED_ON_PURPOSE = frozenset({"FINISHED", "CANCELED"})


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


def overview(ctx: Context) -> list[dict]:
    jobs: list[dict] = rest_get(ctx, "/jobs/overview")["jobs"]
    return jobs


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
