"""Change data capture: every source table's INSERT, UPDATE and DELETE reach its mirror in analytics-db
through real Debezium, Kafka and the Debezium JDBC sink; new tables and columns follow; failures show."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from psycopg import sql
from servicekit.catalog import load_catalog

from bookstore import cdc, flink_status, star
from bookstore.components import Context
from bookstore.config import ROOT
from bookstore.supervise import Supervisor
from tests import mirrors
from tests.api import api_client, set_stock, with_csrf
from tests.events import TopicReader, bootstrap, headers
from tests.keycloak_admin import keycloak_admin, temporary_user
from tests.tokens import admin_token, user_token
from tests.waiting import wait_for

CATALOG = load_catalog(ROOT / "data" / "catalog" / "books.json")
BOOK, OTHER_BOOK = CATALOG[60], CATALOG[61]
MIRROR_TIMEOUT = 5.0  # seconds from a source commit to its mirror


@dataclass
class Change:
    """One row's life in a source table: insert it, update it, delete it; `key` finds it in both tables."""

    key: dict[str, Any]
    insert: str
    update: str
    delete: str
    setup: tuple[str, ...] = ()  # parent rows the row needs (removed by the delete's cascade or after)
    teardown: tuple[str, ...] = ()


# Every statement takes its values as parameters from one set of fresh ids per run.
IDS: dict[str, Any] = {
    "book": uuid.uuid4(),
    "cart": uuid.uuid4(),
    "order": uuid.uuid4(),
    "stock_book": uuid.uuid4(),
    "key": str(uuid.uuid4()),
    "isbn": "979" + "".join(random.choices("0123456789", k=10)),
}
NEW_BOOK = (
    "insert into book (id, title, author, isbn13, genre, published_year, price, description, created_at,"
    " updated_at) values (%(book)s, 'CDC probe', 'Probe Author', %(isbn)s, 'Fiction', 2020, 12.34, 'probe',"
    " now(), now())"
)
NEW_CART = "insert into cart (id, user_id) values (%(cart)s, 'cdc-probe')"
NEW_ORDER = (
    "insert into customer_order (id, user_id, status, total, currency)"
    " values (%(order)s, 'cdc-probe', 'CONFIRMED', 24.68, 'EUR')"
)
NEW_RESERVATION = (
    "insert into reservation (order_id, request_hash, status, expires_at)"
    " values (%(order)s, 'probe', 'held', now() + interval '1 hour')"
)
NEW_STOCK = "insert into stock (book_id, available) values (%(stock_book)s, 5)"

CHANGES = {
    ("ecom", "book"): Change(
        {"id": IDS["book"]},
        NEW_BOOK,
        "update book set price = 23.45 where id = %(book)s",
        "delete from book where id = %(book)s",
    ),
    ("ecom", "cart"): Change(
        {"id": IDS["cart"]},
        NEW_CART,
        "update cart set updated_at = now() + interval '1 second' where id = %(cart)s",
        "delete from cart where id = %(cart)s",
    ),
    ("ecom", "cart_item"): Change(
        {"cart_id": IDS["cart"], "book_id": IDS["book"]},
        "insert into cart_item (cart_id, book_id, quantity) values (%(cart)s, %(book)s, 2)",
        "update cart_item set quantity = 3 where cart_id = %(cart)s and book_id = %(book)s",
        "delete from cart_item where cart_id = %(cart)s and book_id = %(book)s",
        setup=(NEW_BOOK, NEW_CART),
        teardown=("delete from cart where id = %(cart)s", "delete from book where id = %(book)s"),
    ),
    ("ecom", "customer_order"): Change(
        {"id": IDS["order"]},
        NEW_ORDER,
        "update customer_order set status = 'CANCELLED', cancelled_at = now() where id = %(order)s",
        "delete from customer_order where id = %(order)s",
    ),
    ("ecom", "order_item"): Change(
        {"order_id": IDS["order"], "book_id": IDS["book"]},
        "insert into order_item (order_id, book_id, title, unit_price, quantity)"
        " values (%(order)s, %(book)s, 'CDC probe', 12.34, 2)",
        "update order_item set unit_price = 11.11 where order_id = %(order)s and book_id = %(book)s",
        "delete from order_item where order_id = %(order)s and book_id = %(book)s",
        setup=(NEW_BOOK, NEW_ORDER),
        teardown=("delete from customer_order where id = %(order)s", "delete from book where id = %(book)s"),
    ),
    ("ecom", "checkout"): Change(
        {"user_id": "cdc-probe", "idempotency_key": IDS["key"]},
        "insert into checkout (user_id, idempotency_key, order_id, state)"
        " values ('cdc-probe', %(key)s, %(order)s, 'pending')",
        "update checkout set state = 'completed' where user_id = 'cdc-probe' and idempotency_key = %(key)s",
        "delete from checkout where user_id = 'cdc-probe' and idempotency_key = %(key)s",
    ),
    ("inventory", "stock"): Change(
        {"book_id": IDS["stock_book"]},
        NEW_STOCK,
        "update stock set available = 4, reserved = 1 where book_id = %(stock_book)s",
        "delete from stock where book_id = %(stock_book)s",
    ),
    ("inventory", "reservation"): Change(
        {"order_id": IDS["order"]},
        NEW_RESERVATION,
        "update reservation set status = 'committed' where order_id = %(order)s",
        "delete from reservation where order_id = %(order)s",
    ),
    ("inventory", "reservation_line"): Change(
        {"order_id": IDS["order"], "book_id": IDS["stock_book"]},
        "insert into reservation_line (order_id, book_id, quantity) values (%(order)s, %(stock_book)s, 1)",
        "update reservation_line set quantity = 2 where order_id = %(order)s and book_id = %(stock_book)s",
        "delete from reservation_line where order_id = %(order)s and book_id = %(stock_book)s",
        setup=(NEW_STOCK, NEW_RESERVATION),
        teardown=(
            "delete from reservation where order_id = %(order)s",
            "delete from stock where book_id = %(stock_book)s",
        ),
    ),
    ("inventory", "stock_movement"): Change(
        {"id": IDS["order"]},
        "insert into stock_movement (id, book_id, delta, reason, actor)"
        " values (%(order)s, %(stock_book)s, 5, 'RESTOCK', 'cdc-probe')",
        "update stock_movement set note = 'probe note' where id = %(order)s",
        "delete from stock_movement where id = %(order)s",
        setup=(NEW_STOCK,),
        teardown=("delete from stock where book_id = %(stock_book)s",),
    ),
    ("inventory", "processed_event"): Change(
        {"event_id": IDS["order"]},
        "insert into processed_event (event_id) values (%(order)s)",
        "update processed_event set processed_at = now() + interval '1 second' where event_id = %(order)s",
        "delete from processed_event where event_id = %(order)s",
    ),
}


def _mirrored(ctx: Context, schema: str, table: str, key: dict[str, Any]) -> Callable[[], bool]:
    """True when the mirror's row for `key` equals the source's (both absent counts as equal)."""

    def check() -> bool:
        with mirrors.source(ctx, schema) as src, mirrors.analytics(ctx) as dst:
            cols = list(mirrors.BY_SCHEMA[schema].columns.get(table, ())) or mirrors.columns(src, "public", table)
            expected = mirrors.fetch(src, "public", table, cols, key)
            if dst.execute("select to_regclass(%s) as t", (f"{schema}.{table}",)).fetchone() == {"t": None}:
                return expected is None
            try:
                return mirrors.fetch(dst, schema, table, cols, key) == expected
            except psycopg.errors.UndefinedColumn:
                return False  # a column the source just gained, not added to the mirror yet

    return check


class TestEveryTableIsMirrored:
    def test_the_probes_cover_every_captured_table(self, ctx: Context) -> None:
        for src in cdc.SOURCES:
            if src.tables:
                continue  # identity: its one table is exercised through Keycloak below
            with mirrors.source(ctx, src.schema) as conn:
                assert mirrors.captured_tables(conn, src) == {t for s, t in CHANGES if s == src.schema}

    @pytest.mark.parametrize(("schema", "table"), list(CHANGES), ids=[f"{s}.{t}" for s, t in CHANGES])
    def test_insert_update_and_delete_reach_the_mirror(self, ctx: Context, schema: str, table: str) -> None:
        change = CHANGES[(schema, table)]
        with mirrors.source(ctx, schema) as src:
            try:
                for statement in change.setup:
                    src.execute(statement, IDS)
                for step, statement in (("insert", change.insert), ("update", change.update)):
                    src.execute(statement, IDS)
                    row = mirrors.fetch(src, "public", table, mirrors.columns(src, "public", table), change.key)
                    assert row is not None
                    wait_for(_mirrored(ctx, schema, table, change.key), MIRROR_TIMEOUT, f"{step} in {schema}.{table}")
                src.execute(change.delete, IDS)
                wait_for(_mirrored(ctx, schema, table, change.key), MIRROR_TIMEOUT, f"delete in {schema}.{table}")
                with mirrors.analytics(ctx) as dst:
                    cols = mirrors.columns(src, "public", table)
                    assert mirrors.fetch(dst, schema, table, cols, change.key) is None
            finally:
                for statement in change.teardown:
                    src.execute(statement, IDS)

    def test_keycloak_users_are_mirrored_with_the_allowed_columns_only(self, ctx: Context) -> None:
        allowed = mirrors.BY_SCHEMA["identity"].columns["user_entity"]
        with keycloak_admin(ctx) as admin, temporary_user(admin, "cdc") as (username, _):
            user_id = admin.get("/users", params={"username": username, "exact": "true"}).json()[0]["id"]
            key = {"id": user_id}
            wait_for(_mirrored(ctx, "identity", "user_entity", key), MIRROR_TIMEOUT, "new user mirrored")
            with mirrors.analytics(ctx) as dst:
                assert mirrors.fetch(dst, "identity", "user_entity", ["username"], key) == {"username": username}
                assert set(mirrors.columns(dst, "identity", "user_entity")) == set(allowed)
            assert admin.put(f"/users/{user_id}", json={"enabled": False}).status_code == 204
            wait_for(
                lambda: _fetch_mirror(ctx, "identity", "user_entity", ["enabled"], key) == {"enabled": False},
                MIRROR_TIMEOUT,
                "disabled user mirrored",
            )
        # temporary_user deleted the user on leaving the block
        wait_for(
            lambda: _fetch_mirror(ctx, "identity", "user_entity", ["id"], key) is None,
            MIRROR_TIMEOUT,
            "deleted user gone from the mirror",
        )


def _fetch_mirror(ctx: Context, schema: str, table: str, cols: list[str], key: dict[str, Any]) -> dict[str, Any] | None:
    with mirrors.analytics(ctx) as dst:
        return mirrors.fetch(dst, schema, table, cols, key)


class TestMirrorsKeepExactTypes:
    def test_money_stays_numeric_and_times_keep_their_zone(self, ctx: Context) -> None:
        with mirrors.analytics(ctx) as dst:
            rows = dst.execute(
                "select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns"
                " where table_schema = 'ecom' and table_name = 'book' and column_name in ('price', 'created_at')"
            ).fetchall()
        types = {r["column_name"]: (r["data_type"], r["numeric_precision"], r["numeric_scale"]) for r in rows}
        assert types == {"price": ("numeric", 8, 2), "created_at": ("timestamp with time zone", None, None)}


class TestSchemaChanges:
    def test_a_new_table_and_an_added_column_reach_the_mirror_without_a_restart(self, ctx: Context) -> None:
        table = f"cdc_probe_{uuid.uuid4().hex[:8]}"
        ident = sql.Identifier(table)
        connect_pid = Supervisor(ctx).info("kafka-connect")["pid"]
        with mirrors.source(ctx, "ecom") as src, mirrors.analytics(ctx) as dst:
            try:
                src.execute(sql.SQL("create table public.{} (id int primary key, amount numeric(10, 2))").format(ident))
                src.execute(sql.SQL("insert into public.{} values (1, 10.50)").format(ident))
                wait_for(_mirrored(ctx, "ecom", table, {"id": 1}), 30, "the new table's first row")
                src.execute(sql.SQL("alter table public.{} add column note text").format(ident))
                src.execute(sql.SQL("insert into public.{} values (2, 0.01, 'after the change')").format(ident))
                src.execute(sql.SQL("update public.{} set note = 'updated' where id = 1").format(ident))
                wait_for(_mirrored(ctx, "ecom", table, {"id": 2}), MIRROR_TIMEOUT, "a row with the new column")
                wait_for(_mirrored(ctx, "ecom", table, {"id": 1}), MIRROR_TIMEOUT, "an update of the new column")
                assert "note" in mirrors.columns(dst, "ecom", table)
            finally:
                src.execute(sql.SQL("drop table if exists public.{}").format(ident))
                dst.execute(sql.SQL("drop table if exists ecom.{}").format(ident))
        assert Supervisor(ctx).info("kafka-connect")["pid"] == connect_pid  # nothing was restarted

    def test_a_column_added_to_a_table_the_star_schema_reads_keeps_mirror_and_flink_running(self, ctx: Context) -> None:
        column = sql.Identifier(f"cdc_probe_{uuid.uuid4().hex[:6]}")
        book = uuid.uuid4()
        params = {**IDS, "book": book, "isbn": "979" + "".join(random.choices("0123456789", k=10))}
        job_before = flink_status.job(ctx, star.JOB)
        assert job_before is not None and job_before.state == "RUNNING"

        def in_dim_book(price: str) -> bool:
            with mirrors.analytics(ctx) as dst:
                row = dst.execute("select price from star.dim_book where book_id = %s", (book,)).fetchone()
            return row == {"price": Decimal(price)}

        with mirrors.source(ctx, "ecom") as src, mirrors.analytics(ctx) as dst:
            try:
                src.execute(sql.SQL("alter table public.book add column {} text").format(column))
                src.execute(NEW_BOOK, params)
                src.execute(sql.SQL("update public.book set {} = 'probe' where id = %s").format(column), (book,))
                wait_for(_mirrored(ctx, "ecom", "book", {"id": book}), MIRROR_TIMEOUT, "the row with the new column")
                wait_for(lambda: in_dim_book("12.34"), 30, "the new book in star.dim_book")
                src.execute("update public.book set price = 15.00 where id = %s", (book,))
                wait_for(lambda: in_dim_book("15.00"), 30, "the price change in star.dim_book")
            finally:
                src.execute("delete from public.book where id = %s", (book,))
                src.execute(sql.SQL("alter table public.book drop column if exists {}").format(column))
                dst.execute(sql.SQL("alter table ecom.book drop column if exists {}").format(column))
        job_after = flink_status.job(ctx, star.JOB)
        assert job_after is not None and (job_after.jid, job_after.state) == (job_before.jid, "RUNNING")


def _status(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "bookstore"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )


class TestFailuresShow:
    def test_cdc_status_is_healthy_and_lists_every_part(self, ctx: Context) -> None:
        result = _status("cdc", "status")
        assert result.returncode == 0, result.stdout
        for src in cdc.SOURCES:
            for part in (src.source_connector, src.sink_connector, f"slot cdc_{src.db().db}", f"mirror {src.schema}"):
                assert part in result.stdout

    def test_a_failed_connector_makes_cdc_status_fail_and_name_it(self, ctx: Context) -> None:
        name = f"cdc-probe-broken-{uuid.uuid4().hex[:6]}"
        base = f"http://127.0.0.1:{ctx.port('CONNECT_PORT')}/connectors"
        src = mirrors.BY_SCHEMA["ecom"]
        config = {
            **cdc.source_config(ctx, src),
            "publication.name": "no_such_publication",
            "slot.name": name.replace("-", "_"),
        }
        config["topic.prefix"] = name
        assert httpx.put(f"{base}/{name}/config", json=config, timeout=30).status_code in (200, 201)
        try:
            wait_for(
                lambda: "FAILED" in httpx.get(f"{base}/{name}/status", timeout=5).text, 60, "the connector failing"
            )
            result = _status("cdc", "status")
            assert result.returncode == 1
            assert f"connector {name}" in result.stdout and "FAILED" in result.stdout
            assert name in result.stdout.split("not healthy:")[-1]
        finally:
            httpx.delete(f"{base}/{name}", timeout=30)
        wait_for(lambda: _status("cdc", "status").returncode == 0, 30, "cdc status healthy again")

    def test_a_poison_record_goes_to_the_dead_letter_topic_and_the_next_is_applied(self, ctx: Context) -> None:
        # One probe topic, kept between runs: deleting a topic under the sink's regex subscription leaves its
        # consumer retrying commits on the vanished partition.
        table = "cdc_poison_probe"
        topic = f"cdc.ecom.public.{table}"
        admin = AdminClient({"bootstrap.servers": bootstrap(ctx)})
        if topic not in admin.list_topics(timeout=10).topics:
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=30)
        label = f"applied {uuid.uuid4().hex[:6]}"
        dlq = TopicReader(ctx, cdc.DLQ_TOPIC)
        producer = Producer({"bootstrap.servers": bootstrap(ctx)})
        key = json.dumps(
            {
                "schema": {
                    "type": "struct",
                    "fields": [{"field": "id", "type": "int32", "optional": False}],
                    "optional": False,
                },
                "payload": {"id": 7},
            }
        )
        value_schema = {
            "type": "struct",
            "optional": False,
            "fields": [
                {
                    "field": "before",
                    "type": "struct",
                    "optional": True,
                    "fields": [
                        {"field": "id", "type": "int32", "optional": False},
                        {"field": "label", "type": "string", "optional": True},
                    ],
                },
                {
                    "field": "after",
                    "type": "struct",
                    "optional": True,
                    "fields": [
                        {"field": "id", "type": "int32", "optional": False},
                        {"field": "label", "type": "string", "optional": True},
                    ],
                },
                {
                    "field": "source",
                    "type": "struct",
                    "optional": False,
                    "fields": [
                        {"field": "table", "type": "string", "optional": False},
                        {"field": "schema", "type": "string", "optional": False},
                        {"field": "db", "type": "string", "optional": False},
                        {"field": "connector", "type": "string", "optional": False},
                    ],
                },
                {"field": "op", "type": "string", "optional": False},
            ],
            "name": f"cdc.ecom.public.{table}.Envelope",
        }
        good = {
            "schema": value_schema,
            "payload": {
                "before": None,
                "after": {"id": 7, "label": label},
                "op": "c",
                "source": {"table": table, "schema": "public", "db": "ecom", "connector": "postgresql"},
            },
        }
        try:
            producer.produce(topic, key=b"{not json", value=b"\x00\x01 definitely not a change event")
            producer.produce(topic, key=key.encode(), value=json.dumps(good).encode())
            assert producer.flush(10) == 0
            poison = b"\x00\x01"
            seen = dlq.read_until(lambda got: any((m.value() or b"").startswith(poison) for m in got), 60)
            [dead] = [m for m in seen if (m.value() or b"").startswith(poison)]
            named = headers(dead)
            assert named["__connect.errors.topic"] == topic.encode()
            assert (
                b"DataException" in named["__connect.errors.exception.class.name"]
                or named["__connect.errors.exception.message"]
            )
            wait_for(
                lambda: _fetch_mirror(ctx, "ecom", table, ["label"], {"id": 7}) == {"label": label},
                60,
                "the next record applied",
            )
        finally:
            dlq.close()
            with mirrors.analytics(ctx) as dst:
                dst.execute(sql.SQL("drop table if exists ecom.{}").format(sql.Identifier(table)))


# The chaos shopper's pace: 2 requests an order, well inside the default 600 requests/min per customer.
ORDERS_PER_SECOND = 4


class TestNothingLostNothingDoubled:
    def test_mirrors_and_star_equal_their_sources_after_every_analytics_process_crashes(self, ctx: Context) -> None:
        """While a customer keeps ordering: kill -9 Kafka Connect, then Flink's TaskManager, then its JobManager,
        then restart analytics-db; afterwards every mirror equals its source and the facts equal the join."""
        sup = Supervisor(ctx)
        placed: list[str] = []
        errors: list[str] = []
        timeouts: list[str] = []
        stop = threading.Event()

        def shop(username: str, password: str) -> None:
            """Orders as fast as one customer can place them (add to cart, check out), until told to stop."""
            with api_client(ctx) as api:

                def sign_in() -> dict[str, str]:
                    return with_csrf(api, {"Authorization": f"Bearer {user_token(ctx, username, password)}"})

                headers = sign_in()
                while not stop.is_set():
                    key = str(uuid.uuid4())
                    # Two requests an order, at most ORDERS_PER_SECOND: within the API's per-customer budget.
                    stop.wait(1 / ORDERS_PER_SECOND)
                    try:
                        added = api.post("/ecom/cart", json={"book_id": str(BOOK.id), "quantity": 1}, headers=headers)
                        response = api.post("/ecom/checkout", headers={**headers, "Idempotency-Key": key})
                    except httpx.TimeoutException:
                        # The machine is saturated by restarting JVMs: not what this test is about. Whatever
                        # the request did is in the sources, which the mirrors must equal anyway.
                        timeouts.append(key)
                        continue
                    if limited := next((r for r in (added, response) if r.status_code == 429), None):
                        stop.wait(float(limited.headers.get("Retry-After", "1")))  # as the server asks
                        continue
                    if 401 in (added.status_code, response.status_code):
                        # The access token (5 min) ran out during the crashes: sign in again, as the storefront
                        # does. Whatever the refused request did not do, it did not do on the sources either.
                        headers = sign_in()
                        continue
                    if added.status_code != 200 or response.status_code != 201:
                        errors.append(f"{added.status_code} {response.status_code} {response.text[:200]}")
                        continue
                    placed.append(response.json()["order_id"])

        def more_orders(what: str) -> None:
            target = len(placed) + 3
            wait_for(lambda: len(placed) >= target, 90, f"orders placed {what}")

        def healthy(what: str) -> None:
            wait_for(lambda: _status("cdc", "status").returncode == 0, 240, what)

        with (
            keycloak_admin(ctx) as kc,
            temporary_user(kc, "chaos", roles=("customer",)) as (username, password),
            api_client(ctx) as api,
        ):
            set_stock(api, with_csrf(api, {"Authorization": f"Bearer {admin_token(ctx)}"}), BOOK.id, 10_000)
            shopper = threading.Thread(target=shop, args=(username, password), daemon=True)
            shopper.start()
            try:
                more_orders("before any crash")
                for component in ("kafka-connect", "flink-taskmanager", "flink-jobmanager"):
                    os.kill(sup.info(component)["pid"], signal.SIGKILL)
                    more_orders(f"while {component} is down")
                    healthy(f"{component} back, every connector and the Flink job running")
                sup.stop("analytics-db")
                try:
                    more_orders("while analytics-db is down")
                finally:
                    sup.start("analytics-db")  # whatever happened: the tests after this one need it
                more_orders("after analytics-db is back")
            finally:
                stop.set()
                shopper.join(30)
        assert errors == []
        # A sink task whose flush retries on a connection the restart killed gives up after 10 s and the keeper
        # restarts it (a 5-minute retry loop once made this wait time out): the mirrors catch up well within 3 min.
        for schema in ("ecom", "inventory", "identity"):
            wait_for(lambda s=schema: mirrors.mirror_equals_source(ctx, s) == [], 180, f"{schema} mirrors equal")  # type: ignore[misc]
        wait_for(lambda: mirrors.star_equals_sources(ctx) == [], 180, "facts and aggregates equal the sources")
        with mirrors.analytics(ctx) as dst:
            rows = dst.execute("select count(*) as n from ecom.customer_order where id = any(%s)", (placed,)).fetchone()
            facts = dst.execute(
                "select count(distinct order_id) as n from star.fact_order_line where order_id = any(%s)", (placed,)
            ).fetchone()
        assert rows == facts == {"n": len(placed)}
        healthy("cdc status healthy")
