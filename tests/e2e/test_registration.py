"""Shopper accounts: a visitor creates an account from the storefront, verifies the address through the mail
Keycloak sent, comes back signed in as a customer, buys a book and gets the confirmation and cancellation
emails; weak passwords and taken emails are refused; a forgotten password is reset by email."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from bookstore.components import Context
from tests.api import create_book, set_stock
from tests.e2e.shopping import add_to_cart, check_out
from tests.keycloak_admin import keycloak_admin
from tests.mail import link_in, search, wait_for_mail

STRONG = "correct-Horse-battery-9"


@pytest.fixture
def visitor(ctx: Context) -> Iterator[tuple[str, str]]:
    """A new person's username and email; whatever account the test creates for them is deleted afterwards."""
    name = f"reader{secrets.token_hex(4)}"
    yield name, f"{name}@example.org"
    with keycloak_admin(ctx) as admin:
        for user in admin.get("/users", params={"username": name, "exact": "true"}).json():
            admin.delete(f"/users/{user['id']}")


def open_registration(page: Page, storefront: str) -> None:
    page.goto(storefront)
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name=re.compile("Register"))).to_be_visible()


def fill_registration(page: Page, username: str, email: str, password: str) -> None:
    page.get_by_role("textbox", name="Username", exact=True).fill(username)
    page.get_by_role("textbox", name="Email", exact=True).fill(email)
    page.get_by_role("textbox", name="First name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="Last name", exact=True).fill("Reader")
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("textbox", name="Confirm password", exact=True).fill(password)
    page.get_by_role("button", name="Register").click()


def users_named(ctx: Context, username: str) -> list[dict[str, object]]:
    with keycloak_admin(ctx) as admin:
        return list(admin.get("/users", params={"username": username, "exact": "true"}).json())


class TestRegistration:
    def test_a_new_visitor_registers_verifies_buys_and_is_mailed_the_order_and_its_cancellation(
        self,
        page: Page,
        ctx: Context,
        storefront: str,
        api: httpx.Client,
        admin_auth: dict[str, str],
        visitor: tuple[str, str],
    ) -> None:
        username, email = visitor
        title = f"First Purchase {secrets.token_hex(3)}"
        book = create_book(api, admin_auth, title, price="13.40")
        set_stock(api, admin_auth, uuid.UUID(book), 5)

        open_registration(page, storefront)
        fill_registration(page, username, email, STRONG)
        expect(page.get_by_text(re.compile("verify your email", re.IGNORECASE)).first).to_be_visible()

        verification = wait_for_mail(ctx, f"to:{email}", "Verify email")
        page.goto(link_in(verification, "action-token"))
        sign_out = page.get_by_role("button", name=f"Sign out {username}")
        expect(sign_out).to_be_visible(timeout=30_000)
        [user] = users_named(ctx, username)
        assert user["emailVerified"] is True
        with keycloak_admin(ctx) as admin:
            roles = {r["name"] for r in admin.get(f"/users/{user['id']}/role-mappings/realm/composite").json()}
        assert "customer" in roles

        page.goto(f"{storefront}/books/{book}")
        add_to_cart(page, title)
        order_id = check_out(page)
        confirmation = wait_for_mail(ctx, f"to:{email}", f"Your order {order_id} is confirmed")
        assert f"- {title} x 1 at 13.40 EUR" in confirmation
        assert "Total: 13.40 EUR" in confirmation

        page.get_by_role("link", name="My orders").click()
        page.get_by_role("link", name=re.compile(order_id[:8])).first.click()
        page.get_by_role("button", name=re.compile("Cancel")).click()
        cancellation = wait_for_mail(ctx, f"to:{email}", f"Your order {order_id} is cancelled")
        assert "Total: 13.40 EUR" in cancellation

    def test_a_weak_password_is_refused_with_keycloaks_message_and_no_account_is_made(
        self, page: Page, ctx: Context, storefront: str, visitor: tuple[str, str]
    ) -> None:
        username, email = visitor
        open_registration(page, storefront)
        fill_registration(page, username, email, "short1A")
        expect(page.get_by_text(re.compile(r"Invalid password: minimum length 12"))).to_be_visible()
        assert users_named(ctx, username) == []

    def test_an_email_already_registered_is_refused(
        self, page: Page, ctx: Context, storefront: str, visitor: tuple[str, str]
    ) -> None:
        username, _ = visitor
        taken = f"{ctx.env['BOOKSTORE_CUSTOMER_USER']}@myecom.net"
        open_registration(page, storefront)
        fill_registration(page, username, taken, STRONG)
        expect(page.get_by_text("Email already exists.")).to_be_visible()
        assert users_named(ctx, username) == []
        assert search(ctx, f'to:{taken} subject:"Verify email"') == []


class TestPasswordReset:
    def test_reset_by_email_the_old_password_stops_working_and_the_new_one_works(
        self, page: Page, ctx: Context, storefront: str, visitor: tuple[str, str]
    ) -> None:
        username, email = visitor
        with keycloak_admin(ctx) as admin:
            created = admin.post(
                "/users",
                json={
                    "username": username,
                    "email": email,
                    "emailVerified": True,
                    "enabled": True,
                    "firstName": "Ada",
                    "lastName": "Reader",
                    "credentials": [{"type": "password", "value": STRONG, "temporary": False}],
                },
            )
            assert created.status_code == 201, created.text
        new_password = "another-Long-secret-42"

        page.goto(storefront)
        page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_role("link", name="Forgot Password?").click()
        page.get_by_label("Username or email").fill(email)
        page.get_by_role("button", name="Submit").click()
        reset = wait_for_mail(ctx, f"to:{email}", "Reset password")
        page.goto(link_in(reset, "action-token"))
        page.get_by_role("textbox", name="New Password", exact=True).fill(new_password)
        page.get_by_role("textbox", name="Confirm password", exact=True).fill(new_password)
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("button", name=f"Sign out {username}")).to_be_visible(timeout=30_000)

        token_url = f"http://127.0.0.1:{ctx.port('KEYCLOAK_PORT')}/realms/bookstore/protocol/openid-connect/token"

        def password_grant(password: str) -> int:
            form = {"grant_type": "password", "client_id": "admin-cli", "username": username, "password": password}
            return httpx.post(token_url, data=form, timeout=10).status_code

        assert password_grant(STRONG) == 401
        assert password_grant(new_password) == 200
