"""Reading a CDC source and its mirror in analytics-db side by side (as the superuser of each instance)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from bookstore.cdc import EXCLUDED_TABLES, SOURCES, Source
from bookstore.components import BY_NAME, Context
from bookstore.components.postgres import Postgres

BY_SCHEMA = {s.schema: s for s in SOURCES}


def connect(ctx: Context, component: str) -> psycopg.Connection[dict[str, Any]]:
    db = BY_NAME[component]
    assert isinstance(db, Postgres)
    conn = psycopg.connect(db.admin_dsn(ctx, db.db), autocommit=True, row_factory=dict_row)
    conn.execute("set timezone = 'UTC'")
    return conn


def source(ctx: Context, schema: str) -> psycopg.Connection[dict[str, Any]]:
    return connect(ctx, BY_SCHEMA[schema].component)


def analytics(ctx: Context) -> psycopg.Connection[dict[str, Any]]:
    return connect(ctx, "analytics-db")


def captured_tables(conn: psycopg.Connection[dict[str, Any]], src: Source) -> set[str]:
    """The tables of a source database the CDC connector captures (business tables, not the heartbeat)."""
    if src.tables:
        return set(src.tables)
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'"
    ).fetchall()
    return {r["table_name"] for r in rows} - set(EXCLUDED_TABLES) - {"cdc_heartbeat"}


def columns(conn: psycopg.Connection[dict[str, Any]], schema: str, table: str) -> list[str]:
    """Stored (not generated) columns: logical decoding does not carry generated columns."""
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
        " and is_generated = 'NEVER' order by ordinal_position",
        (schema, table),
    ).fetchall()
    return [r["column_name"] for r in rows]


def fetch(
    conn: psycopg.Connection[dict[str, Any]], schema: str, table: str, cols: list[str], key: dict[str, Any]
) -> dict[str, Any] | None:
    query = sql.SQL("select {} from {}.{} where {}").format(
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(" and ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in key),
    )
    return conn.execute(query, list(key.values())).fetchone()


def digest(conn: psycopg.Connection[dict[str, Any]], schema: str, table: str, cols: list[str]) -> tuple[int, str]:
    """(row count, md5 of every row's text, sorted): equal digests mean equal tables, row by row."""
    if conn.execute("select to_regclass(%s) as t", (f"{schema}.{table}",)).fetchone() == {"t": None}:
        return 0, ""  # the sink creates a mirror with its first row: no mirror is an empty mirror
    query = sql.SQL(
        "select count(*) as n, coalesce(md5(string_agg(r::text, '|' order by r::text)), '') as h"
        " from (select {} from {}.{}) r"
    ).format(sql.SQL(", ").join(map(sql.Identifier, cols)), sql.Identifier(schema), sql.Identifier(table))
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row["n"]), str(row["h"])


def mirror_equals_source(ctx: Context, schema: str) -> list[str]:
    """Names of the tables whose mirror differs from its source right now (empty list: all equal)."""
    differing = []
    with source(ctx, schema) as src, analytics(ctx) as dst:
        for table in sorted(captured_tables(src, BY_SCHEMA[schema])):
            cols = list(BY_SCHEMA[schema].columns.get(table, ())) or columns(src, "public", table)
            if digest(src, "public", table, cols) != digest(dst, schema, table, cols):
                differing.append(f"{schema}.{table}")
    return differing
