"""Order emails end to end: a checkout through the gateway (real Keycloak token, ecom, Debezium, Kafka) reaches the
notifier, which mails the customer through the real mail server; duplicates, outages and poison records."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Message, Producer

from bookstore.components import BY_NAME, Context
from bookstore.supervise import Supervisor
from tests.api import api_client, create_book, place_order, set_stock, with_csrf
from tests.events import TopicReader, bootstrap, headers
from tests.tokens import admin_token, customer_token
from tests.waiting import wait_for


def _mail_api(ctx: Context) -> str:
    return f"http://127.0.0.1:{ctx.port('MAILPIT_PORT')}/api/v1"


def mails(ctx: Context, order_id: str) -> list[dict[str, Any]]:
    """Every message whose subject names the order, newest first."""
    query = {"query": f'subject:"{order_id}"'}
    page = httpx.get(f"{_mail_api(ctx)}/search", params=query, timeout=5).json()
    return list(page["messages"])


def message(ctx: Context, summary: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{_mail_api(ctx)}/message/{summary['ID']}", timeout=5).json()
    return body


def event(order_id: str, email: str, title: str = "Sent Twice", event_id: str | None = None) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "order_id": order_id,
        "user_id": "test",
        "email": email,
        "items": [{"book_id": str(uuid.uuid4()), "title": title, "quantity": 1, "unit_price": "3.00"}],
        "total": "3.00",
        "currency": "EUR",
        "created_at": "2026-11-28T04:00:00Z",
    }


def produce(ctx: Context, topic: str, key: str, *values: bytes) -> None:
    producer = Producer({"bootstrap.servers": bootstrap(ctx), "enable.idempotence": True})
    for value in values:
        producer.produce(topic, key=key.encode(), value=value)
    assert producer.flush(15) == 0


@pytest.fixture
def api(ctx: Context) -> Iterator[httpx.Client]:
    with api_client(ctx) as client:
        yield client


@pytest.fixture
def customer(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token(ctx)}"}


@pytest.fixture
def admin(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(ctx)}"}


def new_book(api: httpx.Client, admin: dict[str, str], title: str, price: str) -> uuid.UUID:
    book = uuid.UUID(create_book(api, admin, title, price=price))
    set_stock(api, admin, book, 10)
    return book


class TestOrderEmails:
    def test_checkout_mails_the_confirmation_and_cancel_the_cancellation(
        self, ctx: Context, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        title = f"Mail Me {uuid.uuid4().hex[:8]}"
        book = new_book(api, admin, title, "11.25")
        order = place_order(api, with_csrf(api, customer), {book: 2})
        order_id = order["order_id"]

        [confirmation] = wait_for(lambda: mails(ctx, order_id), 60, "the confirmation email")
        full = message(ctx, confirmation)
        assert full["Subject"] == f"Your order {order_id} is confirmed"
        assert full["To"][0]["Address"] == f"{ctx.env['BOOKSTORE_CUSTOMER_USER']}@myecom.net"
        assert f"- {title} x 2 at 11.25 EUR" in full["Text"]
        assert "Total: 22.50 EUR" in full["Text"]
        assert f"<td>{title}</td><td>2</td><td>11.25 EUR</td>" in full["HTML"]

        cancelled = api.post(f"/ecom/orders/{order_id}/cancel", headers=with_csrf(api, customer))
        assert cancelled.status_code == 200, cancelled.text

        def cancellation() -> list[dict[str, Any]]:
            return [m for m in mails(ctx, order_id) if m["Subject"].endswith("is cancelled")]

        [notice] = wait_for(cancellation, 60, "the cancellation email")
        assert "Total: 22.50 EUR" in message(ctx, notice)["Text"]

    def test_the_same_event_delivered_twice_sends_one_email(self, ctx: Context) -> None:
        order_id, key = str(uuid.uuid4()), uuid.uuid4().hex
        twice = json.dumps(event(order_id, "twice@example.org")).encode()
        after = str(uuid.uuid4())
        # Same key, same partition: once the later order's email is there, both copies were consumed.
        produce(ctx, "order.created", key, twice, twice, json.dumps(event(after, "after@example.org")).encode())

        wait_for(lambda: mails(ctx, after), 60, "the email of the event produced after the duplicate")
        assert len(mails(ctx, order_id)) == 1

    def test_a_poison_record_is_dead_lettered_and_the_next_event_is_sent(self, ctx: Context) -> None:
        dlq = TopicReader(ctx, "order.created.dlq")
        try:
            order_id, key = str(uuid.uuid4()), uuid.uuid4().hex
            poison = f"not json {key}".encode()
            produce(ctx, "order.created", key, poison, json.dumps(event(order_id, "next@example.org")).encode())

            wait_for(lambda: mails(ctx, order_id), 60, "the email of the event after the poison record")

            def ours(m: Message) -> bool:  # inventory dead-letters its own copy of the same record
                return m.value() == poison and headers(m).get("consumer.group") == b"notifier"

            dead = dlq.read_until(lambda seen: any(ours(m) for m in seen), timeout=30, settle=0)
            [record] = [m for m in dead if ours(m)]
            assert headers(record)["original.topic"] == b"order.created"
            assert headers(record)["error"].startswith(b"malformed event")
        finally:
            dlq.close()

    def test_mail_server_down_during_a_checkout_delays_the_email_but_loses_nothing(
        self, ctx: Context, api: httpx.Client, customer: dict[str, str], admin: dict[str, str]
    ) -> None:
        book = new_book(api, admin, f"Patience {uuid.uuid4().hex[:8]}", "4.00")
        supervisor = Supervisor(ctx)
        retried = _metric(ctx, "retried")
        supervisor.stop("mailpit")
        try:
            order_id = place_order(api, with_csrf(api, customer), {book: 1})["order_id"]
            # The notifier got the event and is retrying against the stopped server.
            wait_for(lambda: _metric(ctx, "retried") > retried, 60, "the notifier retrying")
        finally:
            supervisor.start("mailpit")
        wait_for(lambda: BY_NAME["mailpit"].is_ready(ctx), 60, "the mail server back")
        [mail] = wait_for(lambda: mails(ctx, order_id), 90, "the email once the mail server is back")
        assert "Total: 4.00 EUR" in message(ctx, mail)["Text"]


def _metric(ctx: Context, outcome: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{ctx.port('NOTIFIER_PORT')}/notifier/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(f'notifier_events_total{{outcome="{outcome}"}}'):
            return float(line.split()[-1])
    return 0.0
