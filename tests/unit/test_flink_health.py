"""What `cdc status` says about Flink jobs, from canned REST answers: every job on the cluster is judged (not only
the platform's), one that failed since its last checkpoint is failing even while it shows RUNNING, and jobs
that were cancelled or finished are not reported."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bookstore import flink_status, star
from bookstore.components import Context

TRACE = (
    "java.io.IOException: Failed to deserialize consumer record due to\n"
    "\tat org.apache.flink.connector.kafka.source.reader.KafkaRecordEmitter.emitRecord(KafkaRecordEmitter.java:56)\n"
    "Caused by: java.io.IOException: Corrupt Debezium JSON message '{\"before\": null'.\n"
    "\tat org.apache.flink.formats.json.debezium.DebeziumJsonDeserializationSchema.deserialize(X.java:184)\n"
    "Caused by: org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.io.JsonEOFException: Unexpected"
    " end-of-input\x00\n"
    "\tat com.fasterxml.jackson.core.base.ParserMinimalBase._reportInvalidEOF(ParserMinimalBase.java:1)\n"
)


def _job(state: str = "RUNNING", checkpoint_s: float | None = 1.0, failure_s: float | None = None) -> flink_status.Job:
    """A job whose checkpoint and failure lie that many seconds before now (taken here, not at import: a suite
    that runs after the platform tests imports this module many minutes before it runs these)."""
    now = datetime.now(UTC)
    return flink_status.Job(
        name="probe",
        jid="a" * 32,
        state=state,
        started=now - timedelta(minutes=5),
        last_checkpoint=None if checkpoint_s is None else now - timedelta(seconds=checkpoint_s),
        last_checkpoint_id=None if checkpoint_s is None else 7,
        restored_from=None,
        last_failure=None if failure_s is None else now - timedelta(seconds=failure_s),
        last_failure_cause=None if failure_s is None else "Source: src[1]: IOException: boom",
    )


class TestCause:
    def test_outermost_and_innermost_exception_on_one_printable_line(self) -> None:
        assert flink_status._cause(TRACE) == (
            "IOException: Failed to deserialize consumer record due to … JsonEOFException: Unexpected end-of-input\\x00"
        )

    def test_a_trace_without_causes_and_a_long_message(self) -> None:
        assert flink_status._cause("java.lang.RuntimeException: boom\n\tat x.y(Z.java:1)") == "RuntimeException: boom"
        assert len(flink_status._cause("java.lang.RuntimeException: " + "x" * 1000)) == 240
        assert flink_status._cause("") == "no stack trace"


class TestJobCheck:
    def test_running_with_a_fresh_checkpoint_after_its_last_failure_is_healthy(self) -> None:
        check = star._job_check(_job(checkpoint_s=1, failure_s=30))  # e.g. recovered from a killed TaskManager
        assert (check.what, check.state, check.ok) == ("flink job probe", "RUNNING", True)

    def test_running_again_but_failed_since_its_last_checkpoint_is_failing(self) -> None:
        check = star._job_check(_job(checkpoint_s=30, failure_s=2))
        assert (check.state, check.ok) == ("FAILING", False)
        assert "Source: src[1]: IOException: boom" in check.detail

    def test_failed_before_any_checkpoint_is_failing(self) -> None:
        check = star._job_check(_job(checkpoint_s=None, failure_s=2))
        assert (check.state, check.ok) == ("FAILING", False)

    @pytest.mark.parametrize("state", ["RESTARTING", "FAILING", "FAILED", "CANCELED", "CREATED"])
    def test_not_running_is_named_with_its_state(self, state: str) -> None:
        check = star._job_check(_job(state=state, checkpoint_s=1))
        assert (check.state, check.ok) == (state, False)

    def test_a_stale_checkpoint_or_none_yet_is_not_healthy(self) -> None:
        stale = star._job_check(_job(checkpoint_s=star.STALE_CHECKPOINT_SECONDS + 5))
        assert (stale.state, stale.ok) == ("STALE", False)
        assert not star._job_check(_job(checkpoint_s=None)).ok


def _cluster(monkeypatch: pytest.MonkeyPatch, jobs: list[tuple[str, str, str]], failed: set[str]) -> None:
    """A JobManager answering for `jobs` (jid, name, state): a checkpoint 1 s ago, and a failure 0.5 s ago for
    the jids in `failed`."""
    now_ms = int(time.time() * 1000)

    def rest_get(_ctx: Context, path: str, timeout: float = 5) -> Any:
        if path == "/jobs/overview":
            return {
                "jobs": [
                    {"jid": j, "name": n, "state": s, "start-time": now_ms - 60_000 + i}
                    for i, (j, n, s) in enumerate(jobs)
                ]
            }
        jid = path.split("/")[2]
        if path.endswith("/checkpoints"):
            return {"latest": {"completed": {"id": 3, "latest_ack_timestamp": now_ms - 1000}}}
        if path.endswith("/exceptions"):
            entries = [{"timestamp": now_ms - 500, "taskName": "Source: src[1] (1/1)", "stacktrace": TRACE}]
            return {"exceptionHistory": {"entries": entries if jid in failed else []}}
        raise AssertionError(path)

    monkeypatch.setattr(flink_status, "rest_get", rest_get)


class TestChecks:
    def test_every_job_on_the_cluster_is_judged_but_cancelled_and_finished_ones_are_left_out(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        jobs = [
            ("1" * 32, star.JOB, "RUNNING"),
            ("2" * 32, "someones-job", "RUNNING"),
            ("3" * 32, "restarting-job", "RESTARTING"),
            ("4" * 32, "failed-job", "FAILED"),
            ("5" * 32, "cancelled-job", "CANCELED"),
            ("6" * 32, "batch-job", "FINISHED"),
        ]
        _cluster(monkeypatch, jobs, failed={"2" * 32})
        checks = {c.what: (c.state, c.ok) for c in star.checks(None)}  # type: ignore[arg-type]
        assert checks == {
            f"flink job {star.JOB}": ("RUNNING", True),
            "flink job someones-job": ("FAILING", False),
            "flink job restarting-job": ("RESTARTING", False),
            "flink job failed-job": ("FAILED", False),
        }

    def test_the_platforms_job_is_reported_missing_or_cancelled(self, monkeypatch: pytest.MonkeyPatch) -> None:
        _cluster(monkeypatch, [("2" * 32, "other", "RUNNING")], failed=set())
        assert [(c.what, c.state) for c in star.checks(None)] == [  # type: ignore[arg-type]
            (f"flink job {star.JOB}", "MISSING"),
            ("flink job other", "RUNNING"),
        ]
        _cluster(monkeypatch, [("1" * 32, star.JOB, "CANCELED")], failed=set())
        assert [(c.what, c.state, c.ok) for c in star.checks(None)] == [(f"flink job {star.JOB}", "CANCELED", False)]  # type: ignore[arg-type]

    def test_a_resubmitted_job_is_judged_by_its_running_run(self, monkeypatch: pytest.MonkeyPatch) -> None:
        jobs = [("1" * 32, star.JOB, "FAILED"), ("2" * 32, star.JOB, "RUNNING")]
        _cluster(monkeypatch, jobs, failed={"1" * 32})
        assert [(c.state, c.ok) for c in star.checks(None)] == [("RUNNING", True)]  # type: ignore[arg-type]
