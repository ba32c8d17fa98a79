"""Order history and cancel: the order is listed, its detail shows the lines, cancelling puts the stock back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from servicekit.catalog import load_catalog

from bookstore.components import Context
from bookstore.config import ROOT
from tests.api import set_stock, with_csrf
from tests.e2e.shopping import add_to_cart, check_out
from tests.keycloak_admin import keycloak_admin, temporary_user
from tests.tokens import user_token

CATALOG = load_catalog(ROOT / "data" / "catalog" / "books.json")
BOOK = next(b for b in CATALOG if b.title == "Neuromancer")
OTHER_BOOK = next(b for b in CATALOG if b.title == "Wolf Hall")


@pytest.fixture
def someone_elses_order(ctx: Context, api: httpx.Client, admin_auth: dict[str, str]) -> Iterator[str]:
    """An order placed (through the API) by a second, throwaway customer; its id."""
    with keycloak_admin(ctx) as admin, temporary_user(admin, "other", roles=("customer",)) as (username, password):
        owner = with_csrf(api, {"Authorization": f"Bearer {user_token(ctx, username, password)}"})
        set_stock(api, admin_auth, OTHER_BOOK.id, 5)
        added = api.post("/ecom/cart", json={"book_id": str(OTHER_BOOK.id), "quantity": 1}, headers=owner)
        assert added.status_code == 200, added.text
        placed = api.post("/ecom/checkout", headers={**owner, "Idempotency-Key": str(uuid.uuid4())})
        assert placed.status_code == 201, placed.text
        order_id = str(placed.json()["order_id"])
        # A real order that its owner can read.
        assert api.get(f"/ecom/orders/{order_id}", headers=owner).json()["items"][0]["title"] == OTHER_BOOK.title
        yield order_id


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

    def test_someone_elses_order_shows_not_found(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None], someone_elses_order: str
    ) -> None:
        page.goto(f"{storefront}/orders")
        sign_in_customer(page)
        page.goto(f"{storefront}/orders/{someone_elses_order}")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_text(f"1 × {OTHER_BOOK.title}")).to_have_count(0)
        expect(page.get_by_text(someone_elses_order)).to_have_count(0)

    def test_an_unknown_order_shows_not_found(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None]
    ) -> None:
        page.goto(f"{storefront}/orders")
        sign_in_customer(page)
        page.goto(f"{storefront}/orders/00000000-0000-4000-8000-000000000000")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
