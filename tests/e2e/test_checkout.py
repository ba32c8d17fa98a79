"""Checkout: review, place the order, confirmation with the order id, the catalog's stock badge goes down;
an order beyond the stock is refused with the book named and the cart kept."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect
from servicekit.catalog import load_catalog

from bookstore.config import ROOT
from tests.api import set_stock
from tests.e2e.shopping import add_to_cart, check_out

BOOK = next(b for b in load_catalog(ROOT / "data" / "catalog" / "books.json") if b.title == "Dune")


def add_dune(page: Page, storefront: str) -> None:
    page.goto(f"{storefront}/books/{BOOK.id}")
    add_to_cart(page, "Dune")


class TestCheckout:
    def test_place_order_shows_confirmation_and_the_badge_goes_down(
        self,
        page: Page,
        storefront: str,
        api: httpx.Client,
        admin_auth: dict[str, str],
        sign_in_customer: Callable[[Page], None],
        empty_customer_cart: None,
    ) -> None:
        set_stock(api, admin_auth, BOOK.id, 7)
        page.goto(f"{storefront}/books/{BOOK.id}")
        sign_in_customer(page)
        expect(page.get_by_text("In stock (7)")).to_be_visible()
        add_dune(page, storefront)
        order_id = check_out(page)
        assert re.fullmatch(r"[0-9a-f-]{36}", order_id)
        expect(page.get_by_role("link", name="Cart (0)")).to_be_visible()
        page.goto(f"{storefront}/books/{BOOK.id}")
        expect(page.get_by_text("In stock (6)")).to_be_visible()

    def test_more_than_the_stock_is_refused_naming_the_book_and_the_cart_is_kept(
        self,
        page: Page,
        storefront: str,
        api: httpx.Client,
        admin_auth: dict[str, str],
        sign_in_customer: Callable[[Page], None],
        empty_customer_cart: None,
    ) -> None:
        set_stock(api, admin_auth, BOOK.id, 2)
        page.goto(storefront)
        sign_in_customer(page)
        add_dune(page, storefront)
        page.get_by_role("link", name="Cart (1)").click()
        page.get_by_label("Quantity of Dune").select_option("3")
        expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()
        page.get_by_role("link", name="Proceed to checkout").click()
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_role("alert")).to_have_text(re.compile(r"Not enough stock for Dune \(only 2 left\)"))
        page.get_by_role("link", name="Back to the cart").click()
        expect(page.get_by_text(re.compile(r"Total \(3 items\)"))).to_be_visible()
