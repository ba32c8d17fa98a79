"""Catalog: grid with stock badges, paging, genre filter, book detail, and the 404 page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PAGE_SIZE = 12  # the storefront's catalog page


def titles(page: Page) -> list[str]:
    return page.locator(".book-card h2").all_inner_texts()


class TestCatalog:
    def test_grid_shows_books_with_prices_and_stock_badges(self, page: Page, storefront: str) -> None:
        page.goto(storefront)
        expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
        expect(page.locator(".book-card")).to_have_count(12)
        expect(page.locator(".book-card").first.locator(".badge")).to_have_text(
            re.compile(r"In stock|Only \d+ left|Out of stock")
        )
        expect(page.get_by_role("status").filter(has_text="books")).to_have_text(re.compile(r"^\d+ books$"))

    def test_next_and_previous_page_change_the_books(self, page: Page, storefront: str) -> None:
        page.goto(storefront)
        expect(page.locator(".book-card")).to_have_count(12)
        first = titles(page)
        page.get_by_role("button", name="Next page").click()
        expect(page.get_by_text("Page 2 of")).to_be_visible()
        expect(page.locator(".book-card h2").first).not_to_have_text(first[0])
        assert not set(titles(page)) & set(first)
        page.get_by_role("button", name="Previous page").click()
        expect(page.locator(".book-card h2").first).to_have_text(first[0])
        expect(page.get_by_role("button", name="Previous page")).to_be_disabled()

    def test_genre_filter_shows_only_that_genre(self, page: Page, storefront: str) -> None:
        page.goto(storefront)
        page.get_by_label("Genre").select_option("Fantasy")
        expect(page).to_have_url(re.compile(r"genre=Fantasy"))
        expect(page.locator(".book-card").filter(has_text="The Hobbit")).to_have_count(1)
        option = re.search(r"\((\d+)\)", page.get_by_label("Genre").locator("option:checked").inner_text())
        assert option, "the selected genre option shows no count"
        count = int(option[1])
        expect(page.get_by_role("status").filter(has_text="books")).to_have_text(f"{count} books")
        assert count <= PAGE_SIZE, "the genre no longer fits one page: walk the pages below"
        expect(page.locator(".book-card")).to_have_count(count)
        # Each card is a Fantasy book: its own page says so.
        cards = page.locator(".book-card h2 a")
        books = list(zip(cards.all_inner_texts(), cards.evaluate_all("links => links.map(a => a.href)"), strict=True))
        for title, href in books:
            page.goto(href)
            expect(page.get_by_role("heading", level=1)).to_have_text(title)
            expect(page.locator("dt:text-is('Genre') + dd"), title).to_have_text("Fantasy")

    def test_book_detail_shows_the_book(self, page: Page, storefront: str) -> None:
        page.goto(storefront)
        page.get_by_label("Genre").select_option("Fantasy")
        page.get_by_role("link", name="The Hobbit").click()
        expect(page.get_by_role("heading", level=1, name="The Hobbit")).to_be_visible()
        expect(page.get_by_text("by J.R.R. Tolkien")).to_be_visible()
        expect(page.get_by_text("9780547928227")).to_be_visible()
        expect(page.get_by_role("img", name="Cover of The Hobbit")).to_be_visible()

    def test_an_unknown_book_or_address_shows_the_not_found_page(self, page: Page, storefront: str) -> None:
        page.goto(f"{storefront}/books/00000000-0000-0000-0000-000000000000")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        page.goto(f"{storefront}/no/such/page")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        page.get_by_role("link", name="Back to the catalog").click()
        expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
