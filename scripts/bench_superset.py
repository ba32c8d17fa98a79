"""Measures Superset on the running platform (`make up` first). Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_superset.py [--orders 20]

1. Superset's idle RSS (gunicorn master + workers).
2. `--orders` orders of a new book, one at a time, each by a throwaway customer through the API. For each: the
   time from the checkout's answer until the new total shows (a) in analytics-db's reporting view (the baseline:
   CDC + Flink) and (b) in the Product Sales Volume chart's data API (what the dashboards fetch, through
   Superset's 5 s data cache). Polls every 100 ms; the next order starts once both saw it. Target (b): 10 s.
3. Each dashboard's load time in Debian's Chromium as the analyst (Keycloak sign-in first): from navigation to
   every chart drawn, twice (the second within the cache's lifetime).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bookstore.components import BY_NAME, Context  # noqa: E402
from bookstore.config import PUBLIC_HOSTS  # noqa: E402
from bookstore.platform import build_context  # noqa: E402
from bookstore.sockets import process_tree  # noqa: E402
from bookstore.supervise import Supervisor  # noqa: E402
from tests import mirrors, superset  # noqa: E402
from tests.api import api_client, create_book, place_order, set_stock, with_csrf  # noqa: E402
from tests.e2e.test_superset import expect_rendered, sign_in  # noqa: E402
from tests.keycloak_admin import keycloak_admin, temporary_user  # noqa: E402
from tests.tokens import admin_token, user_token  # noqa: E402

TARGET_CHART_S = 10.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))] if ordered else math.nan


def rss_mib(ctx: Context) -> float:
    pid = Supervisor(ctx).info("superset")["pid"]
    return sum(psutil.Process(p).memory_info().rss for p in process_tree(pid)) / 2**20


def view_units(ctx: Context, book: uuid.UUID) -> int:
    with mirrors.analytics(ctx) as db:
        row = db.execute("select units_sold from reporting.product_sales_volume where book_id = %s", (book,)).fetchone()
    return int(row["units_sold"]) if row else 0


def lags(ctx: Context, orders: int) -> tuple[list[float], list[float]]:
    title = f"Bench {uuid.uuid4().hex[:8]}"
    to_view: list[float] = []
    to_chart: list[float] = []
    with (
        keycloak_admin(ctx) as kc,
        temporary_user(kc, "bench", roles=("customer",)) as (username, password),
        api_client(ctx) as shop,
        superset.admin_api(ctx) as api,
    ):
        admin = {"Authorization": f"Bearer {admin_token(ctx)}"}
        book = uuid.UUID(create_book(shop, admin, title, price="5.00", genre="Science"))
        set_stock(shop, with_csrf(shop, admin), book, orders + 10)
        customer = with_csrf(shop, {"Authorization": f"Bearer {user_token(ctx, username, password)}"})
        for n in range(1, orders + 1):
            place_order(shop, customer, {book: 1})
            answered = time.monotonic()
            seen: dict[str, float] = {}
            while len(seen) < 2 and time.monotonic() - answered < 60:
                if "view" not in seen and view_units(ctx, book) >= n:
                    seen["view"] = time.monotonic() - answered
                if "chart" not in seen and superset.units_sold(api, title) >= n:
                    seen["chart"] = time.monotonic() - answered
                time.sleep(0.1)
            to_view.append(seen.get("view", math.inf))
            to_chart.append(seen.get("chart", math.inf))
            print(f"  order {n:>2}: view {to_view[-1]:6.2f} s   chart data {to_chart[-1]:6.2f} s")
    return to_view, to_chart


def dashboard_loads(ctx: Context) -> dict[str, list[float]]:
    url = f"http://localhost:{ctx.port('SUPERSET_PORT')}"
    rules = ",".join(f"MAP {h} 127.0.0.1" for h in PUBLIC_HOSTS)
    loads: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", f"--host-resolver-rules={rules}", "--ignore-certificate-errors"],
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        sign_in(page, url, ctx.env["BOOKSTORE_ANALYST_USER"], ctx.env["BOOKSTORE_ANALYST_PASSWORD"])
        page.wait_for_url("**/superset/welcome/**")
        for slug in superset.DASHBOARDS:
            for _ in range(2):
                started = time.monotonic()
                page.goto(f"{url}/superset/dashboard/{slug}/")
                page.locator('[data-test="chart-grid-component"]').first.wait_for(timeout=60_000)
                for chart in page.locator('[data-test="chart-grid-component"]').all():
                    expect_rendered(chart)
                loads.setdefault(slug, []).append(time.monotonic() - started)
        browser.close()
    return loads


def main(args: argparse.Namespace) -> None:
    ctx = build_context(write_secrets=False)
    if not BY_NAME["superset"].is_ready(ctx):
        sys.exit("Superset is not ready: run `make up` first")
    print(f"Superset idle RSS: {rss_mib(ctx):.0f} MiB (gunicorn master + workers)")
    print(f"Checkout -> new number, {args.orders} orders one at a time:")
    to_view, to_chart = lags(ctx, args.orders)
    for label, values in (("reporting view (baseline)", to_view), ("chart data API", to_chart)):
        print(
            f"  {label:<26} p50 {percentile(values, 50):5.2f} s  p95 {percentile(values, 95):5.2f} s"
            f"  max {max(values):5.2f} s"
        )
    verdict = "met" if percentile(to_chart, 95) < TARGET_CHART_S else "NOT met"
    print(f"  target: chart data within {TARGET_CHART_S:.0f} s of the checkout (p95): {verdict}")
    print(f"Superset RSS after the orders: {rss_mib(ctx):.0f} MiB")
    print("Dashboard load in Chromium (navigation -> every chart drawn), first and second visit:")
    for slug, times in dashboard_loads(ctx).items():
        print(f"  {slug:<11} " + "   ".join(f"{t:5.2f} s" for t in times))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20)
    main(parser.parse_args())
