"""Checkout -> email delivered latency and the notifier's memory (`make up` first). Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_notifier.py [--orders 20]

Places `--orders` orders one after another as the demo customer through the TLS gateway (one book each) and, for
each, measures from the checkout's 201 to the confirmation being in the mail server's API (polled every 20 ms): the
path is ecom's outbox -> Debezium -> Kafka -> notifier -> SMTP -> Mailpit. Then the notifier's RSS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bookstore.platform import build_context  # noqa: E402
from bookstore.supervise import Supervisor  # noqa: E402
from tests.api import api_client, create_book, place_order, set_stock, with_csrf  # noqa: E402
from tests.tokens import admin_token, customer_token  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20)
    args = parser.parse_args()
    ctx = build_context(write_secrets=False)
    search = f"http://127.0.0.1:{ctx.port('MAILPIT_PORT')}/api/v1/search"
    latencies: list[float] = []
    with api_client(ctx) as api:
        admin = {"Authorization": f"Bearer {admin_token(ctx)}"}
        customer = {"Authorization": f"Bearer {customer_token(ctx)}"}
        book = uuid.UUID(create_book(api, admin, f"Bench Mail {uuid.uuid4().hex[:8]}", price="2.00"))
        set_stock(api, admin, book, args.orders + 5)
        headers = with_csrf(api, customer)
        for _ in range(args.orders):
            order_id = place_order(api, headers, {book: 1})["order_id"]
            placed = time.monotonic()
            while httpx.get(search, params={"query": f'subject:"{order_id}"'}, timeout=5).json()["messages_count"] < 1:
                if time.monotonic() - placed > 120:
                    raise SystemExit(f"no email for order {order_id} after 120 s")
                time.sleep(0.02)
            latencies.append(time.monotonic() - placed)
    cuts = statistics.quantiles(latencies, n=20)
    p50 = statistics.median(latencies)
    print(f"checkout -> email delivered over {len(latencies)} orders: p50 {p50 * 1000:.0f} ms,")
    print(f"  p95 {cuts[18] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms, min {min(latencies) * 1000:.0f} ms")
    pid = Supervisor(ctx).proxy.supervisor.getProcessInfo("notifier")["pid"]
    rss = psutil.Process(pid).memory_info().rss
    print(f"notifier RSS: {rss / 2**20:.1f} MiB (pid {pid})")


if __name__ == "__main__":
    main()
