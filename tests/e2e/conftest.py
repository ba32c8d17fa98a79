"""End-to-end fixtures: the real storefront at https://myecom.net:30000 in Debian's Chromium, real Keycloak
logins, the real services behind the gateway."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from bookstore.components import Context
from tests.api import api_client, empty_cart, with_csrf
from tests.e2e.keycloak_form import fill_keycloak_form
from tests.tokens import admin_token, customer_token


@pytest.fixture(scope="session")
def storefront(ctx: Context) -> str:
    return f"https://myecom.net:{ctx.port('GATEWAY_PORT')}"


def sign_in(page: Page, username: str, password: str) -> None:
    """From any storefront page: the header's Sign in, Keycloak's form, back where the user was."""
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign in", exact=True).click()
    fill_keycloak_form(page, username, password)
    expect(page.get_by_role("button", name=re.compile(rf"Sign out {re.escape(username)}"))).to_be_visible()


@pytest.fixture
def sign_in_customer(ctx: Context) -> Callable[[Page], None]:
    return lambda page: sign_in(page, ctx.env["BOOKSTORE_CUSTOMER_USER"], ctx.env["BOOKSTORE_CUSTOMER_PASSWORD"])


@pytest.fixture
def sign_in_admin(ctx: Context) -> Callable[[Page], None]:
    return lambda page: sign_in(page, ctx.env["BOOKSTORE_ADMIN_USER"], ctx.env["BOOKSTORE_ADMIN_PASSWORD"])


@pytest.fixture(scope="session")
def customer_auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token(ctx)}"}


@pytest.fixture(scope="session")
def admin_auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(ctx)}"}


@pytest.fixture
def api(ctx: Context) -> Iterator[httpx.Client]:
    with api_client(ctx) as client:
        yield client


@pytest.fixture
def empty_customer_cart(api: httpx.Client, customer_auth: dict[str, str]) -> None:
    """user1's cart is shared by every test that signs in as user1: each starts from an empty one."""
    empty_cart(api, with_csrf(api, customer_auth))
