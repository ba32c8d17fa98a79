"""PgAdmin 4 in its own virtualenv: sync it, configure it, seed its login user and servers, run it under gunicorn."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from bookstore.components.base import Component, Context, gunicorn, sync_venv

SERVERS = {
    "ecom-db": "ECOM",
    "inventory-db": "INVENTORY",
    "analytics-db": "ANALYTICS",
    "keycloak-db": "KEYCLOAK",
}
_STAMP = ".bookstore-stamp"
# Runs pgAdmin's setup.py with "@PASSWORD@" arguments taken from the environment, so the password
# never shows in the process list.
_SETUP = (
    "import os, runpy, sys; pw = os.environ['PGADMIN_SETUP_PASSWORD'];"
    " sys.argv = [a.replace('@PASSWORD@', pw) for a in sys.argv[1:]];"
    " runpy.run_path(sys.argv[0], run_name='__main__')"
)


def _project(ctx: Context) -> Path:
    return ctx.paths.deploy / "pgadmin"


def _app_dir(ctx: Context, comp: PgAdmin) -> Path:
    found = sorted(comp.venv(ctx).glob("lib/python3*/site-packages/pgadmin4"))
    if not found:
        raise RuntimeError(f"pgAdmin is not installed in {comp.venv(ctx)}")
    return found[-1]


def _conf_dir(ctx: Context) -> Path:
    return ctx.paths.run / "pgadmin"


def _sync_venv(ctx: Context, comp: PgAdmin) -> str:
    return sync_venv(_project(ctx), comp.venv(ctx), "pgAdmin")


def _write_config(ctx: Context, comp: PgAdmin) -> Path:
    data = ctx.paths.data / "pgadmin"
    settings: dict[str, object] = {
        "SERVER_MODE": True,
        "DEFAULT_SERVER": "127.0.0.1",
        "DEFAULT_SERVER_PORT": ctx.port(comp.port_var),
        "DATA_DIR": str(data),  # SQLITE_PATH, SESSION_DB_PATH, STORAGE_DIR... default to under it
        # Not the supervisor's log/pgadmin.log: pgAdmin rotates this file itself. Warnings also go to stderr.
        "LOG_FILE": str(ctx.paths.log / "pgadmin" / "pgadmin4.log"),
        "UPGRADE_CHECK_ENABLED": False,
        "MASTER_PASSWORD_REQUIRED": False,
        "SESSION_COOKIE_SECURE": False,
    }
    text = "".join(f"{k} = {v!r}\n" for k, v in settings.items())
    target = _conf_dir(ctx) / "config_local.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return data


def _servers_json(ctx: Context) -> str:
    servers = {
        str(i): {
            "Name": name,
            "Group": "Servers",
            "Host": "127.0.0.1",
            "Port": ctx.port(f"{prefix}_DB_PORT"),
            "MaintenanceDB": prefix.lower(),
            "Username": ctx.env[f"{prefix}_DB_USER"],
            "ConnectionParameters": {"sslmode": "prefer", "connect_timeout": 10},
        }
        for i, (name, prefix) in enumerate(SERVERS.items(), start=1)
    }
    return json.dumps({"Servers": servers}, indent=2)


def _setup(ctx: Context, comp: PgAdmin, *args: str) -> str:
    app = _app_dir(ctx, comp)
    env = {
        **os.environ,
        **_environment(ctx),
        "PGADMIN_SETUP_EMAIL": ctx.env["PGADMIN_EMAIL"],
        "PGADMIN_SETUP_PASSWORD": ctx.env["PGADMIN_PASSWORD"],
    }
    cmd = [str(comp.venv(ctx) / "bin" / "python"), "-c", _SETUP, str(app / "setup.py"), *args]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    out = result.stdout + result.stderr
    # setup.py reports many errors on stdout and still exits 0.
    if result.returncode != 0 or "Something went wrong" in out or "must be at least" in out:
        raise RuntimeError(f"pgAdmin's setup.py {args[0]} failed:\n{out}")
    return out


def _prepare(ctx: Context, comp: PgAdmin) -> None:
    lock_hash = _sync_venv(ctx, comp)
    data = _write_config(ctx, comp)
    email, servers = ctx.env["PGADMIN_EMAIL"], _servers_json(ctx)
    stamp = data / _STAMP
    wanted = hashlib.sha256(json.dumps([lock_hash, email, ctx.env["PGADMIN_PASSWORD"], servers]).encode())
    if (data / "pgadmin4.db").exists() and stamp.exists() and stamp.read_text() == wanted.hexdigest():
        return
    # Each setup.py run takes ~10 s (it imports all of pgAdmin), hence the stamp and no redundant runs.
    if not (data / "pgadmin4.db").exists():
        _setup(ctx, comp, "setup-db")  # also creates the user from PGADMIN_SETUP_EMAIL/PASSWORD
    # An existing DB is migrated by pgAdmin itself; keep the password equal to the (possibly changed)
    # secret, and add the user if the email changed.
    elif "User not found" in _setup(ctx, comp, "update-user", email, "--password", "@PASSWORD@", "--admin"):
        _setup(ctx, comp, "add-user", email, "@PASSWORD@", "--admin")
    servers_file = _conf_dir(ctx) / "servers.json"
    fd = os.open(servers_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(servers)
    _setup(ctx, comp, "load-servers", str(servers_file), "--user", email, "--replace")
    fd = os.open(stamp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(wanted.hexdigest())


def _command(ctx: Context, comp: PgAdmin) -> list[str]:
    # Like pgAdmin's own container: one gthread worker (sessions and Socket.IO state are per process),
    # and a long timeout so slow queries in the query tool are not killed.
    return gunicorn(
        comp.venv(ctx),
        ctx.port(comp.port_var),
        "pgAdmin4:app",
        threads=8,
        timeout=86400,
        extra=("--chdir", str(_app_dir(ctx, comp)), "--graceful-timeout", "10", "--limit-request-line", "8190"),
    )


def _environment(ctx: Context) -> dict[str, str]:
    # pgAdmin's config.py imports `config_local` from sys.path: this keeps our settings out of the venv.
    return {"PYTHONPATH": str(_conf_dir(ctx))}


@dataclass
class PgAdmin(Component):
    ready_timeout: float = 120.0

    def venv(self, ctx: Context) -> Path:
        return ctx.paths.cache / "venvs" / "pgadmin"

    def config_files(self, ctx: Context) -> list[Path]:
        return [_conf_dir(ctx) / "config_local.py"]

    def provision(self, ctx: Context) -> None:
        _sync_venv(ctx, self)

    def prepare(self, ctx: Context) -> None:
        _prepare(ctx, self)

    def command(self, ctx: Context) -> list[str]:
        return _command(ctx, self)

    def environment(self, ctx: Context) -> dict[str, str]:
        return _environment(ctx)

    def is_ready(self, ctx: Context) -> bool:
        try:
            r = httpx.get(f"http://127.0.0.1:{ctx.port(self.port_var)}/misc/ping", timeout=2)
            return r.status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [("pgadmin", f"http://localhost:{ctx.port(self.port_var)}  ($PGADMIN_EMAIL, $PGADMIN_PASSWORD)")]
