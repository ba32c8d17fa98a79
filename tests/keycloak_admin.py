"""Keycloak's admin REST API on loopback (never published through the gateway): throwaway realm users."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager

import httpx

from bookstore.components import BY_NAME, Context
from bookstore.components.keycloak import Keycloak, admin_token


class RefreshingToken(httpx.Auth):
    """A bearer token fetched when first needed and again when the server refuses it: the master realm's admin
    tokens live a minute, and a load run or a benchmark keeps its client longer (its users' deletion at the end
    was refused, and they stayed in the realm)."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch
        self._token: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None:
            self._token = self._fetch()
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._token = self._fetch()
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


@contextmanager
def keycloak_admin(ctx: Context) -> Iterator[httpx.Client]:
    keycloak = BY_NAME["keycloak"]
    assert isinstance(keycloak, Keycloak)
    base = f"http://127.0.0.1:{ctx.port(keycloak.port_var)}"
    auth = RefreshingToken(lambda: admin_token(ctx, keycloak))
    with httpx.Client(base_url=f"{base}/admin/realms/bookstore", auth=auth, timeout=10) as client:
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
        deleted = admin.delete(f"/users/{user_id}")
        assert deleted.status_code in (204, 404), f"user {username} was not deleted: {deleted.status_code}"
