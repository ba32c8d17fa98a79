"""Starting, stopping and inspecting the local platform."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.table import Table

from bookstore import analytics, provision, reports, secrets, sockets, ui
from bookstore.components import BY_NAME, COMPONENTS, SERVICE_USER, Component, Context, port_in_use
from bookstore.components.notifier import SMTP_SETTINGS
from bookstore.config import DEFAULT_PORTS, Paths, port
from bookstore.supervise import Supervisor

ACTIVE_STATES = {"RUNNING", "STARTING", "BACKOFF"}


class PlatformError(RuntimeError):
    """A failure `up` reports to the operator and exits non-zero on."""


def build_context(write_secrets: bool = True) -> Context:
    paths = Paths.from_env()
    paths.ensure()
    ports = {name: port(name) for name in DEFAULT_PORTS}
    values = secrets.ensure(paths.secrets, ports) if write_secrets else secrets.read_env_file(paths.secrets)
    env = {**{k: str(v) for k, v in ports.items()}, **values, **secrets.read_env_file(_tunables_file(paths))}
    run_as = SERVICE_USER if os.geteuid() == 0 else None
    return Context(paths=paths, env=env, run_as=run_as)


# Service settings a person may change per `make up` (`ECOM_WORKERS=1 make up`). `up` records the values of its
# environment, so supervisord restarts the process with them too; a later plain `make up` restores the defaults.
TUNABLES = (
    *(f"{service}_{setting}" for service in ("ECOM", "INVENTORY") for setting in ("WORKERS", "RATE_LIMIT_PER_MINUTE")),
    *SMTP_SETTINGS,
)


def _tunables_file(paths: Paths) -> Path:
    return paths.run / "tunables.env"


def record_tunables(ctx: Context) -> None:
    chosen = {name: os.environ[name] for name in TUNABLES if name in os.environ}
    # 0600: BOOKSTORE_SMTP_PASSWORD (a real relay's login) may be among them.
    fd = os.open(_tunables_file(ctx.paths), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"{k}={v}\n" for k, v in chosen.items()))
    os.chmod(_tunables_file(ctx.paths), 0o600)
    for name in TUNABLES:
        ctx.env.pop(name, None)
    ctx.env.update(chosen)


def ensure_service_user(ctx: Context) -> None:
    """As root, PostgreSQL and nginx workers run as an unprivileged user that must reach the repo."""
    if ctx.run_as is None:
        return
    try:
        pwd.getpwnam(ctx.run_as)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                ctx.run_as,
            ],
            check=True,
        )
    # Grant search (x) on ancestors that others cannot traverse (e.g. /root, a mktemp dir).
    for directory in [*reversed(ctx.paths.var.parents), ctx.paths.var]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            subprocess.run(["setfacl", "-m", f"u:{ctx.run_as}:x", str(directory)], check=True)


@dataclass
class PortConflict:
    component: str
    variable: str
    port: int
    holder: str


def find_port_conflicts(ctx: Context, skip: set[str]) -> list[PortConflict]:
    conflicts = []
    for comp in (c for c in COMPONENTS if c.name not in skip):
        for var in comp.port_vars:
            p = ctx.port(var)
            if port_in_use(p):
                conflicts.append(PortConflict(comp.name, var, p, _port_holder(p)))
    return conflicts


def _port_holder(p: int) -> str:
    try:
        for conn in psutil.net_connections(kind="inet"):
            if conn.laddr and conn.laddr.port == p and conn.status == psutil.CONN_LISTEN and conn.pid:
                return f"pid {conn.pid} ({psutil.Process(conn.pid).name()})"
    except (psutil.Error, PermissionError):
        pass
    return "another process"


def _log_tail(ctx: Context, name: str, lines: int = 25) -> str:
    path = ctx.paths.log / f"{name}.log"
    if not path.exists():
        return "(no log yet)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def up(ctx: Context, console: Console) -> float:
    """Start every component in dependency order, each waited on by its readiness check."""
    started_at = time.monotonic()
    record_tunables(ctx)
    sup = Supervisor(ctx)
    infos = sup.all_info() if sup.running() else {}
    active = {name for name, info in infos.items() if info["statename"] in ACTIVE_STATES}
    conflicts = find_port_conflicts(ctx, skip=active)
    if conflicts:
        raise PlatformError(
            "cannot start: ports already in use\n"
            + "\n".join(
                f"  port {c.port} for {c.component} (set {c.variable} to move it) is held by {c.holder}"
                for c in conflicts
            )
        )
    ensure_service_user(ctx)
    sup.start_daemon()
    # Reloading a changed supervisord.conf stops the programs whose definition changed.
    active = {name for name, info in sup.all_info().items() if info["statename"] in ACTIVE_STATES}

    pending: list[Component] = list(COMPONENTS)
    waiting: dict[str, float] = {}
    ready: set[str] = set()
    with console.status("starting") as status:
        while pending or waiting:
            for comp in list(pending):
                if not all(dep in ready for dep in comp.depends):
                    continue
                pending.remove(comp)
                status.update(f"preparing {comp.name}")
                comp.prepare(ctx)
                fingerprint = comp.fingerprint(ctx)
                stamp = ctx.paths.run / "fingerprints" / comp.name
                unchanged = stamp.exists() and stamp.read_text() == fingerprint
                if comp.name in active and unchanged and comp.is_ready(ctx):
                    comp.after_ready(ctx)
                    ready.add(comp.name)
                    console.print(f"[green]✓[/] {comp.name} already running")
                    continue
                if comp.name in active:
                    console.print(f"[yellow]↻[/] {comp.name}: configuration or code changed, or not ready: restarting")
                    for line in comp.before_stop(ctx):
                        console.print(f"  {line}")
                    sup.stop(comp.name)
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.write_text(fingerprint)
                sup.start(comp.name)
                waiting[comp.name] = time.monotonic()
            for name, since in list(waiting.items()):
                comp = BY_NAME[name]
                if comp.is_ready(ctx):
                    comp.after_ready(ctx)
                    ready.add(name)
                    del waiting[name]
                    console.print(f"[green]✓[/] {name} ready in {time.monotonic() - since:.1f}s")
                    continue
                state = sup.info(name)["statename"]
                elapsed = time.monotonic() - since
                if state in ("FATAL", "EXITED", "STOPPED") or elapsed > comp.ready_timeout:
                    why = f"state {state}" if elapsed <= comp.ready_timeout else f"not ready after {elapsed:.0f}s"
                    raise PlatformError(
                        f"{name} failed to start ({why}); last lines of {ctx.paths.log / (name + '.log')}:\n"
                        + _log_tail(ctx, name)
                    )
            if waiting:
                status.update(
                    "waiting for " + ", ".join(f"{n} ({time.monotonic() - t:.0f}s)" for n, t in waiting.items())
                )
                time.sleep(0.5)
    with console.status("change data capture: preparing sources and mirrors, registering connectors"):
        try:
            analytics.ensure(ctx)
        except (RuntimeError, OSError) as exc:
            raise PlatformError(f"change data capture could not be set up: {exc}") from exc
    console.print("[green]✓[/] analytics running (CDC → Kafka → analytics-db mirrors; Flink star schema)")
    with console.status("Superset: importing the dashboards (analytics/superset/bundle), keeping the Analyst role"):
        try:
            summary = reports.ensure(ctx)
        except (RuntimeError, OSError, httpx.HTTPError) as exc:
            raise PlatformError(f"Superset's dashboards could not be imported: {exc}") from exc
    console.print(f"[green]✓[/] Superset dashboards imported ({summary})")
    return time.monotonic() - started_at


def print_urls(ctx: Context, console: Console) -> None:
    table = Table(title="Bookstore platform", show_lines=False)
    table.add_column("component")
    table.add_column("where (credentials: names in var/secrets.env)")
    for comp in COMPONENTS:
        for what, where in comp.urls(ctx):
            table.add_row(what, where)
    console.print(table)
    console.print(f"Secrets: {ctx.paths.secrets} (mode 0600). Logs: {ctx.paths.log}/<component>.log")


def status(ctx: Context, console: Console) -> bool:
    sup = Supervisor(ctx)
    infos = sup.all_info() if sup.running() else {}
    table = Table(title="Bookstore platform status")
    for col in ("component", "state", "ready", "port", "pid", "uptime", "listening on"):
        table.add_column(col)
    all_ready = True
    now = time.time()
    bound_anywhere = sockets.all_listeners()
    for comp in COMPONENTS:
        info = infos.get(comp.name)
        state = info["statename"] if info else "NOT STARTED"
        is_ready = state == "RUNNING" and comp.is_ready(ctx)
        all_ready &= is_ready
        pid = str(info["pid"]) if info and info["pid"] else "-"
        uptime = _duration(now - info["start"]) if info and state == "RUNNING" else "-"
        bound = sockets.owned_by(sockets.process_tree(info["pid"]), bound_anywhere) if info and info["pid"] else []
        listening = ", ".join(str(b) if b.loopback else f"[red]{b}[/]" for b in bound) or "-"
        table.add_row(
            comp.name,
            state,
            "[green]ready[/]" if is_ready else "[red]not ready[/]",
            ", ".join(str(p) for p in comp.ports(ctx)) or "-",
            pid,
            uptime,
            listening,
        )
    console.print(table)
    if not all_ready:
        return False
    # CDC runs inside the components above; its health is only meaningful once they are up.
    return analytics.print_health(ctx, console)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def down(ctx: Context, console: Console) -> None:
    sup = Supervisor(ctx)
    if not sup.running():
        console.print("platform is not running")
        return
    with console.status("stopping every component (data is kept)"):
        for line in [line for comp in COMPONENTS for line in comp.before_stop(ctx)]:
            console.print(line)
        sup.shutdown()
    console.print("[green]✓[/] stopped; data kept in " + str(ctx.paths.data))


def clean(ctx: Context, console: Console) -> None:
    down(ctx, console)
    shutil.rmtree(ctx.paths.var, ignore_errors=True)
    console.print(f"[green]✓[/] removed {ctx.paths.var}")


def exec_component(name: str) -> None:
    """Replace this process with component `name` (supervisor's entry point for it)."""
    ctx = build_context(write_secrets=False)
    comp = BY_NAME[name]
    comp.before_exec(ctx)
    cmd = comp.command(ctx)
    os.execvpe(cmd[0], cmd, {**os.environ, **comp.environment(ctx)})  # noqa: S606


def provision_all(ctx: Context, console: Console) -> None:
    """Everything `up` needs that is slow and cacheable; a second run finds it all in place."""
    provision.ensure_apt(console)
    provision.ensure_jvm_artifacts(ctx.paths, console)
    for comp in COMPONENTS:
        with console.status(f"provisioning {comp.name} (once; cached)"):
            comp.provision(ctx)
    ui.build(ctx.paths, console)
