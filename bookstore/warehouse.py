"""analytics-db's own schema (analytics/warehouse, Alembic) and its read-only reporting role."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from psycopg import sql

from bookstore.components.base import Context
from bookstore.components.postgres import Postgres, ensure_role
from bookstore.components.registry import BY_NAME

REPORTING_ROLE = "reporting"
FLINK_ROLE = "flink_writer"
# login role -> the generated secret holding its password
ROLES = {REPORTING_ROLE: "ANALYTICS_REPORTING_PASSWORD", FLINK_ROLE: "ANALYTICS_FLINK_PASSWORD"}


def alembic_config(ctx: Context) -> Config:
    config = Config(str(ctx.paths.root / "analytics" / "warehouse" / "alembic.ini"))
    config.attributes["database_url"] = ctx.env["ANALYTICS_DATABASE_URL"]
    return config


def ensure(ctx: Context) -> None:
    """Create the login roles (reporting: Superset, reads the reporting views only; flink_writer: the Flink
    jobs, writes the star schema only), then migrate to head (the migrations grant them their schema)."""
    analytics = BY_NAME["analytics-db"]
    assert isinstance(analytics, Postgres)
    with analytics.connect_admin(ctx) as conn:
        for role, secret in ROLES.items():
            ensure_role(conn, role, ctx.env[secret])
            conn.execute(
                sql.SQL("grant connect on database {} to {}").format(sql.Identifier(analytics.db), sql.Identifier(role))
            )
    command.upgrade(alembic_config(ctx), "head")
