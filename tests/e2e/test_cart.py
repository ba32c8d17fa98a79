"""Cart: a guest adds, changes and removes books; after login the guest cart is merged into the user's."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect
from servicekit.catalog import load_catalog

from bookstore.config import ROOT
from tests.api import set_stock
from tests.e2e.shopping import add_to_cart

SOLD_OUT = next(b for b in load_catalog(ROOT / "data" / "catalog" / "books.json") if b.title == "Brave New World")


def add_from_detail(page: Page, storefront: str, title: str, genre: str = "Fantasy") -> None:
    page.goto(f"{storefront}/?genre={genre}")
    add_to_cart(page, title)


class TestGuestCart:
    def test_add_change_quantity_and_remove(self, page: Page, storefront: str) -> None:
        add_from_detail(page, storefront, "The Hobbit")
        expect(page.get_by_role("link", name="Cart (1)")).to_be_visible()
        page.get_by_role("link", name="Cart (1)").click()
        expect(page.get_by_role("link", name="The Hobbit")).to_be_visible()
        page.get_by_label("Quantity of The Hobbit").select_option("3")
        expect(page.get_by_text(re.compile(r"Total \(3 items\)"))).to_be_visible()
        expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()
        page.get_by_role("button", name="Remove The Hobbit").click()
        expect(page.get_by_text("Your cart is empty.")).to_be_visible()
        expect(page.get_by_role("link", name="Cart (0)")).to_be_visible()

    def test_an_out_of_stock_book_cannot_be_added(
        self, page: Page, storefront: str, api: httpx.Client, admin_auth: dict[str, str]
    ) -> None:
        set_stock(api, admin_auth, SOLD_OUT.id, 0)
        page.goto(f"{storefront}/books/{SOLD_OUT.id}")
        expect(page.get_by_text("Out of stock")).to_be_visible()
        expect(page.get_by_role("button", name=f"Add {SOLD_OUT.title} to cart")).to_be_disabled()
        set_stock(api, admin_auth, SOLD_OUT.id, 3)
        page.reload()
        expect(page.get_by_role("button", name=f"Add {SOLD_OUT.title} to cart")).to_be_enabled()


class TestMergeAfterLogin:
    def test_guest_cart_is_merged_into_the_users_cart(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None], empty_customer_cart: None
    ) -> None:
        add_from_detail(page, storefront, "The Hobbit")
        page.get_by_role("link", name="Cart (1)").click()
        sign_in_customer(page)
        expect(page).to_have_url(f"{storefront}/cart")
        expect(page.get_by_role("link", name="The Hobbit")).to_be_visible()
        expect(page.get_by_role("link", name="Proceed to checkout")).to_be_visible()
