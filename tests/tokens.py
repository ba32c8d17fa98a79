"""Real Keycloak tokens for tests: a user's via the login form + PKCE, a service account's via client credentials."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import ssl
from typing import Any

import httpx

from bookstore import netutil
from bookstore.components import Context
from bookstore.config import PUBLIC_HOSTS
from tests import target


def _realm(ctx: Context) -> str:
    return target.current(ctx).realm


def _redirect(ctx: Context) -> str:
    return f"{target.current(ctx).origin('myecom.net')}/callback"


def _tls(ctx: Context) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(target.current(ctx).ca_file))


def submit_login_form(
    ctx: Context, client: httpx.Client, username: str, password: str, challenge: str
) -> httpx.Response:
    """Open the authorization endpoint and submit Keycloak's login form as a browser would."""
    page = client.get(
        f"{_realm(ctx)}/protocol/openid-connect/auth",
        params={
            "client_id": "ui-client",
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": _redirect(ctx),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    action = re.search(r'action="([^"]+)"', page.text)
    assert action, f"no login form at {page.url}: {page.status_code}"
    return client.post(html.unescape(action.group(1)), data={"username": username, "password": password})


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def user_token(ctx: Context, username: str, password: str) -> str:
    """An access token for a realm user, through the gateway, by Authorization Code + PKCE."""
    return str(user_tokens(ctx, username, password)["access_token"])


def refresh(ctx: Context, refresh_token: str) -> httpx.Response:
    """The ui-client's refresh_token grant, through the gateway, as the storefront makes it."""
    with netutil.resolve_locally(PUBLIC_HOSTS), httpx.Client(verify=_tls(ctx), timeout=15) as client:
        return client.post(
            f"{_realm(ctx)}/protocol/openid-connect/token",
            data={"grant_type": "refresh_token", "client_id": "ui-client", "refresh_token": refresh_token},
        )


def user_tokens(ctx: Context, username: str, password: str) -> dict[str, Any]:
    """The token endpoint's whole answer (access, refresh and id token) for a realm user, by Authorization
    Code + PKCE through the gateway."""
    verifier, challenge = pkce_pair()
    redirect = _redirect(ctx)
    with netutil.resolve_locally(PUBLIC_HOSTS), httpx.Client(verify=_tls(ctx), timeout=15) as client:
        response = submit_login_form(ctx, client, username, password, challenge)
        assert response.status_code == 302 and response.headers["location"].startswith(redirect), response.text[:300]
        code = httpx.URL(response.headers["location"]).params["code"]
        tokens = client.post(
            f"{_realm(ctx)}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "ui-client",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect,
            },
        )
    assert tokens.status_code == 200, tokens.text
    body: dict[str, Any] = tokens.json()
    return body


def customer_token(ctx: Context) -> str:
    return user_token(ctx, ctx.env["BOOKSTORE_CUSTOMER_USER"], ctx.env["BOOKSTORE_CUSTOMER_PASSWORD"])


def admin_token(ctx: Context) -> str:
    return user_token(ctx, ctx.env["BOOKSTORE_ADMIN_USER"], ctx.env["BOOKSTORE_ADMIN_PASSWORD"])


def service_token(ctx: Context, client_id: str) -> str:
    """A service account's token, fetched on loopback as the services do."""
    secret = ctx.env[f"{client_id.removesuffix('-service').upper()}_SERVICE_CLIENT_SECRET"]
    response = httpx.post(
        f"http://127.0.0.1:{ctx.port('KEYCLOAK_PORT')}/realms/bookstore/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
