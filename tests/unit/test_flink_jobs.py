"""Flink job submission without a cluster: which checkpoint a job resumes from, and the script it submits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bookstore import flink_jobs, keeper, star
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
        monkeypatch.setattr(flink_jobs, "job_state", lambda _ctx, _name: "FINISHED")

        def submit(_ctx: Context, name: str, _sql: str) -> str:
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
