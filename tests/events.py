"""Reading what the platform publishes: Kafka topics from "now" on, and inventory's reservation states."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from bookstore.components import Context


def payload(message: Message) -> Any:
    """A record's JSON value, decoded."""
    value = message.value()
    assert value is not None, "a record without a value"
    return json.loads(value)


def headers(message: Message) -> dict[str, bytes]:
    """A record's headers by name (a missing value as b"")."""
    raw = message.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    return {name: value.encode() if isinstance(value, str) else value or b"" for name, value in pairs}


def bootstrap(ctx: Context) -> str:
    return f"127.0.0.1:{ctx.port('KAFKA_PORT')}"


class TopicReader:
    """Reads what a topic received after the reader was opened."""

    def __init__(self, ctx: Context, topic: str) -> None:
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap(ctx), "group.id": f"test-{uuid.uuid4().hex}", "enable.auto.commit": False}
        )
        self.topic = topic
        partitions = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        starts = []
        for p in partitions:
            _low, high = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            starts.append(TopicPartition(topic, p, high))
        self.starts = {tp.partition: tp.offset for tp in starts}
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

    def read_available(self, timeout: float = 30) -> list[Message]:
        """Everything the topic received since the reader was opened, up to its end as of this call."""
        ends = {
            p: self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1] for p in self.starts
        }
        seen: list[Message] = []
        deadline = time.monotonic() + timeout

        def behind() -> list[int]:
            positions = self.consumer.position([TopicPartition(self.topic, p) for p in self.starts])
            return [tp.partition for tp in positions if max(tp.offset, self.starts[tp.partition]) < ends[tp.partition]]

        while behind():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out reading {self.topic} to offsets {ends}")
            msg = self.consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen.append(msg)
        return seen

    def close(self) -> None:
        self.consumer.close()


def committed_offset(ctx: Context, group: str, topic: str, partition: int) -> int:
    """The offset a consumer group has committed on a partition (the next record it will read); -1 if none."""
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, partition)])
    admin = AdminClient({"bootstrap.servers": bootstrap(ctx)})
    [answer] = admin.list_consumer_group_offsets([request]).values()
    [committed] = answer.result(timeout=10).topic_partitions
    return int(committed.offset)


def reservation_status(ctx: Context, order_id: uuid.UUID) -> str | None:
    with psycopg.connect(ctx.env["INVENTORY_DATABASE_URL"]) as conn:
        row = conn.execute("select status from reservation where order_id = %s", (order_id,)).fetchone()
    return row[0] if row else None
