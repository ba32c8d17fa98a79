"""Realm policies that protect users: brute-force lockout, short-lived access tokens."""

from __future__ import annotations

import html
import re
import secrets
import ssl
from collections.abc import Iterator

import httpx
import pytest

from bookstore.components import Context


@pytest.fixture
def admin_api(ctx: Context) -> Iterator[httpx.Client]:
    """Keycloak's admin REST API, on loopback (it is not published through the gateway)."""
    base = f"http://127.0.0.1:{ctx.port('KEYCLOAK_PORT')}"
    token = httpx.post(
        f"{base}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": ctx.env["KEYCLOAK_ADMIN_USER"],
            "password": ctx.env["KEYCLOAK_ADMIN_PASSWORD"],
        },
        timeout=10,
    ).json()["access_token"]
    with httpx.Client(
        base_url=f"{base}/admin/realms/bookstore", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        yield client


@pytest.fixture
def throwaway_user(admin_api: httpx.Client) -> Iterator[tuple[str, str]]:
    username, password = f"bf-{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    created = admin_api.post(
        "/users",
        json={
            "username": username,
            "enabled": True,
            "email": f"{username}@myecom.net",
            "emailVerified": True,
            "firstName": "Brute",
            "lastName": "Force",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.headers["location"].rsplit("/", 1)[-1]
    yield username, password
    admin_api.delete(f"/users/{user_id}")


def _form_login(gateway_port: int, ca_file: str, username: str, password: str) -> httpx.Response:
    """Keycloak's login form, submitted as a browser would; returns the response to the POST."""
    realm = f"https://idp.keycloak.net:{gateway_port}/realms/bookstore"
    with httpx.Client(verify=ssl.create_default_context(cafile=ca_file), timeout=10) as client:
        page = client.get(
            f"{realm}/protocol/openid-connect/auth",
            params={
                "client_id": "ui-client",
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": f"https://myecom.net:{gateway_port}/callback",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
        action = html.unescape(re.search(r'action="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
        return client.post(action, data={"username": username, "password": password, "credentialId": ""})


def _logged_in(response: httpx.Response, gateway_port: int) -> bool:
    return response.status_code == 302 and response.headers["location"].startswith(
        f"https://myecom.net:{gateway_port}/callback?"
    )


class TestBruteForceProtection:
    def test_account_is_locked_after_repeated_failures(
        self, throwaway_user: tuple[str, str], gateway_port: int, ca_file: str, public_dns: None
    ) -> None:
        username, password = throwaway_user
        assert _logged_in(_form_login(gateway_port, ca_file, username, password), gateway_port)
        for _ in range(5):
            failed = _form_login(gateway_port, ca_file, username, "wrong-" + password)
            assert failed.status_code == 200 and not _logged_in(failed, gateway_port)
        # The right password no longer works while the temporary lockout lasts.
        locked = _form_login(gateway_port, ca_file, username, password)
        assert not _logged_in(locked, gateway_port)


class TestTokenLifetimes:
    def test_realm_issues_short_lived_access_tokens_and_rotates_refresh_tokens(self, admin_api: httpx.Client) -> None:
        realm = admin_api.get("").json()
        assert realm["accessTokenLifespan"] <= 300
        assert realm["ssoSessionIdleTimeout"] <= 3600
        assert realm["revokeRefreshToken"] is True
        assert realm["bruteForceProtected"] is True
