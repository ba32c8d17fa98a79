"""Apache Superset 6.1 (the analysts' dashboards) in its own virtualenv, served by gunicorn.

Its metadata lives in its own database `superset` (owner `superset`) on analytics-db's server; it reads the
analytics data through analytics-db's read-only role `reporting` (registered by the assets import,
bookstore/reports.py). Configuration: deploy/local/superset/superset_config.py, fed by the environment below.
The process is deploy/local/superset/start.py: it migrates the metadata database, syncs Superset's built-in roles
and keeps the local admin (used by automation only) equal to its generated secret when any of that changed, then
becomes gunicorn.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import httpx
from psycopg import sql

from bookstore.components.base import Component, Context, gunicorn, sync_venv
from bookstore.components.postgres import Postgres, ensure_database, ensure_role

METADATA_DB = "superset"
METADATA_ROLE = "superset"
REDIS_DB = 2  # ecom 0, inventory 1
_STAMP = ".bookstore-setup"  # written by deploy/local/superset/start.py once the metadata database is set up


def _project(ctx: Context) -> Path:
    return ctx.paths.deploy / "superset"


def config_file(ctx: Context) -> Path:
    return _project(ctx) / "superset_config.py"


def data_dir(ctx: Context) -> Path:
    return ctx.paths.data / "superset"


def url(ctx: Context) -> str:
    return f"http://localhost:{ctx.port('SUPERSET_PORT')}"


@dataclass
class Superset(Component):
    analytics: Postgres | None = None  # the server holding the metadata database
    ready_timeout: float = 300.0  # a first start migrates the metadata database (~1.5 min here) before serving
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
        return [config_file(ctx), _project(ctx) / "start.py"]

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
            # For start.py: when to set up the metadata database, and the local admin it keeps.
            "BOOKSTORE_SUPERSET_STAMP": str(data_dir(ctx) / _STAMP),
            "BOOKSTORE_SUPERSET_SETUP": self.setup_hash(ctx),
            "SUPERSET_ADMIN_USER": env["SUPERSET_ADMIN_USER"],
            "SUPERSET_ADMIN_PASSWORD": env["SUPERSET_ADMIN_PASSWORD"],
        }

    def setup_hash(self, ctx: Context) -> str:
        """What the metadata database's set-up depends on: Superset's lock, our configuration, the admin secret."""
        lock = (_project(ctx) / "uv.lock").read_bytes()
        parts = [
            lock.decode(),
            config_file(ctx).read_text(),
            ctx.env["SUPERSET_ADMIN_USER"],
            ctx.env["SUPERSET_ADMIN_PASSWORD"],
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def prepare(self, ctx: Context) -> None:
        sync_venv(_project(ctx), self.venv(ctx), "Superset")
        with self._analytics().connect_admin(ctx) as conn:
            ensure_role(conn, METADATA_ROLE, ctx.env["SUPERSET_DB_PASSWORD"])
            ensure_database(conn, METADATA_DB, METADATA_ROLE)
            conn.execute(sql.SQL("revoke connect on database {} from public").format(sql.Identifier(METADATA_DB)))
        data_dir(ctx).mkdir(parents=True, exist_ok=True)
        stamp = data_dir(ctx) / _STAMP
        if stamp.exists() and not self._migrated(ctx):
            stamp.unlink()  # the database was dropped since: start.py sets it up again

    def _migrated(self, ctx: Context) -> bool:
        """The metadata database still holds Superset's tables (it may have been dropped since the stamp)."""
        with self._analytics().connect_admin(ctx, dbname=METADATA_DB) as conn:
            found = conn.execute("select to_regclass('public.ab_user') is not null").fetchone()
            return bool(found and found[0])

    def command(self, ctx: Context) -> list[str]:
        serve = gunicorn(
            self.venv(ctx),
            ctx.port(self.port_var),
            "superset.app:create_app()",
            workers=self.workers,
            threads=self.threads,
            timeout=120,
            extra=("--graceful-timeout", "20", "--limit-request-line", "0", "--limit-request-field_size", "0"),
        )
        # start.py sets up the metadata database when needed, then becomes gunicorn with these arguments.
        return [str(self.venv(ctx) / "bin" / "python"), str(_project(ctx) / "start.py"), *serve[1:]]

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
