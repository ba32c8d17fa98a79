"""Keycloak's sign-in form, as the storefront and Superset both send the browser to it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def fill_keycloak_form(page: Page, username: str, password: str) -> None:
    """On the way to Keycloak's form: wait for it with its scripts run (a sign-in clicked while they still loaded
    once sent no request), then fill it in and sign in."""
    expect(page).to_have_url(re.compile(r"/protocol/openid-connect/auth"))
    page.wait_for_load_state("load")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign In").click()
