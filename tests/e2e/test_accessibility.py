"""axe-core on every storefront page: no serious or critical violations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from servicekit.catalog import load_catalog

from bookstore.config import ROOT
from tests.api import set_stock
from tests.e2e.shopping import add_to_cart

AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
HOBBIT = next(b for b in load_catalog(ROOT / "data" / "catalog" / "books.json") if b.title == "The Hobbit")


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A page whose context lets the test inject axe-core (the storefront's CSP would refuse the script)."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class TestAccessibility:
    @pytest.mark.parametrize(
        ("path", "ready"),
        [
            ("/", "Catalog"),
            ("/?genre=Fantasy&page=1", "Catalog"),
            ("/search?q=tolkein", "Results for “tolkein”"),
            ("/search?q=xqzvbnmwrtp", "Results for “xqzvbnmwrtp”"),
            (f"/books/{HOBBIT.id}", "The Hobbit"),
            ("/cart", "Your cart"),
            ("/no/such/page", "Page not found"),
        ],
    )
    def test_public_pages(self, axe_page: Page, storefront: str, path: str, ready: str) -> None:
        axe_page.goto(f"{storefront}{path}")
        expect(axe_page.get_by_role("heading", level=1, name=ready)).to_be_visible()
        axe_page.wait_for_load_state("networkidle")
        assert violations(axe_page) == []

    def test_pages_of_a_signed_in_customer(
        self,
        axe_page: Page,
        storefront: str,
        sign_in_customer: Callable[[Page], None],
        empty_customer_cart: None,
        api: httpx.Client,
        admin_auth: dict[str, str],
    ) -> None:
        set_stock(api, admin_auth, HOBBIT.id, 50)
        axe_page.goto(f"{storefront}/books/{HOBBIT.id}")
        sign_in_customer(axe_page)
        add_to_cart(axe_page, "The Hobbit")
        for link, heading in (("Cart (1)", "Your cart"), ("My orders", "My orders")):
            axe_page.get_by_role("link", name=link).click()
            expect(axe_page.get_by_role("heading", level=1, name=heading)).to_be_visible()
            axe_page.wait_for_load_state("networkidle")
            assert violations(axe_page) == [], heading
        axe_page.get_by_role("link", name="Cart (1)").click()
        axe_page.get_by_role("link", name="Proceed to checkout").click()
        expect(axe_page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
        assert violations(axe_page) == [], "checkout"
        axe_page.get_by_role("button", name="Place order").click()
        expect(axe_page.get_by_role("heading", level=1, name="Thank you for your order")).to_be_visible()
        assert violations(axe_page) == [], "confirmation"

    def test_admin_pages(self, axe_page: Page, storefront: str, sign_in_admin: Callable[[Page], None]) -> None:
        axe_page.goto(f"{storefront}/admin")
        sign_in_admin(axe_page)
        expect(axe_page.get_by_role("heading", level=1, name="Manage books")).to_be_visible()
        axe_page.wait_for_load_state("networkidle")
        assert violations(axe_page) == [], "books"
        for link, heading in (("Add a book", "Add a book"), ("All orders", "All orders")):
            axe_page.goto(f"{storefront}/admin")
            axe_page.get_by_role("link", name=link).click()
            expect(axe_page.get_by_role("heading", level=1, name=heading)).to_be_visible()
            axe_page.wait_for_load_state("networkidle")
            assert violations(axe_page) == [], heading
        axe_page.goto(f"{storefront}/admin")
        axe_page.get_by_role("link", name="Edit 1984").click()
        expect(axe_page.get_by_role("heading", level=1, name="Edit book")).to_be_visible()
        axe_page.wait_for_load_state("networkidle")
        assert violations(axe_page) == [], "edit"
