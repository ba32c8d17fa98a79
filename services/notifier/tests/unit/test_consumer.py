"""The consumer sends one email per event id, retries while SMTP is down, and dead-letters what it cannot use.
Redis and SMTP are faked here; tests/platform/test_notifier.py runs the real ones."""

import json
import smtplib
import uuid
from email.message import Message
from typing import Any, cast

from aiokafka import ConsumerRecord
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from notifier.config import Settings
from notifier.consumer import NotificationConsumer
from notifier.mailer import Mailer


class FakeRedis:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def exists(self, key: str) -> int:
        return int(key in self.values)

    async def set(self, key: str, value: str, ex: int | None = None) -> None:
        self.values[key] = value


def record(value: bytes, topic: str = "order.created", offset: int = 3) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=topic,
        partition=1,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=[],
    )


def payload(email: str | None = "reader@example.org") -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "order_id": str(uuid.uuid4()),
            "user_id": "u1",
            "email": email,
            "items": [{"book_id": str(uuid.uuid4()), "title": "Dune", "quantity": 1, "unit_price": "9.50"}],
            "total": "9.50",
            "currency": "EUR",
            "created_at": "2026-11-28T04:00:00Z",
        }
    ).encode()


def outcomes(name: str) -> float:
    return REGISTRY.get_sample_value("notifier_events_total", {"outcome": name}) or 0.0


class FakeMailer:
    def __init__(self, failures: int) -> None:
        self.mailed: list[Message] = []
        self.failures = failures

    async def send(self, message: Message) -> None:
        if self.failures:
            self.failures -= 1
            raise smtplib.SMTPServerDisconnected("relay down")
        self.mailed.append(message)


class Harness:
    def __init__(self, failures: int = 0) -> None:
        self.mailer = FakeMailer(failures)
        self.mailed = self.mailer.mailed
        self.dead: list[dict[str, Any]] = []
        settings = Settings(max_attempts=3, backoff_seconds=0)
        self.consumer = NotificationConsumer(settings, cast(Redis, FakeRedis()), cast(Mailer, self.mailer))

    async def handle(self, rec: ConsumerRecord[bytes, bytes]) -> None:
        async def send(topic: str, **kwargs: Any) -> None:
            self.dead.append({"topic": topic} | kwargs)

        await self.consumer.handle(rec, send)


class TestNotificationConsumer:
    async def test_an_event_delivered_twice_sends_one_email(self) -> None:
        harness = Harness()
        value = payload()
        before = outcomes("duplicate_event")
        await harness.handle(record(value))
        await harness.handle(record(value, offset=4))
        assert len(harness.mailed) == 1
        assert harness.mailed[0]["To"] == "reader@example.org"
        assert outcomes("duplicate_event") == before + 1

    async def test_a_cancellation_sends_the_cancellation_email(self) -> None:
        harness = Harness()
        await harness.handle(record(payload(), topic="order.cancelled"))
        [mail] = harness.mailed
        assert "cancelled" in str(mail["Subject"])

    async def test_smtp_down_for_less_than_the_retries_still_sends(self) -> None:
        harness = Harness(failures=2)
        await harness.handle(record(payload()))
        assert (len(harness.mailed), harness.dead) == (1, [])

    async def test_smtp_down_longer_dead_letters_to_the_topics_twin(self) -> None:
        harness = Harness(failures=10)
        await harness.handle(record(payload(), topic="order.cancelled"))
        [dead] = harness.dead
        assert harness.mailed == []
        assert dead["topic"] == "order.cancelled.dlq"
        assert dict(dead["headers"])["error"].startswith(b"gave up after 3 attempts")

    async def test_a_poison_record_is_dead_lettered_and_the_next_one_is_sent(self) -> None:
        harness = Harness()
        await harness.handle(record(b"{not json"))
        await harness.handle(record(payload()))
        [dead] = harness.dead
        assert dead["topic"] == "order.created.dlq"
        assert dict(dead["headers"])["error"].startswith(b"malformed event")
        assert len(harness.mailed) == 1

    async def test_an_order_without_a_verified_address_sends_nothing(self) -> None:
        harness = Harness()
        before = outcomes("no_address")
        await harness.handle(record(payload(email=None)))
        assert (harness.mailed, harness.dead, outcomes("no_address")) == ([], [], before + 1)
