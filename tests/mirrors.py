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


# The star schema's facts and aggregates, computed straight from the sources (what Flink must have written).
FACT_ORDER_LINE_ON_SOURCE = """
select i.order_id, i.book_id, o.user_id as customer_id, i.quantity, i.unit_price,
       (i.unit_price * i.quantity)::numeric(12, 2) as line_amount, o.status as order_status,
       (o.created_at at time zone 'UTC')::timestamp(6) as ordered_at,
       (o.cancelled_at at time zone 'UTC')::timestamp(6) as cancelled_at,
       to_char(o.created_at at time zone 'UTC', 'YYYYMMDD')::integer as date_key
from order_item i join customer_order o on o.id = i.order_id
"""
FACT_ORDER_LINE_IN_STAR = """
select order_id, book_id, customer_id, quantity, unit_price, line_amount, order_status, ordered_at, cancelled_at,
       date_key
from star.fact_order_line
"""
BOOK_SALES_ON_SOURCE = """
select i.book_id, sum(i.quantity)::bigint as units_sold, sum(i.unit_price * i.quantity)::numeric(14, 2) as revenue,
       count(distinct i.order_id) as orders
from order_item i join customer_order o on o.id = i.order_id where o.status = 'CONFIRMED' group by i.book_id
"""
BOOK_SALES_IN_STAR = "select book_id, units_sold, revenue, orders from star.agg_book_sales"
DAILY_SALES_ON_SOURCE = """
select (o.created_at at time zone 'UTC')::date as sales_date, sum(i.unit_price * i.quantity)::numeric(14, 2) as revenue,
       count(distinct o.id) as orders, sum(i.quantity)::bigint as units
from order_item i join customer_order o on o.id = i.order_id where o.status = 'CONFIRMED' group by 1
"""
DAILY_SALES_IN_STAR = "select sales_date, revenue, orders, units from star.agg_daily_sales"


def query_digest(conn: psycopg.Connection[dict[str, Any]], query: str) -> tuple[int, str]:
    row = conn.execute(
        f"select count(*) as n, coalesce(md5(string_agg(r::text, '|' order by r::text)), '') as h from ({query}) r"  # noqa: S608 - constant queries
    ).fetchone()
    assert row is not None
    return int(row["n"]), str(row["h"])


def star_equals_sources(ctx: Context) -> list[str]:
    """Names of the star tables that differ from the same computation on the sources (empty: all equal)."""
    pairs = {
        "star.fact_order_line": (FACT_ORDER_LINE_ON_SOURCE, FACT_ORDER_LINE_IN_STAR),
        "star.agg_book_sales": (BOOK_SALES_ON_SOURCE, BOOK_SALES_IN_STAR),
        "star.agg_daily_sales": (DAILY_SALES_ON_SOURCE, DAILY_SALES_IN_STAR),
    }
    with source(ctx, "ecom") as src, analytics(ctx) as dst:
        return [
            name for name, (on_src, in_star) in pairs.items() if query_digest(src, on_src) != query_digest(dst, in_star)
        ]
