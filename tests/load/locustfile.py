"""Shoppers against the running platform, through the TLS gateway: browse 70%, search 20%, cart + checkout 10%.

    make load                       # 20 shoppers for 2 minutes, then throughput, p95 and errors per request
    .venv/bin/locust -f tests/load/locustfile.py --headless --users 5 --spawn-rate 5 --run-time 30s

Every simulated shopper is a real Keycloak customer: created through the admin API when the run starts, signed in
by Authorization Code + PKCE, deleted when it ends. Each has its own rate-limit budget, as real customers do (all
the load comes from one address, whose anonymous budget would otherwise cap the run). The books it buys are
stocked for the run, so a checkout only fails when the platform does.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from locust import HttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from servicekit.catalog import load_catalog  # noqa: E402

from bookstore import netutil  # noqa: E402
from bookstore.config import PUBLIC_HOSTS  # noqa: E402
from bookstore.platform import build_context  # noqa: E402
from tests.keycloak_admin import keycloak_admin, temporary_user  # noqa: E402
from tests.tokens import admin_token, user_token  # noqa: E402

CTX = build_context(write_secrets=False)
CATALOG = load_catalog(ROOT / "data" / "catalog" / "books.json")
# Books the load test stocks and sells; no other test uses them.
BOOKS = [str(book.id) for book in CATALOG[20:40]]
GENRES = sorted({book.genre for book in CATALOG})
SORTS = ["title", "-title", "author", "price", "-price", "year", "-year", "newest"]
QUERIES = ["tolkien", "tolkein", "dragon", "war and peace", "history", "orwell", "love", "space", "mystery", "hobbit"]

# The gateway's names resolve to this machine for the whole run (no /etc/hosts entry needed).
_resolution = contextlib.ExitStack()
_resolution.enter_context(netutil.resolve_locally(PUBLIC_HOSTS))


class Shoppers:
    """The run's Keycloak customers: created at test start, handed out one per simulated user, deleted at the end."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._tokens: list[str] = []
        self._lock = threading.Lock()

    def create(self, count: int) -> None:
        admin = self._stack.enter_context(keycloak_admin(CTX))
        for _ in range(count):
            username, password = self._stack.enter_context(temporary_user(admin, "load", ("customer",)))
            self._tokens.append(user_token(CTX, username, password))

    def take(self) -> str:
        with self._lock:
            return self._tokens.pop()

    def delete(self) -> None:
        self._stack.close()


SHOPPERS = Shoppers()


def _stock_books() -> None:
    inventory = f"http://127.0.0.1:{CTX.port('INVENTORY_SERVICE_PORT')}/inven/admin/stock"
    headers = {"Authorization": f"Bearer {admin_token(CTX)}"}
    for book in BOOKS:
        httpx.put(f"{inventory}/{book}", json={"available": 1_000_000}, headers=headers).raise_for_status()


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    users = options.num_users if options is not None and options.num_users else 20
    _stock_books()
    SHOPPERS.create(users)


@events.test_stop.add_listener
def _stop(environment: Environment, **_: Any) -> None:
    SHOPPERS.delete()


class Shopper(HttpUser):
    host = f"https://api.service.net:{CTX.port('GATEWAY_PORT')}"
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.client.verify = str(CTX.paths.tls / "ca.pem")
        self.client.headers["Authorization"] = f"Bearer {SHOPPERS.take()}"
        csrf = self.client.get("/ecom/csrf", name="GET /ecom/csrf")
        self.client.headers["X-CSRF-Token"] = csrf.json()["token"]

    @task(70)
    def browse(self) -> None:
        params = {"page": random.randint(1, 5), "size": 20, "sort": random.choice(SORTS)}
        if random.random() < 0.4:
            params["genre"] = random.choice(GENRES)
        self.client.get("/ecom/books", params=params, name="GET /ecom/books")

    @task(20)
    def search(self) -> None:
        self.client.get("/ecom/books/search", params={"q": random.choice(QUERIES)}, name="GET /ecom/books/search")

    @task(10)
    def buy(self) -> None:
        book = random.choice(BOOKS)
        added = self.client.post("/ecom/cart", json={"book_id": book, "quantity": 1}, name="POST /ecom/cart")
        if added.status_code != 200:
            return  # counted as a failure by locust already
        self.client.post("/ecom/checkout", headers={"Idempotency-Key": str(uuid.uuid4())}, name="POST /ecom/checkout")
