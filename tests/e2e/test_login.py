"""Login (Authorization Code + PKCE): back where the user was, tokens only in memory, a reload keeps the
session, logout ends it at Keycloak too."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from bookstore.components import Context

STORAGE = """() => ({
  local: Object.fromEntries(Object.entries(localStorage)),
  session: Object.fromEntries(Object.entries(sessionStorage)),
  cookie: document.cookie,
})"""
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


class TestLogin:
    def test_login_returns_to_the_page_and_keeps_tokens_out_of_storage(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None], ctx: Context
    ) -> None:
        page.goto(f"{storefront}/search?q=hobbit")
        sign_in_customer(page)
        expect(page).to_have_url(f"{storefront}/search?q=hobbit")
        stored = page.evaluate(STORAGE)
        everything = " ".join([*stored["local"].values(), *stored["session"].values(), stored["cookie"]])
        assert not JWT.search(everything), stored
        assert not any(
            "token" in key.lower() or key.startswith("oidc.") for key in [*stored["local"], *stored["session"]]
        )
        assert stored["cookie"] == ""  # the guest cookie is HttpOnly; nothing else is set
        # Nothing at all is kept in web storage once signed in (the PKCE state is removed at the callback).
        assert stored["local"] == {} and stored["session"] == {}, stored

    def test_a_reload_keeps_the_user_signed_in_without_the_password(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None], ctx: Context
    ) -> None:
        page.goto(f"{storefront}/orders")
        sign_in_customer(page)
        page.reload()
        username = ctx.env["BOOKSTORE_CUSTOMER_USER"]
        expect(page.get_by_role("button", name=f"Sign out {username}")).to_be_visible()
        expect(page).to_have_url(f"{storefront}/orders")
        expect(page.get_by_role("heading", name="My orders")).to_be_visible()

    def test_a_wrong_password_is_refused_and_the_shopper_stays_signed_out(
        self, page: Page, storefront: str, ctx: Context
    ) -> None:
        page.goto(storefront)
        page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_label("Username or email").fill(ctx.env["BOOKSTORE_CUSTOMER_USER"])
        page.get_by_label("Password", exact=True).fill("not-the-password")
        page.get_by_role("button", name="Sign In").click()
        expect(page.get_by_text("Invalid username or password.")).to_be_visible()
        page.goto(storefront)
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()

    def test_logout_ends_the_keycloak_session(
        self, page: Page, storefront: str, sign_in_customer: Callable[[Page], None], ctx: Context
    ) -> None:
        page.goto(storefront)
        sign_in_customer(page)
        page.get_by_role("button", name=re.compile("^Sign out")).click()
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        # The Keycloak session is gone: signing in again asks for the password.
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_label("Password", exact=True)).to_be_visible()
