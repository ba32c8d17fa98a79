"""Component definitions: what makes `up` restart a running component."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bookstore.components import BY_NAME, Context
from bookstore.components.flink import _FlinkProcess
from bookstore.config import DEFAULT_PORTS, Paths
from bookstore.supervise import write_config


def _ctx(tmp_path: Path) -> Context:
    paths = Paths(root=Path(__file__).resolve().parents[2], var=tmp_path / "var", cache=tmp_path / "cache")
    paths.ensure()
    env = {k: str(v) for k, v in DEFAULT_PORTS.items()} | {"REDIS_PASSWORD": "pw-one"}
    return Context(paths=paths, env=env, run_as=None)


class _Secrets(dict[str, str]):
    """An environment in which every generated secret (database URLs, passwords) has a placeholder value."""

    def __missing__(self, key: str) -> str:
        return f"placeholder-{key.lower()}"


class TestFingerprint:
    def test_unchanged_configuration_keeps_the_fingerprint(self, tmp_path: Path) -> None:
        ctx, redis = _ctx(tmp_path), BY_NAME["redis"]
        redis.prepare(ctx)
        first = redis.fingerprint(ctx)
        redis.prepare(ctx)
        assert redis.fingerprint(ctx) == first

    def test_changed_secret_in_rendered_config_moves_the_fingerprint(self, tmp_path: Path) -> None:
        ctx, redis = _ctx(tmp_path), BY_NAME["redis"]
        redis.prepare(ctx)
        first = redis.fingerprint(ctx)
        ctx.env["REDIS_PASSWORD"] = "pw-two"
        redis.prepare(ctx)
        assert redis.fingerprint(ctx) != first

    @pytest.mark.parametrize("name", ["ecom", "inventory", "notifier"])
    @pytest.mark.parametrize("changed", ["own", "shared"])
    def test_changed_service_code_moves_the_fingerprint(self, tmp_path: Path, name: str, changed: str) -> None:
        # `git pull` then `make up` must run the new code (and, at start, its migrations), not keep the old process.
        ctx, service = _ctx(tmp_path), BY_NAME[name]
        services = tmp_path / "checkout" / "services"
        ctx = replace(ctx, paths=replace(ctx.paths, root=services.parent), env=_Secrets(ctx.env))
        files = {"own": services / name / "src" / name / "main.py", "shared": services / "common" / "src" / "kit.py"}
        for path in files.values():
            path.parent.mkdir(parents=True)
            path.write_text("VALUE = 1\n")
        first = service.fingerprint(ctx)
        (files[changed].parent / "__pycache__").mkdir()
        (files[changed].parent / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"compiled")
        assert service.fingerprint(ctx) == first  # byte code comes and goes with imports
        files[changed].write_text("VALUE = 2\n")
        assert service.fingerprint(ctx) != first

    def test_changed_port_moves_the_fingerprint(self, tmp_path: Path) -> None:
        ctx, pg = _ctx(tmp_path), BY_NAME["ecom-db"]
        first = pg.fingerprint(ctx)
        ctx.env["ECOM_DB_PORT"] = "25432"
        assert pg.fingerprint(ctx) != first


class TestFlinkScratch:
    """A killed JobManager or TaskManager never cleans up after itself; its successor does, and touches only its own
    directories (checkpoints and savepoints are the job's state)."""

    @staticmethod
    def _litter(ctx: Context) -> dict[str, Path]:
        flink = ctx.paths.data / "flink"
        left = {
            "taskmanager": flink / "rocksdb" / "job_1_op_Join__uuid_x" / "000001.sst",
            "taskmanager-tmp": flink / "tmp" / "flink-taskmanager" / "flink-rpc-akka1.jar",
            "jobmanager-tmp": flink / "tmp" / "flink-jobmanager" / "executionGraphStore-1" / "graph",
            "jobmanager": flink / "jobmanager" / "jm_1" / "blobStorage",
            "checkpoint": flink / "checkpoints" / "star-schema" / "chk-7" / "_metadata",
            "savepoint": flink / "savepoints" / "star-schema" / "savepoint-1" / "_metadata",
        }
        for path in left.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
        return left

    @pytest.mark.parametrize(
        ("component", "kept"),
        [
            ("flink-taskmanager", {"jobmanager-tmp", "jobmanager", "checkpoint", "savepoint"}),
            ("flink-jobmanager", {"taskmanager", "taskmanager-tmp", "checkpoint", "savepoint"}),
        ],
    )
    def test_a_start_empties_the_process_own_scratch_directories_only(
        self, tmp_path: Path, component: str, kept: set[str]
    ) -> None:
        ctx = _ctx(tmp_path)
        left = self._litter(ctx)
        flink = BY_NAME[component]
        assert isinstance(flink, _FlinkProcess)
        flink.before_exec(ctx)
        assert {name for name, path in left.items() if path.exists()} == kept
        assert all(directory.is_dir() for directory in flink.scratch(ctx))  # emptied, not removed

    def test_each_process_is_given_its_own_temporary_directory(self, tmp_path: Path) -> None:
        ctx = _ctx(tmp_path)
        tmp = ctx.paths.data / "flink" / "tmp"
        for name in ("flink-jobmanager", "flink-taskmanager"):
            # The scripts read `start-foreground -D key=value` (a first argument that is not "-D" is a host name).
            assert BY_NAME[name].command(ctx)[1:] == ["start-foreground", "-D", f"io.tmp.dirs={tmp / name}"]


class TestPriority:
    """The analytics pipeline's priority is given by the command supervisord runs, so every process and thread it
    starts inherits it."""

    def test_supervisord_starts_each_component_through_its_priority(self, tmp_path: Path) -> None:
        conf = write_config(_ctx(tmp_path)).read_text()
        commands = dict(re.findall(r"^\[program:(.+)\]\ncommand=(.*)$", conf, flags=re.MULTILINE))
        assert set(commands) == set(BY_NAME)
        prefixes = {name: command.split(" _exec ")[0].rsplit(" ", 1)[0] for name, command in commands.items()}
        assert prefixes["flink-taskmanager"] == prefixes["flink-jobmanager"] == "chrt --idle 0"
        assert prefixes["analytics-keeper"] == "chrt --idle 0"
        assert prefixes["kafka-connect"] == prefixes["notifier"] == prefixes["mailpit"] == "nice -n 19"
        assert commands["ecom"].startswith(str(Path(sys.executable).parent / "bookstore"))

    def test_the_prefix_execs_the_command_with_the_policy(self) -> None:
        component = replace(BY_NAME["redis"], idle=True, nice=3)
        probe = "import os; print(os.getppid(), os.sched_getscheduler(0), os.nice(0))"
        proc = subprocess.run(
            [*component.priority_prefix(), sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        parent, policy, nice = map(int, proc.stdout.split())
        assert parent == os.getpid()  # chrt and nice exec: the command is the process supervisord started
        assert (policy, nice) == (os.SCHED_IDLE, os.nice(0) + 3)
