"""Apache Superset 6.1 (the analysts' dashboards) in its own virtualenv, served by gunicorn.

Its metadata lives in its own database `superset` (owner `superset`) on analytics-db's server; it reads the
analytics data through analytics-db's read-only role `reporting` (registered by the assets import,
bookstore/reports.py). Configuration: deploy/local/superset/superset_config.py, fed by the environment below.
`prepare` migrates the metadata database, syncs Superset's built-in roles and keeps the local admin (used by
automation only) equal to its generated secret; it is skipped when nothing it depends on changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
from psycopg import sql

from bookstore.components.base import Component, Context, sync_venv
from bookstore.components.postgres import Postgres, ensure_database, ensure_role

METADATA_DB = "superset"
METADATA_ROLE = "superset"
REDIS_DB = 2  # ecom 0, inventory 1
_STAMP = ".bookstore-stamp"
# Creates or updates the local admin through Superset's security manager (never its tables directly); the
# password comes from the environment, so it never shows in the process list.
_ADMIN = """
import os
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset import security_manager as sm
    from superset.extensions import db
    name, password = os.environ["SUPERSET_ADMIN_USER"], os.environ["SUPERSET_ADMIN_PASSWORD"]
    admin = sm.find_role("Admin")
    user = sm.find_user(username=name)
    if user is None:
        if not sm.add_user(name, "Superset", "Admin", f"{name}@superset.local", admin, password=password):
            raise SystemExit(f"could not create the Superset admin {name}")
        print(f"created the Superset admin {name}")
    else:
        sm.reset_password(user.id, password)
        if admin not in user.roles:
            user.roles.append(admin)
        user.active = True
        db.session.commit()
        print(f"updated the Superset admin {name}")
"""


def _project(ctx: Context) -> Path:
    return ctx.paths.deploy / "superset"


def config_file(ctx: Context) -> Path:
    return _project(ctx) / "superset_config.py"


def url(ctx: Context) -> str:
    return f"http://localhost:{ctx.port('SUPERSET_PORT')}"


@dataclass
class Superset(Component):
    analytics: Postgres | None = None  # the server holding the metadata database
    ready_timeout: float = 180.0
    workers: int = 1
    threads: int = 8

    def venv(self, ctx: Context) -> Path:
        return ctx.paths.cache / "venvs" / "superset"

    def _analytics(self) -> Postgres:
        assert self.analytics is not None
        return self.analytics

    def metadata_url(self, ctx: Context) -> str:
        port = ctx.port(self._analytics().port_var)
        password = ctx.env["SUPERSET_DB_PASSWORD"]
        return f"postgresql+psycopg2://{METADATA_ROLE}:{password}@127.0.0.1:{port}/{METADATA_DB}"

    def config_files(self, ctx: Context) -> list[Path]:
        return [config_file(ctx)]

    def provision(self, ctx: Context) -> None:
        sync_venv(_project(ctx), self.venv(ctx), "Superset")

    def environment(self, ctx: Context) -> dict[str, str]:
        env = ctx.env
        return {
            "SUPERSET_CONFIG_PATH": str(config_file(ctx)),
            "SUPERSET_ENV": "production",  # turns on Superset's rate limiter (sign-in 5/s)
            "SUPERSET_SECRET_KEY": env["SUPERSET_SECRET_KEY"],
            "SUPERSET_OIDC_CLIENT_SECRET": env["SUPERSET_OIDC_CLIENT_SECRET"],
            "BOOKSTORE_SUPERSET_METADATA_URL": self.metadata_url(ctx),
            "BOOKSTORE_SUPERSET_REDIS_URL": (
                f"redis://:{env['REDIS_PASSWORD']}@127.0.0.1:{ctx.port('REDIS_PORT')}/{REDIS_DB}"
            ),
            "BOOKSTORE_OIDC_ISSUER": f"https://idp.keycloak.net:{ctx.port('GATEWAY_PORT')}/realms/bookstore",
            "BOOKSTORE_OIDC_BACKCHANNEL": f"http://127.0.0.1:{ctx.port('KEYCLOAK_PORT')}/realms/bookstore",
            "PYTHONUNBUFFERED": "1",
        }

    def _superset(self, ctx: Context, *args: str, script: str | None = None) -> str:
        """A `superset` CLI command (or a Python script) in Superset's virtualenv and configuration."""
        env = {**os.environ, **self.environment(ctx)}
        if script is not None:
            env["SUPERSET_ADMIN_USER"] = ctx.env["SUPERSET_ADMIN_USER"]
            env["SUPERSET_ADMIN_PASSWORD"] = ctx.env["SUPERSET_ADMIN_PASSWORD"]
            cmd = [str(self.venv(ctx) / "bin" / "python"), "-c", script]
        else:
            cmd = [str(self.venv(ctx) / "bin" / "superset"), *args]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            what = " ".join(args) or "admin set-up"
            raise RuntimeError(f"superset {what} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return result.stdout

    def prepare(self, ctx: Context) -> None:
        lock_hash = sync_venv(_project(ctx), self.venv(ctx), "Superset")
        with self._analytics().connect_admin(ctx) as conn:
            ensure_role(conn, METADATA_ROLE, ctx.env["SUPERSET_DB_PASSWORD"])
            ensure_database(conn, METADATA_DB, METADATA_ROLE)
            conn.execute(sql.SQL("revoke connect on database {} from public").format(sql.Identifier(METADATA_DB)))
        data = ctx.paths.data / "superset"
        data.mkdir(parents=True, exist_ok=True)
        stamp = data / _STAMP
        wanted = hashlib.sha256(
            json.dumps(
                [
                    lock_hash,
                    config_file(ctx).read_text(),
                    ctx.env["SUPERSET_ADMIN_USER"],
                    ctx.env["SUPERSET_ADMIN_PASSWORD"],
                ]
            ).encode()
        ).hexdigest()
        if stamp.exists() and stamp.read_text() == wanted and self._migrated(ctx):
            return
        # Each command imports all of Superset (~15 s here): hence the stamp.
        self._superset(ctx, "db", "upgrade")
        self._superset(ctx, "init")  # built-in roles (Admin, Alpha, Gamma, sql_lab) and permissions
        self._superset(ctx, script=_ADMIN)
        fd = os.open(stamp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(wanted)

    def _migrated(self, ctx: Context) -> bool:
        """The metadata database still holds Superset's tables (it may have been dropped since the stamp)."""
        with self._analytics().connect_admin(ctx, dbname=METADATA_DB) as conn:
            found = conn.execute("select to_regclass('public.ab_user') is not null").fetchone()
            return bool(found and found[0])

    def command(self, ctx: Context) -> list[str]:
        return [
            str(self.venv(ctx) / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{ctx.port(self.port_var)}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.threads),
            "--timeout",
            "120",
            "--graceful-timeout",
            "20",
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "0",
            "--no-control-socket",  # gunicorn >= 25.1 would otherwise create ~/.gunicorn/gunicorn.ctl
            "superset.app:create_app()",
        ]

    def is_ready(self, ctx: Context) -> bool:
        try:
            r = httpx.get(f"http://127.0.0.1:{ctx.port(self.port_var)}/health", timeout=3)
            return r.status_code == 200
        except httpx.HTTPError:
            return False

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [
            ("superset", f"{url(ctx)}  (sign in with Keycloak: $BOOKSTORE_ANALYST_*; automation: $SUPERSET_ADMIN_*)")
        ]
