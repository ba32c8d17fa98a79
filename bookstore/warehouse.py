"""analytics-db's own schema (analytics/warehouse, Alembic) and its read-only reporting role."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from psycopg import sql

from bookstore.components.base import Context
from bookstore.components.postgres import Postgres, ensure_role
from bookstore.components.registry import BY_NAME

REPORTING_ROLE = "reporting"


def alembic_config(ctx: Context) -> Config:
    config = Config(str(ctx.paths.root / "analytics" / "warehouse" / "alembic.ini"))
    config.attributes["database_url"] = ctx.env["ANALYTICS_DATABASE_URL"]
    return config


def ensure(ctx: Context) -> None:
    """Create the reporting role (Superset's login: reads the reporting views only), then migrate to head."""
    analytics = BY_NAME["analytics-db"]
    assert isinstance(analytics, Postgres)
    with analytics.connect_admin(ctx) as conn:
        ensure_role(conn, REPORTING_ROLE, ctx.env["ANALYTICS_REPORTING_PASSWORD"])
        conn.execute(
            sql.SQL("grant connect on database {} to {}").format(
                sql.Identifier(analytics.db), sql.Identifier(REPORTING_ROLE)
            )
        )
    command.upgrade(alembic_config(ctx), "head")
