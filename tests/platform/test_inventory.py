"""The running inventory service with real Keycloak tokens, Kafka and the Debezium outbox connector."""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Message, Producer
from servicekit.catalog import load_catalog

from bookstore.components import Context
from bookstore.config import ROOT
from tests.events import TopicReader, bootstrap, committed_offset, headers, payload, reservation_status
from tests.tokens import admin_token, customer_token, service_token
from tests.waiting import wait_for

BOOKS = [book.id for book in load_catalog(ROOT / "data" / "catalog" / "books.json")]
EVENT_FIELDS = {
    "event_id",
    "book_id",
    "previous_available",
    "new_available",
    "delta",
    "reason",
    "order_id",
    "occurred_at",
}


@pytest.fixture(scope="module")
def inven(ctx: Context) -> str:
    return f"http://127.0.0.1:{ctx.port('INVENTORY_SERVICE_PORT')}/inven"


@pytest.fixture(scope="module")
def ecom_auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {service_token(ctx, 'ecom-service')}"}


@pytest.fixture(scope="module")
def admin_auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(ctx)}"}


@pytest.fixture(scope="module")
def customer_auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token(ctx)}"}


@pytest.fixture
def stocked(inven: str, admin_auth: dict[str, str]) -> Callable[[int, int], uuid.UUID]:
    """Sets book number `index` of the catalog to `units` available, through the admin API."""

    def set_stock(index: int, units: int) -> uuid.UUID:
        book = BOOKS[index]
        response = httpx.put(f"{inven}/admin/stock/{book}", json={"available": units}, headers=admin_auth)
        assert response.status_code == 200, response.text
        return book

    return set_stock


@pytest.fixture
def inventory_updates(ctx: Context) -> Iterator[TopicReader]:
    reader = TopicReader(ctx, "inventory.updated")
    yield reader
    reader.close()


def _events(messages: list[Message], **match: Any) -> list[dict[str, Any]]:
    decoded = [payload(m) for m in messages]
    return [e for e in decoded if all(e.get(k) == v for k, v in match.items())]


def _reserve(
    inven: str, auth: dict[str, str], order_id: uuid.UUID, items: list[tuple[uuid.UUID, int]]
) -> httpx.Response:
    body = {"order_id": str(order_id), "items": [{"book_id": str(b), "quantity": q} for b, q in items]}
    return httpx.post(f"{inven}/reservations", json=body, headers=auth, timeout=10)


def _order_created(order_id: uuid.UUID, items: list[tuple[uuid.UUID, int]], event_id: uuid.UUID | None = None) -> bytes:
    return json.dumps(
        {
            "event_id": str(event_id or uuid.uuid4()),
            "order_id": str(order_id),
            "user_id": "test-user",
            "items": [{"book_id": str(b), "quantity": q, "unit_price": "10.00"} for b, q in items],
            "total": str(10 * sum(q for _b, q in items)),
            "currency": "EUR",
            "created_at": datetime.now(UTC).isoformat(),
        }
    ).encode()


def _produce(ctx: Context, topic: str, key: str, value: bytes) -> tuple[int, int]:
    """Produce one record and return where it landed: (partition, offset)."""
    producer = Producer({"bootstrap.servers": bootstrap(ctx)})
    delivered: list[tuple[Any, Message]] = []
    producer.produce(topic, value, key=key.encode(), on_delivery=lambda err, m: delivered.append((err, m)))
    producer.flush(15)
    [(error, message)] = delivered
    partition, offset = message.partition(), message.offset()
    assert error is None and partition is not None and offset is not None, error
    return partition, offset


def _stock_and_movements(ctx: Context, book: uuid.UUID) -> tuple[tuple[int, int], int]:
    """A book's (available, reserved) and how many stock movements it has had, from inventory's database."""
    with psycopg.connect(ctx.env["INVENTORY_DATABASE_URL"]) as conn:
        stock = conn.execute("select available, reserved from stock where book_id = %s", (book,)).fetchone()
        [movements] = conn.execute("select count(*) from stock_movement where book_id = %s", (book,)).fetchone() or (0,)
    assert stock is not None
    return (stock[0], stock[1]), movements


class TestPublicStock:
    def test_stock_is_served_through_the_gateway(self, ctx: Context, ca_file: str, public_dns: None) -> None:
        url = f"https://api.service.net:{ctx.port('GATEWAY_PORT')}/inven/stock"
        with httpx.Client(verify=ssl.create_default_context(cafile=ca_file), timeout=10) as client:
            one = client.get(f"{url}/{BOOKS[0]}")
            assert one.status_code == 200
            assert set(one.json()) == {"book_id", "available", "reserved", "updated_at"}
            assert client.get(f"{url}/{uuid.uuid4()}").status_code == 404
            assert client.get(f"{url}/not-a-uuid").status_code == 422
            bulk = client.get(url, params={"ids": ",".join(str(b) for b in BOOKS[:3])})
            assert {item["book_id"] for item in bulk.json()} == {str(b) for b in BOOKS[:3]}


class TestEventContract:
    def test_admin_adjust_yields_exactly_one_inventory_updated_record(
        self,
        inven: str,
        admin_auth: dict[str, str],
        stocked: Callable[[int, int], uuid.UUID],
        inventory_updates: TopicReader,
    ) -> None:
        book = stocked(1, 40)
        response = httpx.post(
            f"{inven}/admin/stock/{book}/adjust", json={"delta": 3, "reason": "recount"}, headers=admin_auth
        )
        assert response.status_code == 200 and response.json()["available"] == 43
        messages = inventory_updates.read_until(lambda m: bool(_events(m, book_id=str(book), reason="admin_adjust")))
        [event] = _events(messages, book_id=str(book), reason="admin_adjust")
        assert set(event) == EVENT_FIELDS
        assert (event["previous_available"], event["new_available"], event["delta"]) == (40, 43, 3)
        assert event["order_id"] is None
        [record] = [m for m in messages if payload(m)["event_id"] == event["event_id"]]
        assert record.key() == str(book).encode()  # keyed by book: per-book ordering

    def test_reservation_of_two_books_yields_one_record_per_book(
        self,
        inven: str,
        ecom_auth: dict[str, str],
        stocked: Callable[[int, int], uuid.UUID],
        inventory_updates: TopicReader,
    ) -> None:
        a, b = stocked(2, 20), stocked(3, 20)
        order = uuid.uuid4()
        assert _reserve(inven, ecom_auth, order, [(a, 2), (b, 5)]).status_code == 201
        messages = inventory_updates.read_until(lambda m: len(_events(m, order_id=str(order))) >= 2)
        # Every record of the order, duplicates included: exactly one per book.
        records = sorted((e["book_id"], e["delta"], e["reason"]) for e in _events(messages, order_id=str(order)))
        assert records == sorted([(str(a), -2, "reserve"), (str(b), -5, "reserve")])


class TestOrderCreatedConsumer:
    def test_order_created_commits_the_reservation_once(
        self, ctx: Context, inven: str, ecom_auth: dict[str, str], stocked: Callable[[int, int], uuid.UUID]
    ) -> None:
        book = stocked(4, 10)
        order = uuid.uuid4()
        assert _reserve(inven, ecom_auth, order, [(book, 3)]).status_code == 201
        event_id = uuid.uuid4()
        _produce(ctx, "order.created", str(order), _order_created(order, [(book, 3)], event_id))
        wait_for(lambda: reservation_status(ctx, order) == "committed", 30, "the reservation to be committed")
        stock = httpx.get(f"{inven}/stock/{book}").json()
        assert (stock["available"], stock["reserved"]) == (7, 0)
        before = _stock_and_movements(ctx, book)
        assert before[0] == (7, 0)
        # The same event again (a redelivery): inventory's consumer reads it, handles it as a duplicate
        # (its offset is committed past it without a dead letter) and nothing changes.
        dlq = TopicReader(ctx, "order.created.dlq")
        try:
            partition, offset = _produce(ctx, "order.created", str(order), _order_created(order, [(book, 3)], event_id))
            wait_for(
                lambda: committed_offset(ctx, "inventory-service", "order.created", partition) > offset,
                30,
                f"inventory's consumer to commit past the redelivered record (partition {partition}, offset {offset})",
            )
            dead = [m for m in dlq.read_available() if m.key() == str(order).encode()]
        finally:
            dlq.close()
        after, status = _stock_and_movements(ctx, book), reservation_status(ctx, order)
        assert dead == []
        assert after == before
        assert status == "committed"

    def test_malformed_event_goes_to_the_dlq_and_the_next_event_is_processed(
        self, ctx: Context, inven: str, ecom_auth: dict[str, str], stocked: Callable[[int, int], uuid.UUID]
    ) -> None:
        dlq = TopicReader(ctx, "order.created.dlq")
        try:
            marker = f"not json {uuid.uuid4()}".encode()
            _produce(ctx, "order.created", "poison", marker)
            book = stocked(5, 10)
            order = uuid.uuid4()
            assert _reserve(inven, ecom_auth, order, [(book, 1)]).status_code == 201
            _produce(ctx, "order.created", str(order), _order_created(order, [(book, 1)]))

            def ours(m: Message) -> bool:  # the notifier dead-letters its own copy of the same record
                return m.value() == marker and headers(m).get("consumer.group") == b"inventory-service"

            dead = dlq.read_until(lambda m: any(ours(x) for x in m))
            [record] = [m for m in dead if ours(m)]
            named = headers(record)
            assert named["error"].startswith(b"malformed event")
            assert named["original.topic"] == b"order.created"
        finally:
            dlq.close()
        wait_for(lambda: reservation_status(ctx, order) == "committed", 30, "the good event after the poison one")


class TestConsumerMetrics:
    def test_lag_and_outcomes_are_exported(
        self, ctx: Context, inven: str, ecom_auth: dict[str, str], stocked: Callable[[int, int], uuid.UUID]
    ) -> None:
        book = stocked(8, 5)
        order = uuid.uuid4()
        assert _reserve(inven, ecom_auth, order, [(book, 1)]).status_code == 201
        _produce(ctx, "order.created", str(order), _order_created(order, [(book, 1)]))
        wait_for(lambda: reservation_status(ctx, order) == "committed", 30, "the commit")

        def lag_samples() -> dict[str, float]:
            text = httpx.get(f"{inven}/metrics").text
            return {
                line.split(" ")[0]: float(line.split(" ")[1])
                for line in text.splitlines()
                if line.startswith("inventory_consumer_lag{") and 'topic="order.created"' in line
            }

        # Every partition of order.created is reported, and the consumer has caught up.
        samples = wait_for(lambda: s if len(s := lag_samples()) == 3 else {}, 30, "lag for all 3 partitions")
        assert set(samples.values()) == {0.0}
        text = httpx.get(f"{inven}/metrics").text
        committed = [
            line
            for line in text.splitlines()
            if line.startswith('inventory_order_created_events_total{outcome="committed"}')
        ]
        assert committed and float(committed[0].split(" ")[1]) >= 1


class TestExpiry:
    def test_expired_reservation_is_released_and_announced(
        self,
        ctx: Context,
        inven: str,
        ecom_auth: dict[str, str],
        stocked: Callable[[int, int], uuid.UUID],
        inventory_updates: TopicReader,
    ) -> None:
        book = stocked(6, 10)
        order = uuid.uuid4()
        assert _reserve(inven, ecom_auth, order, [(book, 4)]).status_code == 201
        assert httpx.get(f"{inven}/stock/{book}").json()["available"] == 6
        # Age the reservation past its TTL; the service's own sweeper must find it.
        with psycopg.connect(ctx.env["INVENTORY_DATABASE_URL"]) as conn:
            conn.execute(
                "update reservation set expires_at = now() - interval '1 second' where order_id = %s", (order,)
            )
        wait_for(lambda: reservation_status(ctx, order) == "expired", 60, "the sweeper to expire the reservation")
        stock = httpx.get(f"{inven}/stock/{book}").json()
        assert (stock["available"], stock["reserved"]) == (10, 0)
        messages = inventory_updates.read_until(lambda m: bool(_events(m, order_id=str(order), reason="expire")))
        [event] = _events(messages, order_id=str(order), reason="expire")
        assert (event["previous_available"], event["new_available"], event["delta"]) == (6, 10, 4)


class TestAuthorization:
    def test_roles_are_enforced_with_real_keycloak_tokens_and_refusals_change_nothing(
        self,
        ctx: Context,
        inven: str,
        customer_auth: dict[str, str],
        admin_auth: dict[str, str],
        ecom_auth: dict[str, str],
        stocked: Callable[[int, int], uuid.UUID],
    ) -> None:
        book = stocked(7, 10)
        before = _stock_and_movements(ctx, book)
        order = uuid.uuid4()
        assert _reserve(inven, {}, order, [(book, 1)]).status_code == 401
        assert _reserve(inven, {"Authorization": "Bearer not.a.jwt"}, order, [(book, 1)]).status_code == 401
        assert _reserve(inven, customer_auth, order, [(book, 1)]).status_code == 403
        assert _reserve(inven, admin_auth, order, [(book, 1)]).status_code == 403
        for auth in (customer_auth, ecom_auth):
            assert httpx.get(f"{inven}/admin/stock", headers=auth).status_code == 403
            change = httpx.put(f"{inven}/admin/stock/{book}", json={"available": 1}, headers=auth)
            assert change.status_code == 403
            adjust = httpx.post(f"{inven}/admin/stock/{book}/adjust", json={"delta": 1, "reason": "x"}, headers=auth)
            assert adjust.status_code == 403
        assert httpx.get(f"{inven}/admin/stock", headers=admin_auth).status_code == 200
        # Refused, so nothing happened: no reservation, the same stock, no movement.
        status, after = reservation_status(ctx, order), _stock_and_movements(ctx, book)
        assert status is None
        assert after == before
