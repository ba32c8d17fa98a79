"""Steps several storefront tests take, written once: add a book to the cart, check the cart out."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def add_to_cart(page: Page, title: str) -> None:
    """On a page that shows the book (catalog, search or detail): its Add button, then the confirmation."""
    page.get_by_role("button", name=f"Add {title} to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to cart")).to_be_visible()


def check_out(page: Page) -> str:
    """From any page of a signed-in shopper with a non-empty cart: cart → checkout → confirmation; the order id."""
    page.get_by_role("link", name=re.compile(r"^Cart \(\d+\)$")).click()
    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    return page.get_by_test_id("order-id").inner_text()
