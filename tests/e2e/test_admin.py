"""Admin pages: an admin adds a book that a shopper then finds and buys; a stock change reaches the shopper;
customers cannot reach the admin pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.api import new_isbn
from tests.e2e.shopping import add_to_cart, check_out


class TestAdmin:
    def test_admin_adds_a_book_that_a_shopper_finds_and_buys(
        self,
        page: Page,
        browser: Browser,
        storefront: str,
        sign_in_admin: Callable[[Page], None],
        sign_in_customer: Callable[[Page], None],
        empty_customer_cart: None,
    ) -> None:
        title = f"The Admin's Tale {uuid.uuid4().hex[:6]}"
        page.goto(f"{storefront}/admin")
        sign_in_admin(page)
        page.get_by_role("link", name="Add a book").click()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Author").fill("Ada Admin")
        page.get_by_label("ISBN-13").fill(new_isbn())
        page.get_by_label("Genre").fill("Testing")
        page.get_by_label("Year").fill("2025")
        page.get_by_label("Price (EUR)").fill("11.50")
        page.get_by_label("Description").fill("Written by an admin in a browser.")
        page.get_by_label("Copies in stock").fill("8")
        page.get_by_role("button", name="Save book").click()
        expect(page.get_by_role("status").filter(has_text=f"{title}: 8 copies in stock")).to_be_visible()

        shopper = browser.new_context().new_page()
        shopper.goto(storefront)
        shopper.get_by_role("searchbox", name="Search books").fill(title)
        shopper.get_by_role("searchbox", name="Search books").press("Enter")
        expect(shopper.get_by_role("link", name=title)).to_be_visible()
        expect(shopper.locator(".book-card").filter(has_text=title)).to_contain_text("In stock (8)")
        add_to_cart(shopper, title)
        sign_in_customer(shopper)
        check_out(shopper)
        expect(shopper.get_by_text(f"1 × {title}")).to_be_visible()
        shopper.context.close()

    def test_a_stock_adjustment_is_visible_to_shoppers(
        self, page: Page, browser: Browser, storefront: str, sign_in_admin: Callable[[Page], None]
    ) -> None:
        page.goto(f"{storefront}/admin")
        sign_in_admin(page)
        page.get_by_role("link", name="Edit 1984").click()
        expect(page.get_by_role("status").filter(has_text="copies in stock")).to_be_visible()
        page.get_by_label("Copies in stock").fill("9")
        page.get_by_role("button", name="Save book").click()
        expect(page.get_by_role("status").filter(has_text="1984: 9 copies in stock")).to_be_visible()
        page.get_by_label("Change in copies").fill("-2")
        page.get_by_label("Reason").fill("water damage")
        page.get_by_role("button", name="Adjust stock").click()
        expect(page.get_by_role("status").filter(has_text="1984: 7 copies in stock")).to_be_visible()

        shopper = browser.new_context().new_page()
        shopper.goto(storefront)
        shopper.get_by_role("searchbox", name="Search books").fill("1984 orwell")
        shopper.get_by_role("searchbox", name="Search books").press("Enter")
        expect(shopper.locator(".book-card").filter(has_text="1984").first).to_contain_text("In stock (7)")
        shopper.context.close()

    def test_an_invalid_isbn_is_explained_and_nothing_is_created(
        self, page: Page, storefront: str, sign_in_admin: Callable[[Page], None]
    ) -> None:
        marker = uuid.uuid4().hex[:12]
        title = f"Never Saved {marker}"
        page.goto(f"{storefront}/admin/books/new")
        sign_in_admin(page)
        for label, value in (
            ("Title", title),
            ("Author", "A"),
            ("ISBN-13", "9780306406158"),
            ("Genre", "G"),
            ("Year", "2020"),
            ("Price (EUR)", "5.00"),
            ("Description", "D"),
        ):
            page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Save book").click()
        expect(page.get_by_role("alert")).to_contain_text("isbn13: not a valid ISBN-13")
        # Search for the title's unique word once the results are in: the search settles on "no books match".
        page.goto(f"{storefront}/search?q={marker}")
        expect(page.get_by_role("status").filter(has_text=f"No books match “{marker}”")).to_be_visible()
        expect(page.get_by_role("link", name=title)).to_have_count(0)

    def test_customers_cannot_reach_admin_pages(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None]
    ) -> None:
        page.goto(storefront)
        sign_in_customer(page)
        expect(page.get_by_role("link", name="Admin")).to_have_count(0)
        for path in ("/admin", "/admin/books/new", "/admin/orders"):
            page.goto(f"{storefront}{path}")
            expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
            expect(page.get_by_role("button", name=re.compile("Save book"))).to_have_count(0)
