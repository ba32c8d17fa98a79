"""Kafka (KRaft): the platform's topics exist, and unknown topics are never auto-created."""

from __future__ import annotations

import uuid

from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient

from bookstore.components import TOPICS, Context


def _bootstrap(ctx: Context) -> str:
    return f"127.0.0.1:{ctx.port('KAFKA_PORT')}"


class TestKafka:
    def test_platform_topics_and_their_dlqs_exist(self, ctx: Context) -> None:
        topics = AdminClient({"bootstrap.servers": _bootstrap(ctx)}).list_topics(timeout=10).topics
        assert {"order.created", "inventory.updated", "order.created.dlq", "inventory.updated.dlq"} <= set(topics)
        assert set(TOPICS) <= set(topics)

    def test_producing_to_unknown_topic_fails_and_creates_nothing(self, ctx: Context) -> None:
        topic = f"no-such-topic-{uuid.uuid4().hex[:8]}"
        errors: list[KafkaError | None] = []
        producer = Producer(
            {
                "bootstrap.servers": _bootstrap(ctx),
                "allow.auto.create.topics": True,  # the client asks; the broker must say no
                "message.timeout.ms": 5000,
            }
        )
        producer.produce(topic, b"x", on_delivery=lambda err, _msg: errors.append(err))
        producer.flush(15)
        [error] = errors
        assert error is not None
        assert error.code() in (
            KafkaError.UNKNOWN_TOPIC_OR_PART,
            KafkaError._MSG_TIMED_OUT,
            KafkaError._UNKNOWN_TOPIC,
        )
        topics = AdminClient({"bootstrap.servers": _bootstrap(ctx)}).list_topics(timeout=10).topics
        assert topic not in topics

    def test_round_trip_on_platform_topic(self, ctx: Context) -> None:
        from confluent_kafka import Consumer, TopicPartition

        marker = uuid.uuid4().hex.encode()
        delivered = []
        producer = Producer({"bootstrap.servers": _bootstrap(ctx)})
        producer.produce(
            "order.created.dlq",
            marker,
            key=b"test",
            on_delivery=lambda err, msg: delivered.append((err, msg)),
        )
        producer.flush(15)
        err, msg = delivered[0]
        topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
        assert err is None and topic is not None and partition is not None and offset is not None
        consumer = Consumer(
            {
                "bootstrap.servers": _bootstrap(ctx),
                "group.id": f"t-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
            }
        )
        consumer.assign([TopicPartition(topic, partition, offset)])
        got = consumer.poll(15)
        consumer.close()
        assert got is not None and got.value() == marker
