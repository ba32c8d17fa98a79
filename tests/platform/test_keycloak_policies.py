"""Realm policies that protect users: brute-force lockout, short-lived access tokens, refresh-token rotation."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from bookstore.components import Context
from tests.keycloak_admin import keycloak_admin, temporary_user
from tests.tokens import pkce_pair, refresh, submit_login_form, user_tokens


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
    def test_realm_issues_short_lived_access_tokens_and_locks_out_brute_force(self, admin_api: httpx.Client) -> None:
        realm = admin_api.get("").json()
        assert realm["accessTokenLifespan"] <= 300
        assert realm["ssoSessionIdleTimeout"] <= 3600
        assert realm["bruteForceProtected"] is True


class TestRefreshTokenRotation:
    def test_a_refresh_returns_a_new_refresh_token_and_the_used_one_is_refused(
        self, ctx: Context, admin_api: httpx.Client
    ) -> None:
        with temporary_user(admin_api, "rt", roles=("customer",)) as (username, password):
            first = user_tokens(ctx, username, password)["refresh_token"]

            refreshed = refresh(ctx, first)
            assert refreshed.status_code == 200, refreshed.text
            second = refreshed.json()["refresh_token"]
            assert second != first
            assert refreshed.json()["access_token"]

            # The one already used is spent: a stolen copy of it gets nothing.
            reused = refresh(ctx, first)
            assert reused.status_code == 400, "the used refresh token still works"
            assert reused.json()["error"] == "invalid_grant"
            assert "access_token" not in reused.json()
