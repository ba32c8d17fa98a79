"""Reading Superset as tests do: the REST API as the local admin, charts by title, a chart's own saved query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from bookstore import reports
from bookstore.components import Context

PRODUCT_SALES_VOLUME = "Product Sales Volume"
SALES_OVER_TIME = "Sales Over Time"
DASHBOARDS = ("sales", "inventory", "operations")


@contextmanager
def admin_api(ctx: Context) -> Iterator[reports.SupersetApi]:
    api = reports.SupersetApi.login(ctx)
    try:
        yield api
    finally:
        api.client.close()


def charts(api: reports.SupersetApi) -> dict[str, int]:
    """Every chart: title -> id."""
    return {row["slice_name"]: int(row["id"]) for row in api.all("/api/v1/chart/", "columns:!(id,slice_name)")}


def dashboards(api: reports.SupersetApi) -> dict[str, int]:
    """Every dashboard: slug -> id."""
    return {row["slug"]: int(row["id"]) for row in api.all("/api/v1/dashboard/", "columns:!(id,slug)")}


def chart_rows(api: reports.SupersetApi, title: str) -> list[dict[str, Any]]:
    """The rows of a chart's own saved query (what its data endpoint serves, through Superset's data cache)."""
    chart = charts(api)[title]
    body = api.get(f"/api/v1/chart/{chart}/data/")
    rows: list[dict[str, Any]] = body["result"][0]["data"]
    return rows


def units_sold(api: reports.SupersetApi, book_title: str) -> int:
    """The Product Sales Volume bar of one book (0 while it has none)."""
    rows = [row for row in chart_rows(api, PRODUCT_SALES_VOLUME) if row["title"] == book_title]
    assert len(rows) <= 1, rows
    return int(rows[0]["Units sold"]) if rows else 0


def sales_per_day(api: reports.SupersetApi) -> dict[dt.date, tuple[Decimal, int]]:
    """The Sales Over Time points: day -> (revenue, orders)."""
    points: dict[dt.date, tuple[Decimal, int]] = {}
    for row in chart_rows(api, SALES_OVER_TIME):
        day = dt.datetime.fromtimestamp(row["sales_date"] / 1000, tz=dt.UTC).date()
        points[day] = (Decimal(str(row["Revenue"])).quantize(Decimal("0.01")), int(row["Orders"]))
    return points
