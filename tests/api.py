"""Calls to the running services' APIs that tests use to arrange or inspect state."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bookstore import netutil
from bookstore.components import Context
from bookstore.config import PUBLIC_HOSTS
from tests import target


@contextmanager
def api_client(ctx: Context, host: str = "api.service.net") -> Iterator[httpx.Client]:
    """A client for https://<host>:<gateway port> of the deployment under test (tests/target.py), trusting its CA,
    with a cookie jar."""
    deployment = target.current(ctx)
    tls = ssl.create_default_context(cafile=str(deployment.ca_file))
    with (
        netutil.resolve_locally(PUBLIC_HOSTS),
        httpx.Client(base_url=deployment.origin(host), verify=tls, timeout=15) as client,
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


def new_isbn() -> str:
    """A random valid ISBN-13."""
    isbn = "978" + str(uuid.uuid4().int)[:9]
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(isbn)) % 10) % 10
    return f"{isbn}{check}"


def create_book(
    client: httpx.Client,
    admin: dict[str, str],
    title: str,
    *,
    price: str = "9.99",
    author: str = "Mallory Payload",
    genre: str = "Security",
    description: str = "A book created by a test.",
) -> str:
    """A new book in the catalog (through the admin API); returns its id."""
    body = {
        "title": title,
        "author": author,
        "isbn13": new_isbn(),
        "genre": genre,
        "year": 2024,
        "price": price,
        "description": description,
    }
    response = client.post("/ecom/admin/books", json=body, headers=with_csrf(client, admin))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def place_order(client: httpx.Client, headers: dict[str, str], lines: dict[uuid.UUID, int]) -> dict[str, Any]:
    """Fill the customer's cart with `lines` and check out (`headers` carry the token and the CSRF token)."""
    for book, quantity in lines.items():
        added = client.post("/ecom/cart", json={"book_id": str(book), "quantity": quantity}, headers=headers)
        assert added.status_code == 200, added.text
    placed = client.post("/ecom/checkout", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert placed.status_code == 201, placed.text
    body: dict[str, Any] = placed.json()
    return body
