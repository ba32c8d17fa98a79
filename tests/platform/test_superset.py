"""Superset against the real pipeline: chart data equal to the orders placed through the shop, the assets import
(idempotent, changes applied), and a stopped Superset seen by `make status` without harming the shop."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import yaml

from bookstore import reports
from bookstore.components import BY_NAME, Context
from bookstore.config import ROOT
from bookstore.supervise import Supervisor
from tests import superset
from tests.api import api_client, create_book, place_order, set_stock, with_csrf
from tests.keycloak_admin import keycloak_admin, temporary_user
from tests.tokens import admin_token, user_token
from tests.waiting import wait_for

CHART_TIMEOUT = 30.0  # checkout -> CDC -> Flink -> analytics-db -> Superset's 5 s data cache, on a busy machine
BOOKSTORE = str(ROOT / ".venv" / "bin" / "bookstore")


@pytest.fixture(scope="module")
def api(ctx: Context) -> Iterator[reports.SupersetApi]:
    with superset.admin_api(ctx) as client:
        yield client


@pytest.fixture
def shop(ctx: Context) -> Iterator[tuple[httpx.Client, dict[str, str], uuid.UUID, str]]:
    """A new book of its own (so its bar is exactly this test's orders) with stock, and a throwaway customer."""
    title = f"Superset Test {uuid.uuid4().hex[:8]}"
    with (
        keycloak_admin(ctx) as kc,
        temporary_user(kc, "report", roles=("customer",)) as (username, password),
        api_client(ctx) as shop_api,
    ):
        admin = {"Authorization": f"Bearer {admin_token(ctx)}"}
        book = uuid.UUID(create_book(shop_api, admin, title, price="12.34", author="Rhea Porter", genre="Science"))
        set_stock(shop_api, with_csrf(shop_api, admin), book, 200)
        customer = with_csrf(shop_api, {"Authorization": f"Bearer {user_token(ctx, username, password)}"})
        yield shop_api, customer, book, title


def _day(order: dict[str, object]) -> dt.date:
    return dt.datetime.fromisoformat(str(order["created_at"])).astimezone(dt.UTC).date()


def _plus(
    before: dict[dt.date, tuple[Decimal, int]], orders: list[dict[str, object]]
) -> dict[dt.date, tuple[Decimal, int]]:
    """The Sales Over Time points once `orders` count (the star schema's days are UTC days)."""
    after = dict(before)
    for order in orders:
        revenue, count = after.get(_day(order), (Decimal("0.00"), 0))
        after[_day(order)] = (revenue + Decimal(str(order["total"])), count + 1)
    return after


class TestChartsShowTheOrders:
    def test_product_sales_volume_and_sales_over_time_equal_the_orders_and_a_cancel_lowers_them(
        self, api: reports.SupersetApi, shop: tuple[httpx.Client, dict[str, str], uuid.UUID, str]
    ) -> None:
        shop_api, customer, book, title = shop
        days_before = superset.sales_per_day(api)
        assert superset.units_sold(api, title) == 0
        orders = [place_order(shop_api, customer, {book: quantity}) for quantity in (2, 1, 4)]
        assert [Decimal(str(o["total"])) for o in orders] == [Decimal("24.68"), Decimal("12.34"), Decimal("49.36")]

        wait_for(lambda: superset.units_sold(api, title) == 7, CHART_TIMEOUT, "the book's bar at 7 units")
        expected = _plus(days_before, orders)
        wait_for(lambda: superset.sales_per_day(api) == expected, CHART_TIMEOUT, "revenue and orders of the day")

        cancelled = shop_api.post(f"/ecom/orders/{orders[2]['order_id']}/cancel", headers=customer)
        assert cancelled.status_code == 200, cancelled.text
        wait_for(lambda: superset.units_sold(api, title) == 3, CHART_TIMEOUT, "the bar lowered by the cancel")
        expected = _plus(days_before, orders[:2])
        wait_for(lambda: superset.sales_per_day(api) == expected, CHART_TIMEOUT, "the day lowered by the cancel")


def _bundle_charts() -> list[dict[str, object]]:
    return [yaml.safe_load(p.read_text()) for p in (ROOT / "analytics/superset/bundle/charts").glob("*.yaml")]


class TestDashboardsAsCode:
    def test_every_chart_of_the_bundle_answers_with_data(self, api: reports.SupersetApi) -> None:
        ids = superset.charts(api)
        for chart in _bundle_charts():
            body = api.get(f"/api/v1/chart/{ids[str(chart['slice_name'])]}/data/")
            assert body["result"][0]["status"] == "success", (chart["slice_name"], body)

    def test_importing_again_leaves_three_dashboards_and_the_same_charts(
        self, ctx: Context, api: reports.SupersetApi
    ) -> None:
        reports.import_bundle(ctx, api)
        reports.import_bundle(ctx, api)
        assert sorted(superset.dashboards(api)) == sorted(superset.DASHBOARDS)
        titles = [row["slice_name"] for row in api.all("/api/v1/chart/", "columns:!(slice_name)")]
        assert Counter(titles) == Counter(str(chart["slice_name"]) for chart in _bundle_charts())

    def test_a_chart_title_changed_in_the_bundle_replaces_the_old_one_at_the_next_make_up(
        self, ctx: Context, api: reports.SupersetApi, tmp_path: Path
    ) -> None:
        bundle = tmp_path / "bundle"
        shutil.copytree(reports.bundle_dir(ctx), bundle)
        path = next(p for p in (bundle / "charts").glob("*.yaml") if "slice_name: Orders per Minute\n" in p.read_text())
        new_title = f"Orders per Minute ({uuid.uuid4().hex[:6]})"
        path.write_text(path.read_text().replace("slice_name: Orders per Minute\n", f"slice_name: {new_title}\n"))
        count = len(superset.charts(api))
        try:
            up = subprocess.run(
                [BOOKSTORE, "up"],
                capture_output=True,
                text=True,
                timeout=600,
                env={**os.environ, "BOOKSTORE_SUPERSET_BUNDLE": str(bundle)},
            )
            assert up.returncode == 0, up.stdout + up.stderr
            after = superset.charts(api)
            assert new_title in after and "Orders per Minute" not in after
            assert len(after) == count
        finally:
            reports.import_bundle(ctx, api)
        assert "Orders per Minute" in superset.charts(api)

    def test_the_analyst_role_reads_and_changes_nothing(self, api: reports.SupersetApi) -> None:
        roles = {row["name"]: row["id"] for row in api.all("/api/v1/security/roles/")}
        granted = api.get(f"/api/v1/security/roles/{roles[reports.ANALYST_ROLE]}/permissions/")["result"]
        pairs = {(p["permission_name"], p["view_menu_name"]) for p in granted}
        assert {("can_read", "Dashboard"), ("can_read", "Chart"), ("can_dashboard", "Superset")} <= pairs
        assert any(name == "database_access" and view.startswith("[analytics]") for name, view in pairs)
        forbidden = [p for p in pairs if p[0] in ("can_write", "can_sqllab", "can_execute_sql_query") or "SQL" in p[1]]
        assert forbidden == []


class TestSupersetDown:
    def test_a_stopped_superset_fails_make_status_by_name_and_the_shop_keeps_serving(self, ctx: Context) -> None:
        sup = Supervisor(ctx)
        sup.stop("superset")
        try:
            result = subprocess.run(
                [BOOKSTORE, "status"], capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"}
            )
            assert result.returncode != 0
            line = next(line for line in result.stdout.splitlines() if " superset " in line)
            assert "RUNNING" not in line
            with api_client(ctx) as shop_api:
                assert shop_api.get("/ecom/books").status_code == 200
            assert BY_NAME["ecom"].is_ready(ctx) and BY_NAME["analytics-db"].is_ready(ctx)
        finally:
            sup.start("superset")
            wait_for(lambda: BY_NAME["superset"].is_ready(ctx), 180, "Superset to be ready again")
