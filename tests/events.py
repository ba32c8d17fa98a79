"""Reading what the platform publishes: Kafka topics from "now" on, and inventory's reservation states."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import psycopg
from confluent_kafka import Consumer, Message, TopicPartition

from bookstore.components import Context


def bootstrap(ctx: Context) -> str:
    return f"127.0.0.1:{ctx.port('KAFKA_PORT')}"


class TopicReader:
    """Reads what a topic received after the reader was opened."""

    def __init__(self, ctx: Context, topic: str) -> None:
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap(ctx), "group.id": f"test-{uuid.uuid4().hex}", "enable.auto.commit": False}
        )
        partitions = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        starts = []
        for p in partitions:
            _low, high = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            starts.append(TopicPartition(topic, p, high))
        self.consumer.assign(starts)

    def read_until(
        self, done: Callable[[list[Message]], bool], timeout: float = 30, settle: float = 3
    ) -> list[Message]:
        """Read until `done`, then keep listening `settle` seconds so a duplicate would be seen too."""
        seen: list[Message] = []
        deadline, settled_at = time.monotonic() + timeout, None
        while settled_at is None or time.monotonic() < settled_at:
            if settled_at is None and time.monotonic() > deadline:
                raise AssertionError(f"timed out; got {[m.value() for m in seen]}")
            msg = self.consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen.append(msg)
            if settled_at is None and done(seen):
                settled_at = time.monotonic() + settle
        return seen

    def close(self) -> None:
        self.consumer.close()


def reservation_status(ctx: Context, order_id: uuid.UUID) -> str | None:
    with psycopg.connect(ctx.env["INVENTORY_DATABASE_URL"]) as conn:
        row = conn.execute("select status from reservation where order_id = %s", (order_id,)).fetchone()
    return row[0] if row else None
