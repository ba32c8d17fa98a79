"""Search from the header: typo-tolerant results, and the no-results state."""

from __future__ import annotations

from playwright.sync_api import Page, expect


class TestSearch:
    def test_a_misspelt_author_finds_the_books(self, page: Page, storefront: str) -> None:
        page.goto(storefront)
        page.get_by_role("searchbox", name="Search books").fill("tolkein")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.get_by_role("heading", name="Results for “tolkein”")).to_be_visible()
        expect(page.locator(".book-card").filter(has_text="The Hobbit")).to_have_count(1)

    def test_nonsense_shows_no_results_in_plain_words(self, page: Page, storefront: str) -> None:
        page.goto(storefront)
        page.get_by_role("searchbox", name="Search books").fill("xqzvbnmwrtp")
        page.get_by_role("searchbox", name="Search books").press("Enter")
        expect(page.get_by_text("No books match “xqzvbnmwrtp”")).to_be_visible()
        expect(page.locator(".book-card")).to_have_count(0)
