"""Benchmarks the running ecom service through the TLS gateway (`make up` first). Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_ecom.py [--clients 50] [--seconds 15] [--customers 20]

- First the baseline of the same run: nginx serving a static file through the same TLS gateway (the most this box
  answers); the closing table gives every figure beside it and as a share of it (goals: docs/benchmarks.md).

- GET /ecom/books (a random page of 20) and GET /ecom/books/search (a random query from a fixed list, some
  misspelt) with wrk over HTTPS through the gateway, `--clients` connections.
- Checkout: one customer alone, then `--customers` throwaway Keycloak customers (created through the admin API on
  loopback, signed in by Authorization Code + PKCE, deleted afterwards), each in a loop: add a book to the cart,
  then check out with a fresh Idempotency-Key. Checkout latency is measured per request (aiohttp, HTTP/1.1
  keep-alive: httpx's client spent about three times its CPU per request, on the cores the platform uses).
wrk connects to api.service.net, so that name must resolve to 127.0.0.1 (the /etc/hosts line the README shows).
All load comes from one address, so start the service with a budget that does not cap it, else most answers are
429: `ECOM_RATE_LIMIT_PER_MINUTE=10000000 make up` (and `make up` again afterwards to restore the default).
Everything shares the machine's 2 cores with the whole platform, the load generators included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ssl
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servicekit.catalog import load_catalog  # noqa: E402

from bookstore.components import Context  # noqa: E402
from bookstore.platform import build_context  # noqa: E402
from scripts.benchlib import (  # noqa: E402
    SEEDED,
    Result,
    require_public_hosts,
    require_wrk,
    static_baseline,
    summarize,
    table,
    wrk,
)
from tests.keycloak_admin import keycloak_admin, temporary_user  # noqa: E402
from tests.tokens import admin_token, user_token  # noqa: E402

QUERIES = ["tolkien", "tolkein", "dragon", "war and peace", "history", "orwell", "love", "space", "mystery", "hobbit"]
# Each wrk thread seeds its own sequence, or the threads' URLs would repeat; `bust` adds a unique query string so
# the gateway's micro-cache cannot answer.
BROWSE = (
    SEEDED
    + """
local genres = {"", "&genre=Fantasy", "&genre=Classics", "&sort=-price", "&sort=year"}
request = function()
  local bust = %s and ("&nocache=" .. math.random(1, 1000000000)) or ""
  return wrk.format("GET", "/ecom/books?size=20&page=" .. math.random(1, 3) .. genres[math.random(#genres)] .. bust)
end
"""
)
SEARCH = (
    SEEDED
    + """
local queries = {%s}
request = function()
  local bust = %s and ("&nocache=" .. math.random(1, 1000000000)) or ""
  return wrk.format("GET", "/ecom/books/search?q=" .. queries[math.random(#queries)] .. bust)
end
"""
)


async def customer_loop(
    client: aiohttp.ClientSession,
    token: str,
    books: list[str],
    until: float,
    latencies: list[float],
    failures: list[str],
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    async with client.get("/ecom/csrf", headers=auth) as csrf:
        headers = {**auth, "X-CSRF-Token": (await csrf.json())["token"]}
    i = 0
    while time.monotonic() < until:
        i += 1
        book = books[i % len(books)]
        async with client.post("/ecom/cart", json={"book_id": book, "quantity": 1}, headers=headers) as added:
            await added.read()
        if added.status != 200:
            failures.append(f"cart {added.status}")
            continue
        started = time.perf_counter()
        checkout = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        async with client.post("/ecom/checkout", headers=checkout) as response:
            await response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status == 201:
            latencies.append(elapsed)
        else:
            failures.append(f"checkout {response.status}")


async def checkouts(ctx: Context, tokens: list[str], books: list[str], seconds: int, goal: str = "") -> Result:
    tls = ssl.create_default_context(cafile=str(ctx.paths.tls / "ca.pem"))
    base = f"https://api.service.net:{ctx.port('GATEWAY_PORT')}"
    latencies: list[float] = []
    failures: list[str] = []
    connector = aiohttp.TCPConnector(ssl=tls, limit=200)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as c:
        until = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(*(customer_loop(c, t, books, until, latencies, failures) for t in tokens))
        elapsed = time.monotonic() - started
    name = f"POST /ecom/checkout, {len(tokens)} customer(s)"
    result = summarize(name, latencies, elapsed, len(failures), len(tokens), goal)
    if failures:
        print(f"  failures: {sorted(set(failures))}")
    return result


def main(clients: int, seconds: int, customers: int) -> None:
    require_wrk()
    require_public_hosts()
    ctx = build_context(write_secrets=False)
    port = ctx.port("GATEWAY_PORT")
    url = f"https://api.service.net:{port}"
    baseline = static_baseline(port, clients, seconds)
    results = [
        wrk("GET /ecom/books, gateway micro-cache", url, BROWSE % "false", clients, seconds),
        # The gateway micro-caches the catalog for 2 s; a unique query string per request measures the service.
        wrk("GET /ecom/books, uncached", url, BROWSE % "true", clients, seconds, goal=">= 10% of static, p95 < 50 ms"),
    ]
    queries = ",".join(f'"{q.replace(" ", "%20")}"' for q in QUERIES)
    search = "GET /ecom/books/search"
    results.append(wrk(f"{search}, gateway micro-cache", url, SEARCH % (queries, "false"), clients, seconds))
    goal = ">= 5% of static, p95 < 80 ms"
    results.append(wrk(f"{search}, uncached", url, SEARCH % (queries, "true"), clients, seconds, goal=goal))

    books = [str(b.id) for b in load_catalog(ROOT / "data" / "catalog" / "books.json")[60:74]]
    inven = f"http://127.0.0.1:{ctx.port('INVENTORY_SERVICE_PORT')}/inven"
    admin = {"Authorization": f"Bearer {admin_token(ctx)}"}
    for book in books:
        httpx.put(f"{inven}/admin/stock/{book}", json={"available": 100000}, headers=admin).raise_for_status()
    with keycloak_admin(ctx) as kc, contextlib.ExitStack() as users:
        credentials = [users.enter_context(temporary_user(kc, "bench", ("customer",))) for _ in range(customers)]
        tokens = [user_token(ctx, username, password) for username, password in credentials]
        results.append(asyncio.run(checkouts(ctx, tokens[:1], books, seconds, goal="p50 < 25 ms")))
        results.append(asyncio.run(checkouts(ctx, tokens, books, seconds, goal=">= 60/s, p95 < 300 ms")))
    print()
    print(table(baseline, results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--customers", type=int, default=20)
    args = parser.parse_args()
    main(args.clients, args.seconds, args.customers)
