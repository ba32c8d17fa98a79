"""Measures real-time analytics on the running platform (`make up` first). Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_analytics.py [--rate 20] [--duration 120] [--warmup 30] [--customers N]
        [--baseline 5]

What it does, in order, all on loopback:
1. Idle RSS (and PSS) of every supervised component's process tree, before any load.
2. `--customers` throwaway Keycloak customers (admin API on loopback, signed in by Authorization Code + PKCE through
   the gateway, deleted at the end), stock raised on the books it orders (catalog[64:74], which no test uses).
3. Baseline: `--baseline` orders one at a time, each waited for in star.fact_order_line before the next.
   Warm-up: `--warmup` s at `--rate`, reported on lines of their own. Right after `make up` the JVMs compile the
   pipeline's hot code under this load: Connect's JIT compiler threads took 26% of a core in the first minute,
   4% once warm, and on two busy cores that alone decided whether the mirror met its target.
4. Load: orders at `--rate` orders/s for `--duration` s (open loop: a generator hands out one ticket per 1/rate s;
   each customer works one order at a time: add a book to the cart, check out with a fresh Idempotency-Key).
   If the workers fall behind, the rate achieved is printed, not the one asked for.
5. Settle: waits until every order is in the mirror and the facts, then `--settle` s more (Connect flushes the
   source offsets, which advance the replication slots, every 5 s), and samples the slots once more.

Commit time of an order = `customer_order.created_at`, read from ecom-db after the run. It is `now()` of the
order's transaction, i.e. its start: before the commit by the rest of that transaction (a few ms when the machine
is idle, more when busy), which the lags include. The API's answer comes later still (its offset is printed).
Arrival = wall clock of the first poll (every 50 ms, one connection to analytics-db) whose select sees the order
in `ecom.customer_order` (the Debezium JDBC-sink mirror) or `star.fact_order_line` (Flink); up to one poll
interval late. Lag = arrival - commit; both databases run on this machine, so both stamps use the same clock.
The two polls use indexes on those tables' time columns that the run creates and drops afterwards.
Alongside: Connect's and Flink's RSS and CPU (1 s samples of their process trees) and the WAL every replication
slot of ecom-db, inventory-db and keycloak-db retains (pg_current_wal_lsn() - restart_lsn).

Each customer has one order in flight at a time, and the API limits each to 600 requests/min
(ECOM_RATE_LIMIT_PER_MINUTE; an order is two requests, so at most 5 orders/s each). The default, one customer per
order/s, keeps them at 120 requests/min and copes with orders that take up to a second. Everything shares the
machine's cores with the whole platform and with this load generator; a run prints the components that restarted
during it (the test suite's crash tests restart Connect, Flink and analytics-db), whose numbers are then perturbed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import ssl
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from servicekit.catalog import load_catalog  # noqa: E402

from bookstore import netutil  # noqa: E402
from bookstore.components import BY_NAME, Context  # noqa: E402
from bookstore.components.postgres import Postgres  # noqa: E402
from bookstore.config import PUBLIC_HOSTS  # noqa: E402
from bookstore.platform import build_context  # noqa: E402
from bookstore.sockets import process_tree  # noqa: E402
from bookstore.supervise import Supervisor  # noqa: E402
from tests import mirrors  # noqa: E402
from tests.keycloak_admin import keycloak_admin, temporary_user  # noqa: E402
from tests.tokens import admin_token, user_token  # noqa: E402

POLL_SECONDS = 0.05
SAMPLE_SECONDS = 1.0
SLOT_DATABASES = ("ecom-db", "inventory-db", "keycloak-db")
WATCHED = ("kafka-connect", "flink-jobmanager", "flink-taskmanager")
TARGET_MIRROR_P95_MS = 1000.0
TARGET_FACT_P95_MS = 2000.0
TARGET_IDLE_RSS_MIB = 4096.0
PER_CUSTOMER_LIMIT_PER_MINUTE = 600
USER_PREFIX = "benchan"
# Where each poll looks for orders (committed at or after the bound) that were not seen there yet.
ARRIVALS = {
    "mirror": "select id from ecom.customer_order where created_at >= %s",
    "fact": "select distinct order_id as id from star.fact_order_line"
    " where ordered_at >= (%s::timestamptz at time zone 'UTC')",  # ordered_at: UTC, without a time zone
}
TARGETS = {"mirror": TARGET_MIRROR_P95_MS, "fact": TARGET_FACT_P95_MS}
# Indexes those polls use, created for the run and dropped after it: without them each poll (two every 50 ms)
# scanned both whole tables, a share of analytics-db's CPU that grew with every order ever placed and that the
# pipeline being measured had to compete with.
POLL_INDEXES = {
    "bench_analytics_mirror_created_at": "ecom.customer_order (created_at)",
    "bench_analytics_fact_ordered_at": "star.fact_order_line (ordered_at)",
}


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


# --- what the load and the poller share ---------------------------------------------------------------------------


@dataclass
class Orders:
    """Orders in flight and placed (wall-clock stamps), and when each first showed up in the mirror and the facts."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    inflight: dict[int, float] = field(default_factory=dict)  # request number -> when its checkout was sent
    answered: dict[uuid.UUID, float] = field(default_factory=dict)  # order -> when the API answered 201
    arrived: dict[str, dict[uuid.UUID, float]] = field(default_factory=lambda: {t: {} for t in ARRIVALS})
    # Per target, the placed orders not seen there yet -> when their checkout was sent.
    pending: dict[str, dict[uuid.UUID, float]] = field(default_factory=lambda: {t: {} for t in ARRIVALS})
    numbers: Iterator[int] = field(default_factory=itertools.count)

    def checkout_sent(self, sent: float) -> int:
        with self.lock:
            number = next(self.numbers)
            self.inflight[number] = sent
        return number

    def checkout_done(self, number: int, sent: float, answered: float, order: uuid.UUID | None) -> None:
        with self.lock:
            self.inflight.pop(number, None)
            if order is None:
                return
            self.answered[order] = answered
            for target, seen in self.arrived.items():
                if order not in seen:  # (a fast pipeline can show it before the answer is back here)
                    self.pending[target][order] = sent

    def stamp(self, target: str, ids: list[uuid.UUID], at: float) -> None:
        with self.lock:
            seen, pending = self.arrived[target], self.pending[target]
            for order in ids:
                seen.setdefault(order, at)
                pending.pop(order, None)

    def lower_bound(self, target: str) -> float | None:
        """The earliest commit still awaited in `target` (an order's transaction starts after its checkout was
        sent), or None when nothing is awaited there."""
        with self.lock:
            sent = [*self.pending[target].values(), *self.inflight.values()]
        return min(sent) if sent else None

    def missing(self, ids: list[uuid.UUID]) -> dict[str, int]:
        with self.lock:
            return {target: sum(1 for o in ids if o not in seen) for target, seen in self.arrived.items()}


class ArrivalPoller(threading.Thread):
    """Every 50 ms: stamps, with the wall clock, the orders that appeared in the mirror or the facts since."""

    def __init__(self, ctx: Context, orders: Orders, stop: threading.Event, lifetime: float) -> None:
        super().__init__(name="arrival-poller", daemon=True)
        self.ctx, self.orders, self.stop, self.lifetime = ctx, orders, stop, lifetime
        self.polls = 0
        self.errors: Counter[str] = Counter()

    def run(self) -> None:
        deadline = time.monotonic() + self.lifetime
        conn: psycopg.Connection[dict[str, Any]] | None = None
        while not self.stop.wait(POLL_SECONDS) and time.monotonic() < deadline:
            try:
                if conn is None or conn.closed:
                    conn = mirrors.analytics(self.ctx)
                for target, query in ARRIVALS.items():
                    bound = self.orders.lower_bound(target)
                    if bound is None:
                        continue
                    # One second of slack: a transaction's now() and this process's clock are read separately.
                    since = datetime.fromtimestamp(bound - 1.0, UTC)
                    stamp = time.time()  # the select's snapshot is taken right after: what it sees arrived by then
                    rows = conn.execute(query, (since,)).fetchall()
                    self.orders.stamp(target, [row["id"] for row in rows], stamp)
                self.polls += 1
            except psycopg.Error as exc:  # analytics-db restarted, or a table not created yet: poll again
                self.errors[type(exc).__name__] += 1
                if conn is not None:
                    conn.close()
                conn = None
                self.stop.wait(0.5)
        if conn is not None:
            conn.close()


@contextlib.contextmanager
def poll_indexes(ctx: Context) -> Iterator[None]:
    """The arrival polls' indexes, for the run only (the mirror stays as the sink made it)."""
    with mirrors.analytics(ctx) as conn:
        conn.autocommit = True
        for name, table in POLL_INDEXES.items():
            conn.execute(f"create index if not exists {name} on {table}")
    try:
        yield
    finally:
        with mirrors.analytics(ctx) as conn:
            conn.autocommit = True
            for name, table in POLL_INDEXES.items():
                schema = table.split(".")[0]  # an index lives in its table's schema
                conn.execute(f"drop index if exists {schema}.{name}")


# --- resources: replication slots, Connect and Flink processes ----------------------------------------------------


@dataclass
class ProcSample:
    phase: str
    rss: int  # bytes, summed over the component's process tree
    cpu: float  # % of one core over the last interval, summed over the tree


class ResourceSampler(threading.Thread):
    """Every second: WAL retained by each replication slot, and RSS and CPU of Connect and Flink."""

    def __init__(self, ctx: Context, stop: threading.Event, lifetime: float, pids: dict[str, int]) -> None:
        super().__init__(name="resource-sampler", daemon=True)
        self.ctx, self.stop, self.lifetime = ctx, stop, lifetime
        # Every pid each supervised component had since the idle measurement: more than one is a restart.
        self.pids: dict[str, set[int]] = {name: {pid} for name, pid in pids.items()}
        self.phase = "idle"
        self.lock = threading.Lock()
        self.slot_max: dict[tuple[str, str], int] = {}  # during baseline, load and settle
        self.slot_last: dict[tuple[str, str], int] = {}
        self.procs: dict[str, list[ProcSample]] = {name: [] for name in WATCHED}
        self.machine_cpu: list[tuple[str, float]] = []
        self.errors: Counter[str] = Counter()
        self._cpu_times: dict[str, dict[int, float]] = {name: {} for name in WATCHED}
        self._conns: dict[str, psycopg.Connection[tuple[Any, ...]]] = {}
        self._supervisor = Supervisor(ctx)

    def sample_slots(self) -> None:
        for name in SLOT_DATABASES:
            db = BY_NAME[name]
            assert isinstance(db, Postgres)
            try:
                conn = self._conns.get(name)
                if conn is None or conn.closed:
                    conn = self._conns[name] = psycopg.connect(
                        db.admin_dsn(self.ctx, db.db), autocommit=True, connect_timeout=3
                    )
                rows = conn.execute(
                    "select slot_name, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint"
                    " from pg_replication_slots order by slot_name"
                ).fetchall()
            except psycopg.Error as exc:
                self.errors[f"{name}: {type(exc).__name__}"] += 1
                if (broken := self._conns.pop(name, None)) is not None:
                    broken.close()
                continue
            with self.lock:
                for slot, retained in rows:
                    key = (name, slot)
                    self.slot_last[key] = int(retained)
                    if self.phase != "idle":
                        self.slot_max[key] = max(self.slot_max.get(key, 0), int(retained))

    def sample_processes(self, elapsed: float) -> None:
        infos = self._supervisor.all_info()
        with self.lock:
            for name, info in infos.items():
                self.pids.setdefault(name, set()).add(info["pid"])
        for name in WATCHED:
            pid = infos.get(name, {}).get("pid") or 0
            rss, cpu_now = 0, {}
            for p in process_tree(pid) if pid else []:
                try:
                    proc = psutil.Process(p)
                    times = proc.cpu_times()
                    rss += proc.memory_info().rss
                    cpu_now[p] = times.user + times.system
                except psutil.Error:
                    continue
            before = self._cpu_times[name]
            used = sum(cpu_now[p] - before[p] for p in cpu_now if p in before)  # a restarted process starts afresh
            self._cpu_times[name] = cpu_now
            if before and elapsed > 0:
                with self.lock:
                    self.procs[name].append(ProcSample(self.phase, rss, 100 * used / elapsed))

    def run(self) -> None:
        deadline = time.monotonic() + self.lifetime
        previous = time.monotonic()
        psutil.cpu_percent(interval=None)
        while time.monotonic() < deadline:
            now = time.monotonic()
            try:
                self.sample_processes(now - previous)
            except Exception as exc:  # noqa: BLE001 - a missed sample is reported, not fatal
                self.errors[f"processes: {type(exc).__name__}"] += 1
            previous = now
            self.machine_cpu.append((self.phase, psutil.cpu_percent(interval=None)))
            self.sample_slots()
            if self.stop.wait(SAMPLE_SECONDS):
                break

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


def idle_memory(ctx: Context) -> dict[str, int]:
    """RSS (and PSS, which counts shared pages once: PostgreSQL's backends share their buffers) per component;
    returns each component's pid."""
    infos = Supervisor(ctx).all_info()
    print("Idle memory per supervised component (process trees, before the load)")
    print(f"  {'component':<20}{'RSS MiB':>9}{'PSS MiB':>9}{'procs':>7}")
    total_rss = total_pss = 0.0
    pss_known = True
    for name, info in sorted(infos.items()):
        pids = process_tree(info["pid"]) if info["pid"] else []
        rss = pss = 0.0
        for pid in pids:
            try:
                proc = psutil.Process(pid)
                rss += proc.memory_info().rss
                try:
                    pss += proc.memory_full_info().pss
                except (psutil.AccessDenied, AttributeError):
                    pss_known = False
            except psutil.NoSuchProcess:
                continue
        total_rss += rss / 2**20
        total_pss += pss / 2**20
        state = "" if pids else "  (not running)"
        print(f"  {name:<20}{rss / 2**20:>9.0f}{pss / 2**20:>9.0f}{len(pids):>7}{state}")
    # Judged on PSS: the RSS sum counts every shared page once per process mapping it (PostgreSQL's shared buffers
    # once per backend, the JVMs' and workers' shared libraries), more memory than the machine holds for them.
    verdict = ("met" if total_pss < TARGET_IDLE_RSS_MIB else "MISSED") if pss_known else "unknown: no PSS"
    pss_text = f"{total_pss:>9.0f}" if pss_known else f"{'?':>9}"
    print(f"  {'total':<20}{total_rss:>9.0f}{pss_text}{'':>7}  target: PSS < {TARGET_IDLE_RSS_MIB:.0f} MiB ({verdict})")
    in_use = (psutil.virtual_memory().total - psutil.virtual_memory().available) / 2**20
    print(f"  machine: {in_use:.0f} MiB in use (total minus available, everything on it)")
    print()
    return {name: info["pid"] for name, info in infos.items()}


# --- placing orders through the API -------------------------------------------------------------------------------


@dataclass
class Customer:
    username: str
    password: str
    headers: dict[str, str] = field(default_factory=dict)

    async def sign_in(self, ctx: Context, client: httpx.AsyncClient, token: str | None = None) -> None:
        token = token or await asyncio.to_thread(user_token, ctx, self.username, self.password)
        auth = {"Authorization": f"Bearer {token}"}
        csrf = await client.get("/ecom/csrf", headers=auth)
        csrf.raise_for_status()
        self.headers = {**auth, "X-CSRF-Token": csrf.json()["token"]}


@dataclass
class Load:
    placed: list[uuid.UUID] = field(default_factory=list)
    checkout_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


async def place_order(
    ctx: Context, client: httpx.AsyncClient, customer: Customer, book: str, orders: Orders, load: Load
) -> uuid.UUID | None:
    """Add one book to the customer's cart and check out; the order id, or None (the failure is counted)."""
    try:
        added = await client.post("/ecom/cart", json={"book_id": book, "quantity": 1}, headers=customer.headers)
        if added.status_code == 401:  # the access token expired (5 min): sign in again, and try the next ticket
            load.failures["cart 401 (signed in again)"] += 1
            await customer.sign_in(ctx, client)
            return None
        if added.status_code != 200:
            load.failures[f"cart {added.status_code}"] += 1
            return None
        sent, clock = time.time(), time.perf_counter()
        number = orders.checkout_sent(sent)
        response: httpx.Response | None = None
        try:
            response = await client.post(
                "/ecom/checkout", headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())}
            )
        finally:
            answered = time.time()
            ok = response is not None and response.status_code == 201
            order = uuid.UUID(response.json()["order_id"]) if response is not None and ok else None
            orders.checkout_done(number, sent, answered, order)
    except (httpx.HTTPError, AssertionError) as exc:  # (tests.tokens asserts on a failed sign-in)
        load.failures[type(exc).__name__] += 1
        return None
    if order is None:
        load.failures[f"checkout {response.status_code}"] += 1
        return None
    load.checkout_ms.append((time.perf_counter() - clock) * 1000)
    load.placed.append(order)
    return order


async def baseline(
    ctx: Context, client: httpx.AsyncClient, customer: Customer, books: list[str], orders: Orders, count: int
) -> Load:
    """Orders one at a time with nothing else from this script running, each awaited in the facts."""
    load = Load()
    for i in range(count):
        order = await place_order(ctx, client, customer, books[i % len(books)], orders, load)
        deadline = time.monotonic() + 30
        while order is not None and any(orders.missing([order]).values()) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
        await asyncio.sleep(1.0)  # let the pipeline go quiet again
    return load


async def generate(
    ctx: Context,
    client: httpx.AsyncClient,
    customers: list[Customer],
    books: list[str],
    orders: Orders,
    rate: float,
    duration: float,
) -> tuple[Load, float, int]:
    """Open-loop load: one ticket every 1/rate s for `duration` s; each customer takes tickets one at a time.
    Returns what was placed, the seconds it took, and the tickets no customer got to in time."""
    load = Load()
    tickets: asyncio.Queue[int] = asyncio.Queue()
    started = time.monotonic()
    until = started + duration

    async def producer() -> None:
        for i in range(int(rate * duration)):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tickets.put_nowait(i)

    async def worker(n: int, customer: Customer) -> None:
        while (remaining := until - time.monotonic()) > 0:
            try:
                i = await asyncio.wait_for(tickets.get(), timeout=remaining)
            except TimeoutError:
                return
            await place_order(ctx, client, customer, books[(i + n) % len(books)], orders, load)

    await asyncio.gather(producer(), *(worker(n, c) for n, c in enumerate(customers)))
    return load, time.monotonic() - started, tickets.qsize()


# --- reporting ----------------------------------------------------------------------------------------------------


def commit_times(ctx: Context, ids: list[uuid.UUID]) -> dict[uuid.UUID, float]:
    with mirrors.source(ctx, "ecom") as src:
        rows = src.execute("select id, created_at from customer_order where id = any(%s)", (ids,)).fetchall()
    return {row["id"]: row["created_at"].timestamp() for row in rows}


def lag_lines(label: str, ids: list[uuid.UUID], orders: Orders, commits: dict[uuid.UUID, float]) -> None:
    for target, goal in TARGETS.items():
        with orders.lock:
            arrived = orders.arrived[target]
            lags = [(arrived[o] - commits[o]) * 1000 for o in ids if o in arrived and o in commits]
        p95 = percentile(lags, 95)
        verdict = "" if not lags else ("met" if p95 < goal else "MISSED")
        print(
            f"  commit→{target:<7}{label:<9}{len(lags):>6}{percentile(lags, 50):>9.0f}{p95:>9.0f}"
            f"{percentile(lags, 99):>9.0f}{max(lags, default=float('nan')):>9.0f}"
            f"   p95 < {goal:.0f} ms{f' ({verdict})' if verdict else ''}"
            + (f"  — {len(ids) - len(lags)} never arrived" if len(lags) < len(ids) else "")
        )


def report(
    args: argparse.Namespace,
    orders: Orders,
    base: Load,
    warm: Load,
    load: Load,
    elapsed: float,
    backlog: int,
    sampler: ResourceSampler,
    poller: ArrivalPoller,
    commits: dict[uuid.UUID, float],
) -> None:
    placed = len(load.placed)
    print(
        f"Load: target {args.rate:.1f} orders/s for {args.duration:.0f} s; achieved {placed / elapsed:.1f} orders/s"
        f" ({placed} orders in {elapsed:.1f} s, {args.customers} customers, {sum(load.failures.values())} failed"
        f" requests, {backlog} tickets not started in time)"
    )
    if load.failures:
        print(f"  failures: {dict(load.failures)}")
    if args.warmup > 0:
        print(
            f"  before it, warm-up: {len(warm.placed)} orders in {args.warmup:.0f} s,"
            f" {sum(warm.failures.values())} failed requests{f' {dict(warm.failures)}' if warm.failures else ''}"
        )
    print(
        f"  checkout latency (API): p50 {percentile(load.checkout_ms, 50):.0f} ms  p95"
        f" {percentile(load.checkout_ms, 95):.0f} ms  p99 {percentile(load.checkout_ms, 99):.0f} ms"
    )
    with orders.lock:
        answered = [(orders.answered[o] - commits[o]) * 1000 for o in load.placed if o in commits]
    print(
        f"  API answer - created_at: p50 {percentile(answered, 50):.0f} ms  p95 {percentile(answered, 95):.0f} ms"
        " (the commit lies in between)"
    )
    print()
    print("Lag (ms; commit = customer_order.created_at in ecom-db, arrival = first 50 ms poll that sees it)")
    print(f"  {'':<16}{'phase':<9}{'orders':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}   target")
    lag_lines("baseline", base.placed, orders, commits)
    if warm.placed:
        lag_lines("warm-up", warm.placed, orders, commits)
    lag_lines("load", load.placed, orders, commits)
    if poller.errors:
        print(f"  poll errors (retried): {dict(poller.errors)}")
    print()

    with sampler.lock:
        slot_max, slot_last = dict(sampler.slot_max), dict(sampler.slot_last)
        procs = {name: list(samples) for name, samples in sampler.procs.items()}
    print(f"WAL retained per replication slot (MiB; 1 s samples; after = {args.settle:.0f} s after the last arrival)")
    print(f"  {'database':<14}{'slot':<20}{'max during run':>15}{'after':>9}")
    for (db, slot), last in sorted(slot_last.items()):
        print(f"  {db:<14}{slot:<20}{slot_max.get((db, slot), last) / 2**20:>15.1f}{last / 2**20:>9.1f}")
    print()

    print("Connect and Flink during the load (process trees, 1 s samples; CPU in % of one core)")
    print(f"  {'component':<20}{'RSS MiB mean':>13}{'max':>7}{'CPU % mean':>12}{'max':>7}{'samples':>9}")
    for name, samples in procs.items():
        during = [s for s in samples if s.phase == "load"]
        rss = [s.rss / 2**20 for s in during]
        cpu = [s.cpu for s in during]
        print(
            f"  {name:<20}{mean(rss):>13.0f}{max(rss, default=float('nan')):>7.0f}{mean(cpu):>12.0f}"
            f"{max(cpu, default=float('nan')):>7.0f}{len(during):>9}"
        )
    machine = [c for phase, c in sampler.machine_cpu if phase == "load"]
    if machine:
        print(
            f"  machine, all {psutil.cpu_count()} cores: {sum(machine) / len(machine):.0f} % busy on average"
            " during the load (everything running here, this script included)"
        )
    if sampler.errors:
        print(f"  sampling errors: {dict(sampler.errors)}")
    with sampler.lock:
        restarted = sorted(name for name, pids in sampler.pids.items() if len(pids) > 1)
    if restarted:
        print(f"  note: restarted (or stopped) during the run, numbers perturbed: {', '.join(restarted)}")


# --- the run ------------------------------------------------------------------------------------------------------


def raise_stock(ctx: Context, books: list[str]) -> None:
    inven = f"http://127.0.0.1:{ctx.port('INVENTORY_SERVICE_PORT')}/inven"
    admin = {"Authorization": f"Bearer {admin_token(ctx)}"}
    for book in books:
        httpx.put(f"{inven}/admin/stock/{book}", json={"available": 100000}, headers=admin).raise_for_status()


async def drive(
    ctx: Context,
    args: argparse.Namespace,
    credentials: list[tuple[str, str]],
    tokens: list[str],
    books: list[str],
    pids: dict[str, int],
) -> None:
    orders, stop = Orders(), threading.Event()
    lifetime = args.baseline * 35 + args.warmup + args.duration + args.settle_timeout + args.settle + 60
    poller = ArrivalPoller(ctx, orders, stop, lifetime)
    sampler = ResourceSampler(ctx, stop, lifetime, pids)
    tls = ssl.create_default_context(cafile=str(ctx.paths.tls / "ca.pem"))
    base_url = f"https://api.service.net:{ctx.port('GATEWAY_PORT')}"
    limits = httpx.Limits(max_connections=2 * len(credentials) + 4)
    poller.start()
    sampler.start()
    stack = contextlib.ExitStack()  # the arrival polls' indexes, once the baseline made the tables
    try:
        async with httpx.AsyncClient(base_url=base_url, verify=tls, timeout=30, limits=limits) as client:
            customers = [Customer(u, p) for u, p in credentials]
            await asyncio.gather(*(c.sign_in(ctx, client, t) for c, t in zip(customers, tokens, strict=True)))
            sampler.phase = "baseline"
            print(f"Baseline: {args.baseline} orders one at a time ...", flush=True)
            base = await baseline(ctx, client, customers[0], books, orders, args.baseline)
            # After the baseline: on a fresh platform the sink creates the mirror tables with their first rows.
            stack.enter_context(poll_indexes(ctx))
            warm = Load()
            if args.warmup > 0:
                sampler.phase = "warmup"
                print(f"Warm-up: {args.rate:g} orders/s for {args.warmup:g} s ...", flush=True)
                warm, _, _ = await generate(ctx, client, customers, books, orders, args.rate, args.warmup)
            sampler.phase = "load"
            print(f"Load: {args.rate:g} orders/s for {args.duration:g} s ...", flush=True)
            load, elapsed, backlog = await generate(ctx, client, customers, books, orders, args.rate, args.duration)
        sampler.phase = "settle"
        everything = base.placed + warm.placed + load.placed
        deadline = time.monotonic() + args.settle_timeout
        while any(orders.missing(everything).values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        missing = orders.missing(everything)
        print(f"Settle: not arrived: {missing}; sampling the slots {args.settle:g} s more ...", flush=True)
        await asyncio.sleep(args.settle)
    finally:
        stop.set()
        poller.join(timeout=10)
        sampler.join(timeout=10)
        stack.close()
    sampler.sample_slots()  # the slots once more, now that the sampler thread is done
    sampler.close()
    print()
    report(args, orders, base, warm, load, elapsed, backlog, sampler, poller, commit_times(ctx, everything))


def main(args: argparse.Namespace) -> None:
    ctx = build_context(write_secrets=False)
    print(
        f"Analytics benchmark: {args.rate:g} orders/s for {args.duration:g} s, {args.customers} customers,"
        f" {args.baseline} baseline orders; {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB"
    )
    per_customer = 2 * args.rate * 60 / args.customers
    if per_customer > 0.9 * PER_CUSTOMER_LIMIT_PER_MINUTE:
        print(f"  note: {per_customer:.0f} requests/min per customer is near the API's default limit of 600/min")
    print()
    pids = idle_memory(ctx)
    books = [str(b.id) for b in load_catalog(ROOT / "data" / "catalog" / "books.json")[64:74]]
    with netutil.resolve_locally(PUBLIC_HOSTS):  # the gateway's host names on 127.0.0.1, not through DNS
        raise_stock(ctx, books)
        with keycloak_admin(ctx) as kc, contextlib.ExitStack() as users:
            credentials = [
                users.enter_context(temporary_user(kc, USER_PREFIX, ("customer",))) for _ in range(args.customers)
            ]

            # The admin client fetches a new token when Keycloak refuses its expired one (tests.keycloak_admin).
            with ThreadPoolExecutor(max_workers=4) as pool:
                tokens = list(pool.map(lambda c: user_token(ctx, *c), credentials))
            asyncio.run(drive(ctx, args, credentials, tokens, books, pids))
        with keycloak_admin(ctx) as kc:
            left = [u for u, _ in credentials if kc.get("/users", params={"username": u, "exact": "true"}).json()]
    print()
    print(
        f"Cleanup: {len(credentials) - len(left)} of {len(credentials)} throwaway customers deleted"
        + (f"; left behind: {left}" if left else "")
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="orders per second to aim for (default 20)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120)")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of load first, apart (default 30)")
    parser.add_argument("--customers", type=int, default=None, help="throwaway customers (default: 1 per order/s)")
    parser.add_argument("--baseline", type=int, default=5, help="orders placed one at a time first (default 5)")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds after the last arrival (default 15)")
    parser.add_argument("--settle-timeout", type=float, default=120.0, help="longest wait for arrivals (default 120)")
    arguments = parser.parse_args()
    if arguments.customers is None:
        arguments.customers = max(4, math.ceil(arguments.rate))
    if arguments.rate <= 0 or arguments.duration <= 0 or arguments.customers < 1 or arguments.baseline < 1:
        parser.error("--rate, --duration, --customers and --baseline must be positive")
    if arguments.warmup < 0:
        parser.error("--warmup must not be negative")
    main(arguments)
