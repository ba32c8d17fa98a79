"""Realm policies that protect users: brute-force lockout, short-lived access tokens."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from bookstore.components import Context
from tests.keycloak_admin import keycloak_admin, temporary_user
from tests.tokens import pkce_pair, submit_login_form


@pytest.fixture
def admin_api(ctx: Context) -> Iterator[httpx.Client]:
    with keycloak_admin(ctx) as client:
        yield client


@pytest.fixture
def throwaway_user(admin_api: httpx.Client) -> Iterator[tuple[str, str]]:
    with temporary_user(admin_api, "bf") as user:
        yield user


def _form_login(ctx: Context, username: str, password: str) -> httpx.Response:
    tls = ssl.create_default_context(cafile=str(ctx.paths.tls / "ca.pem"))
    with httpx.Client(verify=tls, timeout=10) as client:
        return submit_login_form(ctx, client, username, password, pkce_pair()[1])


def _logged_in(response: httpx.Response, gateway_port: int) -> bool:
    return response.status_code == 302 and response.headers["location"].startswith(
        f"https://myecom.net:{gateway_port}/callback?"
    )


class TestBruteForceProtection:
    def test_account_is_locked_after_repeated_failures(
        self, ctx: Context, throwaway_user: tuple[str, str], gateway_port: int, public_dns: None
    ) -> None:
        username, password = throwaway_user
        assert _logged_in(_form_login(ctx, username, password), gateway_port)
        for _ in range(5):
            failed = _form_login(ctx, username, "wrong-" + password)
            assert failed.status_code == 200 and not _logged_in(failed, gateway_port)
        # The right password no longer works while the temporary lockout lasts.
        locked = _form_login(ctx, username, password)
        assert not _logged_in(locked, gateway_port)


class TestTokenLifetimes:
    def test_realm_issues_short_lived_access_tokens_and_rotates_refresh_tokens(self, admin_api: httpx.Client) -> None:
        realm = admin_api.get("").json()
        assert realm["accessTokenLifespan"] <= 300
        assert realm["ssoSessionIdleTimeout"] <= 3600
        assert realm["revokeRefreshToken"] is True
        assert realm["bruteForceProtected"] is True
