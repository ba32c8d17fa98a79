"""Order history and cancel: the order is listed, its detail shows the lines, cancelling puts the stock back."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect
from servicekit.catalog import load_catalog

from bookstore.config import ROOT
from tests.api import set_stock
from tests.e2e.shopping import add_to_cart, check_out

BOOK = next(b for b in load_catalog(ROOT / "data" / "catalog" / "books.json") if b.title == "Neuromancer")


class TestOrders:
    def test_history_detail_and_cancel_puts_the_stock_back(
        self,
        page: Page,
        storefront: str,
        api: httpx.Client,
        admin_auth: dict[str, str],
        sign_in_customer: Callable[[Page], None],
        empty_customer_cart: None,
    ) -> None:
        set_stock(api, admin_auth, BOOK.id, 4)
        page.goto(f"{storefront}/books/{BOOK.id}")
        sign_in_customer(page)
        add_to_cart(page, BOOK.title)
        order_id = check_out(page)

        page.get_by_role("link", name="My orders").click()
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=order_id[:8]))
        expect(row).to_contain_text("CONFIRMED")
        row.get_by_role("link", name=order_id[:8]).click()
        expect(page.get_by_text(f"1 × {BOOK.title}")).to_be_visible()
        page.get_by_role("button", name="Cancel order").click()
        expect(page.get_by_role("status").filter(has_text="The order was cancelled")).to_be_visible()
        expect(page.get_by_text("Status: CANCELLED")).to_be_visible()
        page.goto(f"{storefront}/books/{BOOK.id}")
        expect(page.get_by_text("Only 4 left")).to_be_visible()

    def test_someone_elses_or_unknown_order_shows_not_found(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None]
    ) -> None:
        page.goto(f"{storefront}/orders")
        sign_in_customer(page)
        page.goto(f"{storefront}/orders/00000000-0000-4000-8000-000000000000")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
