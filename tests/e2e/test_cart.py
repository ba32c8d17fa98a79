"""Cart: a guest adds, changes and removes books; after login the guest cart is merged into the user's."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect


def add_from_detail(page: Page, storefront: str, title: str, genre: str = "Fantasy") -> None:
    page.goto(f"{storefront}/?genre={genre}")
    page.get_by_role("button", name=f"Add {title} to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to cart")).to_be_visible()


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

    def test_an_out_of_stock_book_cannot_be_added(self, page: Page, storefront: str) -> None:
        page.goto(f"{storefront}/search?q=xqzvbnmwrtp")
        expect(page.get_by_text("No books match")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Add .* to cart$"))).to_have_count(0)


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
