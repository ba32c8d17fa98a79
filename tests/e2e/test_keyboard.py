"""Everything a shopper needs is reachable by keyboard alone."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def tab_to(page: Page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused element's accessible name is `name` (fails after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent || ''"
        )
        if focused.strip() == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


class TestKeyboard:
    def test_search_add_to_cart_and_open_the_cart_without_a_mouse(self, page: Page, storefront: str) -> None:
        page.goto(storefront)
        expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
        tab_to(page, "Search")  # the search button comes right after the box
        page.keyboard.press("Shift+Tab")
        page.keyboard.type("hobbit")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Results for “hobbit”")).to_be_visible()
        # The heading shows before the results arrive: on a busy machine Tab once ran past the page before them
        expect(page.get_by_role("button", name="Add The Hobbit to cart").first).to_be_visible()
        tab_to(page, "Add The Hobbit to cart")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status").filter(has_text="Added to cart")).to_be_visible()
        page.keyboard.press("Home")
        page.locator("body").focus()
        tab_to(page, "Cart (1)")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
        expect(page.get_by_role("button", name="Remove The Hobbit").first).to_be_visible()  # the cart's lines loaded
        tab_to(page, "Remove The Hobbit")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Your cart is empty.")).to_be_visible()
