"""Benchmarks the running inventory service with wrk (`make up` first). Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_inventory.py [--clients 50] [--seconds 15]

- First the baseline of the same run: nginx serving a static file through the TLS gateway; the closing table gives
  every figure beside it and as a share of it.
- Sets 20 books to 100000 units through the admin API (a real admin login), so reservations never run short.
- POST /inven/reservations: `--clients` connections, 1 unit of a random one of those books per request, with the
  ecom service account's real token, on loopback (the endpoint is internal: the gateway does not route it).
- GET /inven/stock/{id}: same concurrency, on loopback.
wrk (Debian package `wrk`) shares the machine's 2 cores with the whole platform.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servicekit.catalog import load_catalog  # noqa: E402

from bookstore.platform import build_context  # noqa: E402
from scripts.benchlib import SEEDED, require_public_hosts, require_wrk, static_baseline, table, wrk  # noqa: E402
from tests.tokens import admin_token, service_token  # noqa: E402

# The ids are random per thread (SEEDED): threads seeded alike would replay each other's reservations.
LUA = (
    SEEDED
    + """
local books = {%(books)s}
local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    return string.format("%%x", c == "x" and math.random(0, 15) or math.random(8, 11))
  end))
end
wrk.method = "%(method)s"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  local book = books[math.random(#books)]
  if wrk.method == "POST" then
    wrk.body = '{"order_id":"' .. uuid4() .. '","items":[{"book_id":"' .. book .. '","quantity":1}]}'
    return wrk.format(nil, "/inven/reservations")
  end
  return wrk.format(nil, "/inven/stock/" .. book)
end
"""
)


def main(clients: int, seconds: int) -> None:
    require_wrk()
    require_public_hosts()
    ctx = build_context(write_secrets=False)
    baseline = static_baseline(ctx.port("GATEWAY_PORT"), clients, seconds)
    base = f"http://127.0.0.1:{ctx.port('INVENTORY_SERVICE_PORT')}"
    books = [str(b.id) for b in load_catalog(ROOT / "data" / "catalog" / "books.json")[40:60]]
    admin = {"Authorization": f"Bearer {admin_token(ctx)}"}
    for book in books:
        httpx.put(f"{base}/inven/admin/stock/{book}", json={"available": 100000}, headers=admin).raise_for_status()
    token = service_token(ctx, "ecom-service")
    results = []
    runs = (("POST /inven/reservations", "POST", ">= 300/s, p95 < 100 ms"), ("GET /inven/stock/{id}", "GET", ""))
    for name, method, goal in runs:
        lua = LUA % {"books": ",".join(f'"{b}"' for b in books), "method": method, "token": token}
        results.append(wrk(name, base, lua, clients, seconds, goal=goal))
    print()
    print(table(baseline, results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    main(args.clients, args.seconds)
