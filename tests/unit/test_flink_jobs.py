"""Flink job submission without a cluster: which checkpoint a job resumes from, and the script it submits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bookstore import flink_jobs, flink_status, keeper, star
from bookstore.components import Context
from bookstore.components.flink import held_file
from bookstore.config import DEFAULT_PORTS, Paths


def _ctx(tmp_path: Path) -> Context:
    paths = Paths(root=Path(__file__).resolve().parents[2], var=tmp_path / "var", cache=tmp_path / "cache")
    paths.ensure()
    return Context(paths=paths, env={k: str(v) for k, v in DEFAULT_PORTS.items()}, run_as=None)


def _checkpoint(ctx: Context, name: str, run: str, n: int, mtime: float | None, complete: bool = True) -> Path:
    chk = flink_jobs.job_checkpoints(ctx, name) / run / f"chk-{n}"
    chk.mkdir(parents=True)
    if complete:
        (chk / "_metadata").write_bytes(b"meta")
        if mtime is not None:
            os.utime(chk / "_metadata", (mtime, mtime))
    return chk


class TestLatestCheckpoint:
    def test_none_without_checkpoints(self, tmp_path: Path) -> None:
        assert flink_jobs.latest_checkpoint(_ctx(tmp_path), "facts") is None

    def test_newest_completed_checkpoint_of_any_run(self, tmp_path: Path) -> None:
        ctx = _ctx(tmp_path)
        _checkpoint(ctx, "facts", "a" * 32, 40, mtime=1000)
        newest = _checkpoint(ctx, "facts", "b" * 32, 7, mtime=2000)
        _checkpoint(ctx, "facts", "b" * 32, 8, mtime=None, complete=False)  # in progress: no _metadata yet
        _checkpoint(ctx, "other", "c" * 32, 9, mtime=3000)
        assert flink_jobs.latest_checkpoint(ctx, "facts") == newest

    def test_a_younger_savepoint_wins_an_older_one_loses(self, tmp_path: Path) -> None:
        ctx = _ctx(tmp_path)
        _checkpoint(ctx, "facts", "a" * 32, 40, mtime=1000)
        savepoint = _savepoint(ctx, "facts", "savepoint-aaaaaa-1", mtime=2000)
        assert flink_jobs.latest_checkpoint(ctx, "facts") == savepoint
        newer = _checkpoint(ctx, "facts", "b" * 32, 3, mtime=3000)  # the resumed run checkpointed since
        assert flink_jobs.latest_checkpoint(ctx, "facts") == newer


def _savepoint(ctx: Context, name: str, directory: str, mtime: float) -> Path:
    savepoint = flink_jobs.job_savepoints(ctx, name) / directory
    savepoint.mkdir(parents=True)
    (savepoint / "_metadata").write_bytes(b"meta")
    os.utime(savepoint / "_metadata", (mtime, mtime))
    return savepoint


class TestPrune:
    def test_keeps_the_new_run_and_the_savepoint_it_restored(self, tmp_path: Path) -> None:
        ctx = _ctx(tmp_path)
        old = _checkpoint(ctx, "facts", "a" * 32, 40, mtime=1000)
        restored = _savepoint(ctx, "facts", "savepoint-aaaaaa-2", mtime=2000)
        stale = _savepoint(ctx, "facts", "savepoint-aaaaaa-1", mtime=1500)
        new = _checkpoint(ctx, "facts", "b" * 32, 1, mtime=3000)
        flink_jobs._prune(ctx, "facts", keep={"b" * 32, restored.name})
        assert (restored.exists(), new.exists(), old.exists(), stale.exists()) == (True, True, False, False)


class TestKeeper:
    def test_a_job_held_for_a_restart_is_not_resubmitted(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        ctx = _ctx(tmp_path)
        _savepoint(ctx, star.JOB, "savepoint-aaaaaa-1", mtime=1000)
        submitted: list[str] = []
        monkeypatch.setattr(flink_status, "job_state", lambda _ctx, _name: "FINISHED")

        def submit(_ctx: Context, name: str, _sql: str, **_options: object) -> str:
            submitted.append(name)
            return "j"

        monkeypatch.setattr(flink_jobs, "submit_sql_job", submit)
        monkeypatch.setattr(star, "job_sql", lambda _ctx: "sql")
        held_file(ctx).parent.mkdir(parents=True, exist_ok=True)
        held_file(ctx).touch()
        keeper.keep_star_job(ctx)
        assert submitted == []
        held_file(ctx).unlink()  # what the JobManager's after_ready does once it is back
        keeper.keep_star_job(ctx)
        assert submitted == [star.JOB]


class TestScript:
    def test_fresh_job_names_itself_and_its_checkpoint_directory(self, tmp_path: Path) -> None:
        ctx = _ctx(tmp_path)
        script = flink_jobs._script(ctx, "facts", "INSERT INTO b SELECT * FROM a;", None)
        assert script.splitlines() == [
            "SET 'pipeline.name' = 'facts';",
            f"SET 'execution.checkpointing.dir' = '{flink_jobs.job_checkpoints(ctx, 'facts').as_uri()}';",
            "INSERT INTO b SELECT * FROM a;",
        ]

    def test_resumed_job_restores_from_the_checkpoint(self, tmp_path: Path) -> None:
        ctx = _ctx(tmp_path)
        chk = _checkpoint(ctx, "facts", "a" * 32, 3, mtime=None)
        script = flink_jobs._script(ctx, "facts", "INSERT INTO b SELECT * FROM a;", chk)
        assert f"SET 'execution.state-recovery.path' = '{chk.as_uri()}';" in script.splitlines()

    @pytest.mark.parametrize("name", ["", "a b", "x'y", "../up", "-flag"])
    def test_unsafe_job_names_are_refused_before_anything_runs(self, tmp_path: Path, name: str) -> None:
        with pytest.raises(ValueError, match="invalid Flink job name"):
            flink_jobs.submit_sql_job(_ctx(tmp_path), name, "INSERT INTO b SELECT * FROM a;")


class _Cluster:
    """The JobManager as `submit_sql_job` sees it: which job of the name runs, cancels, and SQL-client runs."""

    def __init__(self, running: str | None = None, fail_submit: bool = False) -> None:
        self.running, self.fail_submit = running, fail_submit
        self.events: list[str] = []
        self.scripts: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(flink_jobs, "_active", lambda _ctx, _name: {"jid": self.running} if self.running else None)
        monkeypatch.setattr(flink_jobs, "cancel_job", self.cancel)
        monkeypatch.setattr(flink_jobs, "_run_sql_client", self.run_sql_client)

    def cancel(self, _ctx: Context, _name: str) -> list[str]:
        if self.running is None:
            return []
        self.events.append(f"cancel {self.running}")
        cancelled, self.running = [self.running], None
        return cancelled

    def run_sql_client(self, _ctx: Context, _directory: Path, _name: str, script: str) -> str:
        self.events.append("submit")
        self.scripts.append(script)
        if self.fail_submit:
            raise flink_jobs.FlinkJobError("the SQL client failed")
        self.running = f"{len(self.scripts):032x}"
        return f"Job ID: {self.running}\n"


def _restores(script: str) -> bool:
    return "execution.state-recovery.path" in script


class TestPlanChange:
    SQL = "INSERT INTO b SELECT * FROM a;"

    def _submit(self, ctx: Context, plan: str, events: list[str]) -> str:
        return flink_jobs.submit_sql_job(ctx, "facts", self.SQL, plan=plan, on_rebuild=lambda: events.append("empty"))

    def test_a_fresh_job_records_its_plan_and_rebuilds_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ctx, cluster = _ctx(tmp_path), _Cluster()
        cluster.install(monkeypatch)
        self._submit(ctx, "p1", cluster.events)
        assert cluster.events == ["submit"] and not _restores(cluster.scripts[0])
        assert flink_jobs.recorded_plan(ctx, "facts") == "p1"

    def test_the_same_plan_resumes_from_the_checkpoint(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        ctx, cluster = _ctx(tmp_path), _Cluster()
        cluster.install(monkeypatch)
        chk = _checkpoint(ctx, "facts", "a" * 32, 3, mtime=1000)
        flink_jobs.plan_file(ctx, "facts").parent.mkdir(parents=True)
        flink_jobs.plan_file(ctx, "facts").write_text("p1\n")
        self._submit(ctx, "p1", cluster.events)
        assert cluster.events == ["submit"] and f"'{chk.as_uri()}'" in cluster.scripts[0]

    def test_a_changed_plan_stops_the_old_run_drops_its_state_and_starts_empty(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ctx, cluster = _ctx(tmp_path), _Cluster(running="f" * 32)
        cluster.install(monkeypatch)
        old = _checkpoint(ctx, "facts", "f" * 32, 9, mtime=1000)
        savepoint = _savepoint(ctx, "facts", "savepoint-ffffff-1", mtime=900)
        flink_jobs.plan_file(ctx, "facts").parent.mkdir(parents=True)
        flink_jobs.plan_file(ctx, "facts").write_text("p1\n")
        jid = self._submit(ctx, "p2", cluster.events)
        # Cancelled before its state is dropped and its output emptied; the new run restores nothing.
        assert cluster.events == [f"cancel {'f' * 32}", "empty", "submit"]
        assert not _restores(cluster.scripts[0]) and jid == cluster.running
        assert not old.exists() and not savepoint.exists()
        assert flink_jobs.recorded_plan(ctx, "facts") == "p2"
        # Submitted again with the same plan while it runs: nothing happens.
        assert self._submit(ctx, "p2", cluster.events) == jid and cluster.events[3:] == []

    def test_state_from_before_plans_were_recorded_is_rebuilt(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ctx, cluster = _ctx(tmp_path), _Cluster()
        cluster.install(monkeypatch)
        old = _checkpoint(ctx, "facts", "a" * 32, 3, mtime=1000)
        self._submit(ctx, "p1", cluster.events)
        assert cluster.events == ["empty", "submit"] and not _restores(cluster.scripts[0]) and not old.exists()

    def test_a_rebuild_cut_short_is_done_again(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        ctx, cluster = _ctx(tmp_path), _Cluster(fail_submit=True)
        cluster.install(monkeypatch)
        _checkpoint(ctx, "facts", "a" * 32, 3, mtime=1000)
        flink_jobs.plan_file(ctx, "facts").parent.mkdir(parents=True)
        flink_jobs.plan_file(ctx, "facts").write_text("p1\n")
        with pytest.raises(flink_jobs.FlinkJobError):
            self._submit(ctx, "p2", cluster.events)
        assert flink_jobs.recorded_plan(ctx, "facts") == "p1"  # not recorded: the new plan never ran
        cluster.fail_submit = False
        self._submit(ctx, "p2", cluster.events)
        assert cluster.events == ["empty", "submit", "empty", "submit"]
        assert flink_jobs.recorded_plan(ctx, "facts") == "p2"


class TestStarPlan:
    def test_comments_and_layout_do_not_change_the_plan_sql_does(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ctx = _ctx(tmp_path)
        text = star._template_text(ctx)
        base = star.plan(ctx)
        for variant, same in (
            ("-- a new comment line\n" + text.replace("\n\n", "\n\n\n"), True),
            ("{# a template comment #}" + text.replace(" JOIN ", "\n  JOIN  "), True),
            (text.replace("'sink.buffer-flush.interval' = '200ms'", "'sink.buffer-flush.interval' = '300ms'"), False),
            (text.replace("WHERE order_status = 'CONFIRMED'", "WHERE order_status <> 'CANCELLED'"), False),
        ):
            assert variant != text
            monkeypatch.setattr(star, "_template_text", lambda _ctx, v=variant: v)
            assert (star.plan(ctx) == base) is same, variant[:60]

    def test_the_rebuild_empties_exactly_the_tables_the_job_writes(self, tmp_path: Path) -> None:
        assert sorted(star.sink_tables(_ctx(tmp_path))) == [
            "agg_book_sales", "agg_daily_sales", "dim_book", "fact_order_line", "fact_stock_movement", "stock_level"
        ]  # fmt: skip
