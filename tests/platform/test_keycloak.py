"""Keycloak through the gateway: OIDC discovery, and a real Authorization Code + PKCE login in Chromium."""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from bookstore.components import Context
from tests.tokens import service_token


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def realm_url(gateway_port: int) -> str:
    return f"https://idp.keycloak.net:{gateway_port}/realms/bookstore"


@pytest.fixture
def ui_origin(gateway_port: int) -> str:
    return f"https://myecom.net:{gateway_port}"


class TestDiscovery:
    def test_discovery_is_served_through_the_gateway_with_exact_issuer(
        self, realm_url: str, ca_file: str, public_dns: None
    ) -> None:
        response = httpx.get(
            f"{realm_url}/.well-known/openid-configuration",
            verify=ssl.create_default_context(cafile=ca_file),
            timeout=10,
        )
        assert response.status_code == 200
        config = response.json()
        assert config["issuer"] == realm_url
        assert config["token_endpoint"] == f"{realm_url}/protocol/openid-connect/token"
        assert "S256" in config["code_challenge_methods_supported"]


class TestPasswordGrant:
    def test_password_grant_for_ui_client_is_refused(
        self, ctx: Context, realm_url: str, ca_file: str, public_dns: None
    ) -> None:
        response = httpx.post(
            f"{realm_url}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "ui-client",
                "username": ctx.env["BOOKSTORE_CUSTOMER_USER"],
                "password": ctx.env["BOOKSTORE_CUSTOMER_PASSWORD"],
            },
            verify=ssl.create_default_context(cafile=ca_file),
            timeout=10,
        )
        assert response.status_code in (400, 401)
        assert response.json()["error"] == "unauthorized_client"
        assert "access_token" not in response.json()


class TestServiceAccounts:
    @pytest.mark.parametrize("client_id", ["ecom-service", "inventory-service"])
    def test_client_credentials_token_carries_the_api_audience(
        self, ctx: Context, client_id: str, realm_url: str
    ) -> None:
        # Services reach Keycloak on loopback (backchannel); the issuer stays the public one.
        claims = _claims(service_token(ctx, client_id))
        assert claims["iss"] == realm_url
        assert "bookstore-api" in ([claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"])

    def test_wrong_client_secret_is_refused(self, ctx: Context) -> None:
        response = httpx.post(
            f"http://127.0.0.1:{ctx.port('KEYCLOAK_PORT')}/realms/bookstore/protocol/openid-connect/token",
            data={"grant_type": "client_credentials", "client_id": "ecom-service", "client_secret": "wrong"},
            timeout=10,
        )
        assert response.status_code == 401


# Runs in the storefront's origin, as the SPA will: PKCE verifier and S256 challenge via WebCrypto.
_MAKE_PKCE = """async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
      .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const verifier = b64url(bytes);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return {verifier, challenge: b64url(digest), state: b64url(crypto.getRandomValues(new Uint8Array(16)))};
}"""

# A null verifier leaves code_verifier out of the request altogether.
_EXCHANGE = """async ({tokenUrl, code, verifier, redirectUri}) => {
  const body = new URLSearchParams({grant_type: 'authorization_code', client_id: 'ui-client',
                                    code, redirect_uri: redirectUri});
  if (verifier !== null) body.set('code_verifier', verifier);
  const response = await fetch(tokenUrl, {method: 'POST', body});
  return {status: response.status, body: await response.json()};
}"""


def pkce_login(page: Page, ui_origin: str, realm_url: str, username: str, password: str) -> dict[str, Any]:
    """Authorization Code + PKCE: login page, redirect with a code, token exchange from the UI origin."""
    page.goto(f"{ui_origin}/")
    pkce = page.evaluate(_MAKE_PKCE)
    redirect_uri = f"{ui_origin}/callback"
    params = httpx.QueryParams(
        {
            "client_id": "ui-client",
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": redirect_uri,
            "state": pkce["state"],
            "code_challenge": pkce["challenge"],
            "code_challenge_method": "S256",
        }
    )
    page.goto(f"{realm_url}/protocol/openid-connect/auth?{params}")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{redirect_uri}?**")
    query = httpx.URL(page.url).params
    assert query["state"] == pkce["state"]
    result = page.evaluate(
        _EXCHANGE,
        {
            "tokenUrl": f"{realm_url}/protocol/openid-connect/token",
            "code": query["code"],
            "verifier": pkce["verifier"],
            "redirectUri": redirect_uri,
        },
    )
    assert result["status"] == 200, result
    return result["body"]


class TestPkceLogin:
    def test_customer_login_yields_token_with_customer_role(
        self, page: Page, ctx: Context, ui_origin: str, realm_url: str
    ) -> None:
        tokens = pkce_login(
            page,
            ui_origin,
            realm_url,
            ctx.env["BOOKSTORE_CUSTOMER_USER"],
            ctx.env["BOOKSTORE_CUSTOMER_PASSWORD"],
        )
        claims = _claims(tokens["access_token"])
        assert claims["iss"] == realm_url
        assert claims["azp"] == "ui-client"
        assert "customer" in claims["realm_access"]["roles"]
        assert "admin" not in claims["realm_access"]["roles"]
        assert "bookstore-api" in claims["aud"]
        assert 0 < claims["exp"] - claims["iat"] <= 300

    def test_admin_login_yields_token_with_admin_role(
        self, page: Page, ctx: Context, ui_origin: str, realm_url: str
    ) -> None:
        tokens = pkce_login(
            page, ui_origin, realm_url, ctx.env["BOOKSTORE_ADMIN_USER"], ctx.env["BOOKSTORE_ADMIN_PASSWORD"]
        )
        assert {"admin", "customer"} <= set(_claims(tokens["access_token"])["realm_access"]["roles"])

    @pytest.mark.parametrize(
        "verifier",
        [None, "a-wrong-verifier-that-is-long-enough-to-be-valid-syntax-000"],
        ids=["without-the-verifier", "with-a-wrong-verifier"],
    )
    def test_code_exchange_without_the_right_verifier_is_refused(
        self, page: Page, ctx: Context, ui_origin: str, realm_url: str, verifier: str | None
    ) -> None:
        page.goto(f"{ui_origin}/")
        params = httpx.QueryParams(
            {
                "client_id": "ui-client",
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": f"{ui_origin}/callback",
                "state": "s1",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            }
        )
        page.goto(f"{realm_url}/protocol/openid-connect/auth?{params}")
        page.get_by_label("Username or email").fill(ctx.env["BOOKSTORE_CUSTOMER_USER"])
        page.get_by_label("Password", exact=True).fill(ctx.env["BOOKSTORE_CUSTOMER_PASSWORD"])
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{ui_origin}/callback?**")
        result = page.evaluate(
            _EXCHANGE,
            {
                "tokenUrl": f"{realm_url}/protocol/openid-connect/token",
                "code": httpx.URL(page.url).params["code"],
                "verifier": verifier,
                "redirectUri": f"{ui_origin}/callback",
            },
        )
        assert result["status"] == 400 and result["body"]["error"] == "invalid_grant", result
        assert "access_token" not in result["body"]

    def test_authorization_request_without_pkce_is_refused(self, page: Page, ui_origin: str, realm_url: str) -> None:
        params = httpx.QueryParams(
            {
                "client_id": "ui-client",
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": f"{ui_origin}/callback",
                "state": "s2",
            }
        )
        page.goto(f"{realm_url}/protocol/openid-connect/auth?{params}")
        page.wait_for_url(f"{ui_origin}/callback?**")
        assert "Missing parameter: code_challenge_method" in httpx.URL(page.url).params["error_description"]

    def test_foreign_redirect_uri_is_refused(self, page: Page, realm_url: str) -> None:
        params = httpx.QueryParams(
            {
                "client_id": "ui-client",
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": "https://evil.example/callback",
                "code_challenge_method": "S256",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            }
        )
        page.goto(f"{realm_url}/protocol/openid-connect/auth?{params}")
        assert page.get_by_text("Invalid parameter: redirect_uri").is_visible()
