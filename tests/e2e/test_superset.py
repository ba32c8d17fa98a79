"""Superset in Debian's Chromium: analysts sign in with Keycloak, every chart of the three dashboards renders,
a purchase shows in the Product Sales Volume bar, analysts change nothing, and shoppers are turned away."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Response, expect

from bookstore.components import Context
from bookstore.components.superset import url
from tests import superset
from tests.api import create_book, place_order, set_stock, with_csrf
from tests.e2e.keycloak_form import fill_keycloak_form
from tests.keycloak_admin import keycloak_admin, temporary_user
from tests.tokens import user_token
from tests.waiting import wait_for

RENDER_TIMEOUT = 60_000  # ms: a dashboard's first load runs every chart's query on a busy machine
# ms: signing in is a chain of redirects (Keycloak checks the password, Superset exchanges the code and maps the
# roles); on a saturated machine it once took longer than Playwright's default 5 s
SIGN_IN_TIMEOUT = 30_000


@pytest.fixture(scope="module")
def superset_url(ctx: Context) -> str:
    return url(ctx)


def sign_in(page: Page, superset_url: str, username: str, password: str) -> None:
    """Superset's sign-in page, its Keycloak button, Keycloak's form."""
    page.goto(f"{superset_url}/login/")
    page.get_by_role("link", name="Sign in with Keycloak").click()
    fill_keycloak_form(page, username, password)


@pytest.fixture
def analyst(page: Page, ctx: Context, superset_url: str) -> Page:
    sign_in(page, superset_url, ctx.env["BOOKSTORE_ANALYST_USER"], ctx.env["BOOKSTORE_ANALYST_PASSWORD"])
    expect(page).to_have_url(re.compile(r"/superset/welcome/"), timeout=SIGN_IN_TIMEOUT)
    return page


def _charts(page: Page) -> list[Locator]:
    return page.locator('[data-test="chart-grid-component"]').all()


def expect_rendered(chart: Locator) -> None:
    """A chart drew itself: an ECharts canvas/svg, a table, or a big number; and shows no error."""
    body = chart.locator('[data-test="chart-container"]')
    if str(chart.get_attribute("data-test-viz-type")).startswith("big_number"):
        expect(body).to_have_text(re.compile(r"\d"), timeout=RENDER_TIMEOUT)
    else:
        expect(body.locator("canvas, svg, table").first).to_be_visible(timeout=RENDER_TIMEOUT)
    expect(chart.locator(".ant-alert-error, .alert-danger, [data-test='error-message']")).to_have_count(0)
    expect(chart).not_to_contain_text(re.compile("Unexpected error|Data error|No results were returned"))


def bar_table(page: Page) -> Locator:
    """The Product Sales Volume chart's own data, through its menu's "View as table"."""
    chart = page.locator(f'[data-test-chart-name="{superset.PRODUCT_SALES_VOLUME}"]')
    chart.get_by_role("button", name="More Options").click()
    page.get_by_text("View as table").click()
    modal = page.locator(".ant-modal").filter(has_text=f"Chart Data: {superset.PRODUCT_SALES_VOLUME}")
    expect(modal).to_be_visible()
    return modal


@pytest.fixture
def new_book(ctx: Context, api: httpx.Client, admin_auth: dict[str, str]) -> Iterator[tuple[uuid.UUID, str, str]]:
    """A book nobody bought yet and a throwaway customer's token: (book, title, customer token)."""
    title = f"Dashboard Test {uuid.uuid4().hex[:8]}"
    book = uuid.UUID(create_book(api, admin_auth, title, price="7.50", genre="Science"))
    set_stock(api, with_csrf(api, admin_auth), book, 50)
    with keycloak_admin(ctx) as kc, temporary_user(kc, "dash", roles=("customer",)) as (username, password):
        yield book, title, user_token(ctx, username, password)


class TestAnalystDashboards:
    @pytest.mark.parametrize("slug", superset.DASHBOARDS)
    def test_every_chart_of_the_dashboard_renders(self, analyst: Page, superset_url: str, slug: str) -> None:
        analyst.goto(f"{superset_url}/superset/dashboard/{slug}/")
        expect(analyst.locator('[data-test="chart-grid-component"]').first).to_be_visible(timeout=RENDER_TIMEOUT)
        charts = _charts(analyst)
        assert len(charts) >= 3
        for chart in charts:
            expect_rendered(chart)

    def test_a_purchase_shows_in_the_product_sales_volume_bar(
        self, ctx: Context, analyst: Page, superset_url: str, api: httpx.Client, new_book: tuple[uuid.UUID, str, str]
    ) -> None:
        book, title, token = new_book
        analyst.goto(f"{superset_url}/superset/dashboard/sales/")
        expect_rendered(analyst.locator(f'[data-test-chart-name="{superset.PRODUCT_SALES_VOLUME}"]'))
        before = bar_table(analyst)
        before.get_by_role("textbox").first.fill(title)
        expect(before.get_by_role("row").filter(has_text=title)).to_have_count(0)
        analyst.keyboard.press("Escape")

        place_order(api, with_csrf(api, {"Authorization": f"Bearer {token}"}), {book: 3})
        with superset.admin_api(ctx) as admin:
            wait_for(lambda: superset.units_sold(admin, title) == 3, 30, "the purchase in the chart's data")
        analyst.reload()
        chart = analyst.locator(f'[data-test-chart-name="{superset.PRODUCT_SALES_VOLUME}"]')
        expect_rendered(chart)
        table = bar_table(analyst)
        table.get_by_role("textbox").first.fill(title)  # the table view's own search: many bars, rows virtualised
        row = table.get_by_role("row").filter(has_text=title)
        expect(row).to_have_count(1)
        expect(row.get_by_role("gridcell").last).to_have_text("3")

    def test_an_open_dashboard_shows_a_new_order_by_itself(
        self, analyst: Page, superset_url: str, api: httpx.Client, new_book: tuple[uuid.UUID, str, str]
    ) -> None:
        """The dashboards refresh themselves every 10 s; chart data is cached 5 s: no reload needed."""
        book, title, token = new_book
        answers: list[Response] = []
        analyst.on("response", lambda r: answers.append(r) if "/api/v1/chart/data" in r.url else None)
        analyst.goto(f"{superset_url}/superset/dashboard/sales/")
        expect_rendered(analyst.locator(f'[data-test-chart-name="{superset.PRODUCT_SALES_VOLUME}"]'))
        place_order(api, with_csrf(api, {"Authorization": f"Bearer {token}"}), {book: 2})
        deadline = time.monotonic() + 40  # refresh 10 s + cache 5 s + CDC, on a busy machine
        while not any(_bar(answer, title) == 2 for answer in answers):
            left = deadline - time.monotonic()
            assert left > 0, f"no refresh of the dashboard showed {title} at 2 units"
            # Waits for the page's next chart-data answer (the handler above records it), not for a fixed time.
            analyst.wait_for_event("response", lambda r: "/api/v1/chart/data" in r.url, timeout=left * 1000)


def _bar(answer: Response, title: str) -> float | None:
    """The units a chart-data answer gives `title` (None: not a Product Sales Volume answer, or not there)."""
    try:
        rows = answer.json()["result"][0]["data"]
    except (KeyError, IndexError, ValueError, TypeError, PlaywrightError):
        return None
    return next((row.get("Units sold") for row in rows if isinstance(row, dict) and row.get("title") == title), None)


class TestAnalystsChangeNothing:
    def test_the_dashboard_offers_the_analyst_no_chart_editing(self, analyst: Page, superset_url: str) -> None:
        analyst.goto(f"{superset_url}/superset/dashboard/sales/")
        modal = bar_table(analyst)
        expect(modal.get_by_role("row").nth(1)).to_be_visible()
        expect(modal.get_by_role("button", name="Edit chart")).to_be_disabled()  # "not sufficient permissions"
        analyst.keyboard.press("Escape")
        chart = analyst.locator(f'[data-test-chart-name="{superset.PRODUCT_SALES_VOLUME}"]')
        chart.get_by_role("button", name="More Options").click()
        expect(analyst.get_by_role("menuitem", name="Edit chart")).to_have_count(0)
        expect(analyst.get_by_role("button", name="Edit dashboard")).to_have_count(0)

    def test_the_analyst_cannot_save_a_chart(self, ctx: Context, analyst: Page, superset_url: str) -> None:
        with superset.admin_api(ctx) as admin:
            chart = superset.charts(admin)[superset.PRODUCT_SALES_VOLUME]
        csrf = analyst.request.get(f"{superset_url}/api/v1/security/csrf_token/")
        assert csrf.status == 200, csrf.text()
        response = analyst.request.put(
            f"{superset_url}/api/v1/chart/{chart}",
            data={"slice_name": "Renamed by an analyst"},
            headers={"X-CSRFToken": csrf.json()["result"], "Referer": superset_url},
        )
        assert response.status == 403, response.text()
        with superset.admin_api(ctx) as admin:
            assert superset.PRODUCT_SALES_VOLUME in superset.charts(admin)

    def test_the_analyst_cannot_open_sql_lab(self, analyst: Page, superset_url: str) -> None:
        response = analyst.goto(f"{superset_url}/sqllab/")
        assert response is not None and response.status == 403
        expect(analyst.get_by_role("link", name="SQL Lab")).to_have_count(0)
        menu = analyst.request.get(f"{superset_url}/api/v1/me/roles/")
        assert menu.status == 200 and "sql_lab" not in menu.text()


class TestOnlyAnalystsAndAdmins:
    def test_a_store_admin_signs_in_as_superset_admin(self, ctx: Context, page: Page, superset_url: str) -> None:
        sign_in(page, superset_url, ctx.env["BOOKSTORE_ADMIN_USER"], ctx.env["BOOKSTORE_ADMIN_PASSWORD"])
        expect(page).to_have_url(re.compile(r"/superset/welcome/"), timeout=SIGN_IN_TIMEOUT)
        roles = page.request.get(f"{superset_url}/api/v1/me/roles/")
        assert roles.status == 200, roles.text()
        assert sorted(roles.json()["result"]["roles"]) == ["Admin"]

    def test_a_customer_is_refused_and_stays_signed_out(self, ctx: Context, page: Page, superset_url: str) -> None:
        sign_in(page, superset_url, ctx.env["BOOKSTORE_CUSTOMER_USER"], ctx.env["BOOKSTORE_CUSTOMER_PASSWORD"])
        expect(page).to_have_url(re.compile(r"/login/"), timeout=SIGN_IN_TIMEOUT)
        expect(page.get_by_role("link", name="Sign in with Keycloak")).to_be_visible()
        assert page.request.get(f"{superset_url}/api/v1/me/").status == 401
        assert page.goto(f"{superset_url}/superset/dashboard/sales/") is not None
        expect(page).to_have_url(re.compile(r"/login/"))
