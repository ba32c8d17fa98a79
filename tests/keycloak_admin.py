"""Keycloak's admin REST API on loopback (never published through the gateway): throwaway realm users."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bookstore.components import BY_NAME, Context
from bookstore.components.keycloak import Keycloak, admin_token


@contextmanager
def keycloak_admin(ctx: Context) -> Iterator[httpx.Client]:
    keycloak = BY_NAME["keycloak"]
    assert isinstance(keycloak, Keycloak)
    base = f"http://127.0.0.1:{ctx.port(keycloak.port_var)}"
    token = admin_token(ctx, keycloak)
    with httpx.Client(
        base_url=f"{base}/admin/realms/bookstore", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        yield client


@contextmanager
def temporary_user(admin: httpx.Client, prefix: str, roles: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """A realm user with the given realm roles, deleted afterwards; yields (username, password)."""
    username, password = f"{prefix}-{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    created = admin.post(
        "/users",
        json={
            "username": username,
            "enabled": True,
            "email": f"{username}@myecom.net",
            "emailVerified": True,
            "firstName": prefix.capitalize(),
            "lastName": "Test",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.headers["location"].rsplit("/", 1)[-1]
    try:
        if roles:
            mapped = admin.post(
                f"/users/{user_id}/role-mappings/realm", json=[admin.get(f"/roles/{r}").json() for r in roles]
            )
            assert mapped.status_code == 204, mapped.text
        yield username, password
    finally:
        admin.delete(f"/users/{user_id}")
