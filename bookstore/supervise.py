"""supervisord as the process manager: its configuration, and a client for its XML-RPC API."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from bookstore.components import COMPONENTS, Context


def socket_path(ctx: Context) -> Path:
    return ctx.paths.run / "supervisor.sock"


def write_config(ctx: Context) -> Path:
    """Render supervisord.conf. It holds no secrets: components that need them start through
    `bookstore _exec NAME`, which reads var/secrets.env and then execs the real command."""
    run, log = ctx.paths.run, ctx.paths.log
    lines = [
        "[unix_http_server]",
        f"file={socket_path(ctx)}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={log / 'supervisord.log'}",
        "logfile_maxbytes=10MB",
        f"pidfile={run / 'supervisord.pid'}",
        f"directory={ctx.paths.root}",
        "minfds=4096",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{socket_path(ctx)}",
        "",
    ]
    bookstore = Path(sys.executable).parent / "bookstore"
    for priority, comp in enumerate(COMPONENTS, start=1):
        if comp.run_as_service_user and ctx.run_as is not None:
            # Runs without the wrapper: the service user cannot read the root-owned virtualenv.
            argv = comp.command(ctx)
            user = f"user={ctx.run_as}"
        else:
            argv = [str(bookstore), "_exec", comp.name]
            user = ""
        command = shlex.join([*comp.priority_prefix(), *argv])
        lines += [
            f"[program:{comp.name}]",
            f"command={command.replace('%', '%%')}",
            *([user] if user else []),
            f"priority={priority * 10}",
            "autostart=false",
            "autorestart=true",
            "startsecs=3",
            "startretries=5",
            f"stopsignal={comp.stop_signal}",
            "stopwaitsecs=60",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={log / (comp.name + '.log')}",
            "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=2",
            "",
        ]
    conf = run / "supervisord.conf"
    text = "\n".join(lines)
    if not conf.exists() or conf.read_text() != text:
        conf.write_text(text)
    return conf


class Supervisor:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def proxy(self) -> Any:
        # A fresh transport per call: a failed request leaves SupervisorTransport unusable.
        return xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, f"unix://{socket_path(self.ctx)}")
        )

    def running(self) -> bool:
        try:
            return self.proxy.supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Fault):
            return False

    def start_daemon(self) -> None:
        conf = write_config(self.ctx)
        if self.running():
            # Pick up changed program definitions without touching running processes.
            added, changed, removed = self.proxy.supervisor.reloadConfig()[0]
            for name in removed:
                self.proxy.supervisor.stopProcessGroup(name)
                self.proxy.supervisor.removeProcessGroup(name)
            for name in changed:
                self.proxy.supervisor.stopProcessGroup(name)
                self.proxy.supervisor.removeProcessGroup(name)
                self.proxy.supervisor.addProcessGroup(name)
            for name in added:
                self.proxy.supervisor.addProcessGroup(name)
            return
        supervisord = Path(sys.executable).parent / "supervisord"
        subprocess.run(
            [str(supervisord), "-c", str(conf)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while not self.running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"supervisord did not start; see {self.ctx.paths.log / 'supervisord.log'}")
            time.sleep(0.1)

    def info(self, name: str) -> dict[str, Any]:
        return self.proxy.supervisor.getProcessInfo(name)

    def all_info(self) -> dict[str, dict[str, Any]]:
        try:
            return {p["name"]: p for p in self.proxy.supervisor.getAllProcessInfo()}
        except (OSError, xmlrpc.client.Fault):
            return {}

    def start(self, name: str) -> None:
        self._tolerating("ALREADY_STARTED", "startProcess", name, False)

    def stop(self, name: str) -> None:
        self._tolerating("NOT_RUNNING", "stopProcess", name, True)

    def _tolerating(self, harmless: str, method: str, *args: object) -> None:
        """Call supervisor.<method>; a fault saying the process is already in the wanted state is fine."""
        try:
            getattr(self.proxy.supervisor, method)(*args)
        except xmlrpc.client.Fault as fault:
            if harmless not in fault.faultString:
                raise

    def shutdown(self, timeout: float = 120) -> None:
        if not self.running():
            return
        pid = self.proxy.supervisor.getPID()
        self.proxy.supervisor.shutdown()
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"supervisord (pid {pid}) did not stop within {timeout:.0f}s")
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
