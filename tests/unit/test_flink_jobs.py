"""Flink job submission without a cluster: which checkpoint a job resumes from, and the script it submits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bookstore import flink_jobs
from bookstore.components import Context
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
