"""The bookstore's own FastAPI services (uv workspace members), each publishing its outbox via Debezium."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx
from psycopg import sql

from bookstore import connectors
from bookstore.components.base import Component, Context
from bookstore.components.postgres import Postgres


@dataclass
class FastApiService(Component):
    """One of the bookstore's FastAPI services; publishes its outbox table through a Debezium connector."""

    db: Postgres | None = None  # the database it owns (and whose outbox is captured)
    prefix: str = ""  # URL prefix, e.g. "inven"
    env_prefix: str = ""  # settings prefix, e.g. "INVENTORY"
    redis_db: int = 0
    # uvicorn worker processes. Two by default: one process's event loop uses at most one core, and the
    # machine has two (each worker costs ~130 MiB; `ECOM_WORKERS=1 make up` trades throughput for memory).
    workers: int = 2
    executable: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, str] = field(default_factory=dict)  # service variable -> generated secret's name

    @property
    def outbox_connector(self) -> str:
        assert self.db is not None, f"{self.name} names no database"
        return f"{self.db.db}-outbox"

    def base_url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{ctx.port(self.port_var)}/{self.prefix}"

    def command(self, ctx: Context) -> list[str]:
        return [str(ctx.venv_bin / self.executable)]

    def code_dirs(self, ctx: Context) -> list[Path]:
        # Its package, its migrations (run at start) and servicekit; installed editable: the checkout is what runs.
        services = ctx.paths.root / "services"
        return [services / self.name / "src", services / self.name / "migrations", services / "common" / "src"]

    def environment(self, ctx: Context) -> dict[str, str]:
        gw, env, p = ctx.port("GATEWAY_PORT"), ctx.env, self.env_prefix
        keycloak = f"http://127.0.0.1:{ctx.port('KEYCLOAK_PORT')}/realms/bookstore/protocol/openid-connect"
        return {
            f"{p}_DATABASE_URL": env[f"{p}_DATABASE_URL"],
            f"{p}_REDIS_URL": f"redis://:{env['REDIS_PASSWORD']}@127.0.0.1:{ctx.port('REDIS_PORT')}/{self.redis_db}",
            f"{p}_OIDC_ISSUER": f"https://idp.keycloak.net:{gw}/realms/bookstore",
            f"{p}_OIDC_JWKS_URL": f"{keycloak}/certs",
            # Tunables recorded by `up` (`INVENTORY_WORKERS=1 make up`); benchmarks from one address raise the
            # rate limit, whose default protects the API.
            f"{p}_WORKERS": env.get(f"{p}_WORKERS", str(self.workers)),
            f"{p}_RATE_LIMIT_PER_MINUTE": env.get(f"{p}_RATE_LIMIT_PER_MINUTE", "600"),
            f"{p}_HOST": "127.0.0.1",
            f"{p}_PORT": str(ctx.port(self.port_var)),
            # Values may name ports ({inventory_service_port}) and the realm's OIDC base ({keycloak}).
            **{key: value.format(keycloak=keycloak, **_ports(ctx)) for key, value in self.extra_env.items()},
            **{key: env[secret] for key, secret in self.secret_env.items()},
        }

    def is_ready(self, ctx: Context) -> bool:
        try:
            return httpx.get(f"{self.base_url(ctx)}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def after_ready(self, ctx: Context) -> None:
        db = self.db
        assert db is not None, f"{self.name} names no database"
        # The outbox publication is created by the superuser; Debezium's role may only read it.
        publication = f"{db.db}_outbox"
        with db.connect_admin(ctx) as conn:
            if not conn.execute("select 1 from pg_publication where pubname = %s", (publication,)).fetchone():
                conn.execute(
                    sql.SQL("create publication {} for table public.outbox").format(sql.Identifier(publication))
                )
        config = connectors.render(
            ctx.paths.deploy / "connect" / "outbox.json.j2",
            port=db.ports(ctx)[0],
            database=db.db,
            password_env=f"{db.prefix}_CDC_PASSWORD",
        )
        connectors.register(ctx, self.outbox_connector, config)

    def urls(self, ctx: Context) -> list[tuple[str, str]]:
        return [(f"{self.name} service", f"{self.base_url(ctx)}/docs  (metrics: {self.base_url(ctx)}/metrics)")]


def _ports(ctx: Context) -> dict[str, int]:
    return {name.lower(): int(value) for name, value in ctx.env.items() if name.endswith("_PORT") and value.isdigit()}
