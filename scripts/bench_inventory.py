"""Benchmarks the running inventory service with wrk (`make up` first). Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_inventory.py [--clients 50] [--seconds 15]

- Sets 20 books to 100000 units through the admin API (a real admin login), so reservations never run short.
- POST /inven/reservations: `--clients` connections, 1 unit of a random one of those books per request, with the
  ecom service account's real token, on loopback (the endpoint is internal: the gateway does not route it).
- GET /inven/stock/{id}: same concurrency, on loopback.
wrk (Debian package `wrk`) shares the machine's 2 cores with the whole platform.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servicekit.catalog import load_catalog  # noqa: E402

from bookstore.platform import build_context  # noqa: E402
from tests.tokens import admin_token, service_token  # noqa: E402

LUA = """
math.randomseed(os.time())
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
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.1f %%.1f %%.1f %%.1f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def wrk(name: str, base: str, method: str, token: str, books: list[str], clients: int, seconds: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(LUA % {"books": ",".join(f'"{b}"' for b in books), "method": method, "token": token})
        script.flush()
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", script.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    requests, errors, p50, p95, p99, duration = next(
        line.split()[1:] for line in out.splitlines() if line.startswith("RESULT")
    )
    rate = int(requests) / float(duration)
    print(
        f"{name}: {rate:7.1f} req/s  p50 {p50} ms  p95 {p95} ms  p99 {p99} ms  ({requests} requests, "
        f"{errors} non-2xx/errors, {clients} connections, {float(duration):.0f}s)"
    )


def main(clients: int, seconds: int) -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    ctx = build_context(write_secrets=False)
    base = f"http://127.0.0.1:{ctx.port('INVENTORY_SERVICE_PORT')}"
    books = [str(b.id) for b in load_catalog(ROOT / "data" / "catalog" / "books.json")[40:60]]
    admin = {"Authorization": f"Bearer {admin_token(ctx)}"}
    for book in books:
        httpx.put(f"{base}/inven/admin/stock/{book}", json={"available": 100000}, headers=admin).raise_for_status()
    token = service_token(ctx, "ecom-service")
    wrk("POST /inven/reservations", base, "POST", token, books, clients, seconds)
    wrk("GET  /inven/stock/{id}   ", base, "GET", token, books, clients, seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    main(args.clients, args.seconds)
