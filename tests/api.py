"""Calls to the running services' APIs that tests use to arrange or inspect state."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bookstore import netutil
from bookstore.components import Context
from bookstore.config import PUBLIC_HOSTS


@contextmanager
def api_client(ctx: Context, host: str = "api.service.net") -> Iterator[httpx.Client]:
    """A client for https://<host>:30000 through the gateway, trusting the local CA, with a cookie jar."""
    tls = ssl.create_default_context(cafile=str(ctx.paths.tls / "ca.pem"))
    with (
        netutil.resolve_locally(PUBLIC_HOSTS),
        httpx.Client(base_url=f"https://{host}:{ctx.port('GATEWAY_PORT')}", verify=tls, timeout=15) as client,
    ):
        yield client


def with_csrf(client: httpx.Client, auth: dict[str, str]) -> dict[str, str]:
    response = client.get("/ecom/csrf", headers=auth)
    assert response.status_code == 200, response.text
    return {**auth, "X-CSRF-Token": response.json()["token"]}


def set_stock(client: httpx.Client, admin: dict[str, str], book: uuid.UUID, units: int) -> None:
    response = client.put(f"/inven/admin/stock/{book}", json={"available": units}, headers=admin)
    assert response.status_code == 200, response.text


def available(client: httpx.Client, book: uuid.UUID) -> int:
    return int(client.get(f"/inven/stock/{book}").json()["available"])


def empty_cart(client: httpx.Client, headers: dict[str, str]) -> None:
    """user1's cart is shared by every test that signs in as user1: each starts from an empty one."""
    for line in client.get("/ecom/cart", headers=headers).json()["items"]:
        assert client.delete(f"/ecom/cart/items/{line['book_id']}", headers=headers).status_code == 200
