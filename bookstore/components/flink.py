"""Flink 2.2.1 as a standalone session cluster: a JobManager and a TaskManager, each in the foreground.

The runtime is the Flink distribution inside the `apache-flink` wheel (PyPI), synced into its own virtualenv
under the cache from deploy/local/flink/uv.lock. Connector jars come from the Maven pom (<cache>/jvm/flink-lib)
and join Flink's own lib/ in a directory of links that is FLINK_LIB_DIR for both processes and the SQL client.
The configuration is rendered into var/run/flink (FLINK_CONF_DIR); state lives under var/data/flink.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bookstore import loopback
from bookstore.components.base import IDLE_HEAP_RETURN, Component, Context, render, sync_venv

HEARTBEAT_INTERVAL_S = 2.0  # heartbeat.interval in config.yaml.j2


def venv(ctx: Context) -> Path:
    return ctx.paths.cache / "venvs" / "flink"


def flink_home(ctx: Context) -> Path:
    """A stable link to the distribution inside the wheel (`pyflink/` holds bin/, lib/, opt/, plugins/)."""
    return ctx.paths.cache / "flink" / "home"


def lib_dir(ctx: Context) -> Path:
    return ctx.paths.cache / "flink" / "lib"


def opt_dir(ctx: Context) -> Path:
    return ctx.paths.cache / "flink" / "opt"


def conf_dir(ctx: Context) -> Path:
    return ctx.paths.run / "flink"


def data_dir(ctx: Context) -> Path:
    return ctx.paths.data / "flink"


def checkpoints_dir(ctx: Context) -> Path:
    return data_dir(ctx) / "checkpoints"


def savepoints_dir(ctx: Context) -> Path:
    return data_dir(ctx) / "savepoints"


def held_file(ctx: Context) -> Path:
    """While it exists, jobs stopped for a restart are not resubmitted (the keeper would give them to the
    JobManager being stopped, whose checkpoints would then be newer than the savepoint)."""
    return conf_dir(ctx) / "jobs" / "held-for-restart"


def rest_url(ctx: Context) -> str:
    return f"http://127.0.0.1:{ctx.port('FLINK_REST_PORT')}"


def flink_env(ctx: Context) -> dict[str, str]:
    """What Flink's bin/ scripts need to find Java, our configuration and our lib directory."""
    return {
        "JAVA_HOME": ctx.java_home,
        "FLINK_CONF_DIR": str(conf_dir(ctx)),
        "FLINK_LIB_DIR": str(lib_dir(ctx)),
        "FLINK_OPT_DIR": str(opt_dir(ctx)),
        "FLINK_LOG_DIR": str(ctx.paths.log / "flink"),
    }


def rest_get(ctx: Context, path: str, timeout: float = 5) -> Any:
    response = loopback.client().get(f"{rest_url(ctx)}{path}", timeout=timeout)
    response.raise_for_status()
    return response.json()


def _sync_venv(ctx: Context) -> str:
    return sync_venv(ctx.paths.deploy / "flink", venv(ctx), "Flink")


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _fill(directory: Path, jars: list[Path]) -> None:
    """`directory` holds links to exactly `jars` (by file name)."""
    wanted = {jar.name: jar for jar in jars}
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    for name, jar in wanted.items():
        _link(directory / name, jar)


def _provision(ctx: Context) -> None:
    """The virtualenv (once per lock), then the home link, FLINK_LIB_DIR and FLINK_OPT_DIR (cheap; kept equal
    to their sources: the distribution's jars plus the pom's)."""
    _sync_venv(ctx)
    found = sorted(venv(ctx).glob("lib/python3*/site-packages/pyflink/lib/flink-dist-*.jar"))
    if not found:
        raise RuntimeError(f"the Flink distribution is missing from {venv(ctx)}")
    home = found[-1].parent.parent
    flink_home(ctx).parent.mkdir(parents=True, exist_ok=True)
    _link(flink_home(ctx), home)
    extra = {sub: sorted((ctx.paths.jvm / f"flink-{sub}").glob("*.jar")) for sub in ("lib", "opt")}
    if not all(extra.values()):
        raise RuntimeError(f"Flink jars missing from {ctx.paths.jvm}/flink-{{lib,opt}} (run `bookstore provision`)")
    _fill(lib_dir(ctx), [*sorted((home / "lib").glob("*.jar")), *extra["lib"]])
    # The wheel ships opt/flink-sql-client but not opt/flink-sql-gateway, which the SQL client needs.
    _fill(opt_dir(ctx), [*sorted((home / "opt").glob("*.jar")), *extra["opt"]])


def _java_opts(ctx: Context) -> str:
    """The distribution's env.java.opts.all (the --add-opens Flink needs on Java 17+), read from its config."""
    default = (flink_home(ctx) / "conf" / "config.yaml").read_text() if flink_home(ctx).exists() else ""
    for line in default.splitlines():
        if line.strip().startswith("all:") and "--add-opens" in line:
            return line.split(":", 1)[1].strip()
    raise RuntimeError("env.java.opts.all not found in Flink's default config.yaml (run `bookstore provision`)")


def _prepare(ctx: Context) -> None:
    for sub in ("checkpoints", "savepoints", "tmp/client", "jobmanager", "taskmanager", "web", "rocksdb"):
        (data_dir(ctx) / sub).mkdir(parents=True, exist_ok=True)
    # Left in the shared tmp/ by processes started before each had its own (a 21 MB RPC jar per start). A running
    # JVM keeps reading a jar deleted under it, so removing these is safe at any time.
    shared_tmp = data_dir(ctx) / "tmp"
    for leftover in [*shared_tmp.glob("flink-rpc-akka*.jar"), *shared_tmp.glob("jaas-*.conf")]:
        leftover.unlink(missing_ok=True)
    (ctx.paths.log / "flink").mkdir(parents=True, exist_ok=True)
    render(
        "flink/config.yaml.j2",
        conf_dir(ctx) / "config.yaml",
        java_opts=_java_opts(ctx),
        idle_heap_opts=" ".join(("-Xms32m", *IDLE_HEAP_RETURN)),
        log_dir=ctx.paths.log / "flink",
        run_dir=conf_dir(ctx),
        data_dir=data_dir(ctx),
        checkpoints=checkpoints_dir(ctx),
        savepoints=data_dir(ctx) / "savepoints",
        rpc_port=ctx.port("FLINK_RPC_PORT"),
        taskmanager_port=ctx.port("FLINK_TASKMANAGER_PORT"),
        rest_port=ctx.port("FLINK_REST_PORT"),
        heartbeat_interval_ms=int(HEARTBEAT_INTERVAL_S * 1000),
    )
    render("flink/log4j-console.properties", conf_dir(ctx) / "log4j-console.properties")
    render("flink/log4j-cli.properties", conf_dir(ctx) / "log4j-cli.properties")


def _config_files(ctx: Context) -> list[Path]:
    return [conf_dir(ctx) / "config.yaml", conf_dir(ctx) / "log4j-console.properties"]


@dataclass
class _FlinkProcess(Component):
    """What the JobManager and the TaskManager share: the distribution, the configuration, the environment."""

    # Niced, and started while Keycloak and Connect start: a cold CI start once took 108 s before the JobManager
    # logged its first line (Flink's start scripts run a JVM to size the memory) and missed 120 s by seconds.
    ready_timeout: float = 240.0

    def provision(self, ctx: Context) -> None:
        _provision(ctx)

    def prepare(self, ctx: Context) -> None:
        _prepare(ctx)

    def config_files(self, ctx: Context) -> list[Path]:
        return _config_files(ctx)

    def environment(self, ctx: Context) -> dict[str, str]:
        return flink_env(ctx)

    def scratch(self, ctx: Context) -> list[Path]:
        """Directories only this process uses and nothing needs after it ends (state lives in checkpoints)."""
        raise NotImplementedError

    def before_exec(self, ctx: Context) -> None:
        """Start with empty scratch directories: what a killed predecessor left there is garbage."""
        for directory in self.scratch(ctx):
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)

    def tmp_dir(self, ctx: Context) -> Path:
        return data_dir(ctx) / "tmp" / self.name

    def start(self, ctx: Context, script: str) -> list[str]:
        # "-D" apart: jobmanager.sh takes a first argument that does not equal "-D" for the RPC host.
        return [str(flink_home(ctx) / "bin" / script), "start-foreground", "-D", f"io.tmp.dirs={self.tmp_dir(ctx)}"]


@dataclass
class FlinkJobManager(_FlinkProcess):
    def command(self, ctx: Context) -> list[str]:
        return self.start(ctx, "jobmanager.sh")

    def scratch(self, ctx: Context) -> list[Path]:
        return [self.tmp_dir(ctx), data_dir(ctx) / "jobmanager", data_dir(ctx) / "web"]

    def is_ready(self, ctx: Context) -> bool:
        try:
            return "flink-version" in rest_get(ctx, "/config", timeout=2)
        except (httpx.HTTPError, ValueError):
            return False

    def after_ready(self, ctx: Context) -> None:
        held_file(ctx).unlink(missing_ok=True)

    def before_stop(self, ctx: Context) -> list[str]:
        return stop_jobs_with_savepoints(ctx)

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("flink", f"{rest_url(ctx)}  (web UI and REST API of the session cluster)")]


def stop_jobs_with_savepoints(ctx: Context) -> list[str]:
    """Stop every running job with a savepoint (`stop_with_savepoint`), and hold them stopped until the
    JobManager is ready again (after_ready). A job that cannot be stopped this way keeps running until the
    JobManager stops, and resumes from its latest checkpoint as before."""
    try:
        running = [j for j in rest_get(ctx, "/jobs/overview", timeout=2)["jobs"] if j["state"] == "RUNNING"]
    except (httpx.HTTPError, ValueError, KeyError):
        return []  # not answering: nothing to stop
    held_file(ctx).parent.mkdir(parents=True, exist_ok=True)
    held_file(ctx).touch()
    done = []
    for job in running:
        try:
            done.append(f"Flink job {job['name']} stopped with savepoint {stop_with_savepoint(ctx, job)}")
        except (httpx.HTTPError, ValueError, KeyError, TimeoutError, RuntimeError) as exc:
            done.append(f"Flink job {job['name']}: no savepoint ({exc}); it resumes from its latest checkpoint")
    return done


def stop_with_savepoint(ctx: Context, job: dict[str, Any], timeout_s: float = 120.0) -> str:
    """Stop one job (an entry of /jobs/overview) with a savepoint in Flink's canonical format under
    savepoints/<job name>, where `flink_jobs.latest_checkpoint` finds it; its location. Unlike a checkpoint, any
    state backend and later Flink versions restore it, so a restart that changes them resumes the job exactly."""
    target = savepoints_dir(ctx) / job["name"]
    body = {"targetDirectory": target.as_uri(), "drain": False, "formatType": "CANONICAL"}
    answer = httpx.post(f"{rest_url(ctx)}/jobs/{job['jid']}/stop", json=body, timeout=10)
    trigger = answer.raise_for_status().json()["request-id"]
    deadline = time.monotonic() + timeout_s
    while (result := rest_get(ctx, f"/jobs/{job['jid']}/savepoints/{trigger}"))["status"]["id"] != "COMPLETED":
        if time.monotonic() > deadline:
            raise TimeoutError(f"no savepoint after {timeout_s:.0f}s")
        time.sleep(0.5)
    operation = result.get("operation") or {}
    if "location" not in operation:
        raise RuntimeError(str(operation.get("failure-cause", {}).get("stack-trace", operation))[-300:])
    return str(operation["location"])


@dataclass
class FlinkTaskManager(_FlinkProcess):
    def command(self, ctx: Context) -> list[str]:
        return self.start(ctx, "taskmanager.sh")

    def scratch(self, ctx: Context) -> list[Path]:
        return [self.tmp_dir(ctx), data_dir(ctx) / "taskmanager", data_dir(ctx) / "rocksdb"]

    def is_ready(self, ctx: Context) -> bool:
        """A TaskManager is registered and heartbeating (a killed one's entry lingers until its timeout)."""
        try:
            managers = rest_get(ctx, "/taskmanagers", timeout=2)["taskmanagers"]
        except (httpx.HTTPError, ValueError, KeyError):
            return False
        fresh_after_ms = (time.time() - 3 * HEARTBEAT_INTERVAL_S) * 1000
        return any(tm.get("timeSinceLastHeartbeat", 0) >= fresh_after_ms for tm in managers)
