"""The order.created consumer: the contract's example passes, anything else is rejected; what is
handled and what is dead-lettered."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jsonschema
import pytest
from aiokafka import ConsumerRecord, TopicPartition
from prometheus_client import REGISTRY
from pydantic import ValidationError

from inventory.config import REPO_ROOT
from inventory.events import consumer as consumer_module
from inventory.events.consumer import OrderCreatedConsumer, parse
from inventory.reservations.exceptions import ReservationNotHeld
from inventory.reservations.service import CommitOutcome
from servicekit import events as events_module

SCHEMA = json.loads((REPO_ROOT / "contracts/events/order.created.schema.json").read_text())
EXAMPLE = SCHEMA["examples"][0]


class TestParse:
    def test_contract_example_is_valid_and_parses(self) -> None:
        jsonschema.validate(EXAMPLE, SCHEMA)
        event = parse(json.dumps(EXAMPLE).encode())
        assert str(event.order_id) == EXAMPLE["order_id"]
        assert event.items[0].quantity == 2

    def test_payload_delivered_as_a_json_string_is_accepted(self) -> None:
        assert str(parse(json.dumps(json.dumps(EXAMPLE)).encode()).event_id) == EXAMPLE["event_id"]

    @pytest.mark.parametrize(
        "value",
        [
            b"not json",
            b"null",
            json.dumps({**EXAMPLE, "order_id": "nope"}).encode(),
            json.dumps({**EXAMPLE, "items": []}).encode(),
            json.dumps({**EXAMPLE, "items": [{**EXAMPLE["items"][0], "quantity": 0}]}).encode(),
            json.dumps({k: v for k, v in EXAMPLE.items() if k != "event_id"}).encode(),
        ],
    )
    def test_malformed_records_are_rejected(self, value: bytes) -> None:
        with pytest.raises((ValueError, ValidationError)):
            parse(value)

    def test_record_without_value_is_rejected(self) -> None:
        with pytest.raises(ValueError):
            parse(None)


@asynccontextmanager
async def no_transaction() -> AsyncIterator[Any]:
    """Stands in for a transaction on a plain connection: the commit itself is replaced."""
    yield object()


def record(partition: int = 0, offset: int = 7) -> ConsumerRecord[bytes, bytes]:
    value = json.dumps(EXAMPLE).encode()
    return ConsumerRecord(
        topic="order.created",
        partition=partition,
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


def consumed(outcome: str) -> float:
    return REGISTRY.get_sample_value("inventory_order_created_events_total", {"outcome": outcome}) or 0.0


class TestHandle:
    @pytest.fixture
    def sent(self) -> list[dict[str, Any]]:
        return []

    async def handle(self, sent: list[dict[str, Any]]) -> None:
        async def send(topic: str, **kwargs: Any) -> None:
            sent.append({"topic": topic} | kwargs)

        await OrderCreatedConsumer(no_transaction, bootstrap="unused", backoff_seconds=0).handle(record(), send)

    async def test_the_event_of_an_order_cancelled_first_is_handled_not_dead_lettered(
        self, monkeypatch: pytest.MonkeyPatch, sent: list[dict[str, Any]]
    ) -> None:
        async def commit(connection: object, order_id: uuid.UUID, event_id: uuid.UUID) -> CommitOutcome:
            return CommitOutcome.CANCELLED

        monkeypatch.setattr(consumer_module, "commit_reservation", commit)
        before = consumed("cancelled"), consumed("dead_lettered")
        await self.handle(sent)
        assert sent == []
        assert (consumed("cancelled"), consumed("dead_lettered")) == (before[0] + 1, before[1])

    async def test_a_reservation_that_is_not_held_is_dead_lettered_at_once(
        self, monkeypatch: pytest.MonkeyPatch, sent: list[dict[str, Any]]
    ) -> None:
        calls = 0

        async def commit(connection: object, order_id: uuid.UUID, event_id: uuid.UUID) -> CommitOutcome:
            nonlocal calls
            calls += 1
            raise ReservationNotHeld(order_id, "expired")

        monkeypatch.setattr(consumer_module, "commit_reservation", commit)
        await self.handle(sent)
        assert calls == 1
        [dead] = sent
        assert dead["topic"] == "order.created.dlq"
        assert dict(dead["headers"])["error"].startswith(b"the reservation of order")

    async def test_a_transient_failure_is_retried_then_handled(
        self, monkeypatch: pytest.MonkeyPatch, sent: list[dict[str, Any]]
    ) -> None:
        calls = 0

        async def commit(connection: object, order_id: uuid.UUID, event_id: uuid.UUID) -> CommitOutcome:
            nonlocal calls
            calls += 1
            if calls < 3:
                raise ConnectionError("database restarting")
            return CommitOutcome.COMMITTED

        monkeypatch.setattr(consumer_module, "commit_reservation", commit)
        before = consumed("committed")
        await self.handle(sent)
        assert (calls, sent, consumed("committed")) == (3, [], before + 1)

    async def test_a_failure_that_outlasts_the_retries_is_dead_lettered_with_its_origin(
        self, monkeypatch: pytest.MonkeyPatch, sent: list[dict[str, Any]]
    ) -> None:
        calls = 0

        async def commit(connection: object, order_id: uuid.UUID, event_id: uuid.UUID) -> CommitOutcome:
            nonlocal calls
            calls += 1
            raise ConnectionError("database down")

        monkeypatch.setattr(consumer_module, "commit_reservation", commit)
        await self.handle(sent)
        assert calls == 5
        [dead] = sent
        headers = dict(dead["headers"])
        assert dead["topic"] == "order.created.dlq"
        assert headers["error"].startswith(b"gave up after 5 attempts")
        assert (headers["original.topic"], headers["original.offset"]) == (b"order.created", b"7")
        assert headers["consumer.group"] == b"inventory-service"  # which group gave up


class TestOffsets:
    async def test_offsets_are_committed_once_per_batch_after_every_record_of_it_is_handled(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        log: list[Any] = []
        p0, p1 = TopicPartition("order.created", 0), TopicPartition("order.created", 1)

        class Consumer:
            polls = 0

            def __init__(self, *topics: str, **config: Any) -> None:
                assert config["enable_auto_commit"] is False

            async def start(self) -> None: ...

            async def stop(self) -> None: ...

            async def getmany(self, **kwargs: Any) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
                Consumer.polls += 1
                if Consumer.polls == 1:
                    return {p0: [record(0, 4), record(0, 5)], p1: [record(1, 9)]}
                if Consumer.polls == 2:
                    return {}  # a quiet poll commits nothing
                raise asyncio.CancelledError

            async def commit(self, offsets: dict[TopicPartition, int]) -> None:
                log.append(offsets)

            def assignment(self) -> set[TopicPartition]:
                return set()

        class Producer:
            def __init__(self, **config: Any) -> None: ...

            async def start(self) -> None: ...

            async def stop(self) -> None: ...

            async def send_and_wait(self, *args: Any, **kwargs: Any) -> None: ...

        monkeypatch.setattr(events_module, "AIOKafkaConsumer", Consumer)
        monkeypatch.setattr(events_module, "AIOKafkaProducer", Producer)
        consumer = OrderCreatedConsumer(no_transaction, bootstrap="unused")

        async def handle(received: ConsumerRecord[bytes, bytes], send: Any) -> None:
            log.append((received.partition, received.offset))

        monkeypatch.setattr(consumer, "handle", handle)
        with pytest.raises(asyncio.CancelledError):
            await consumer._consume()
        assert log == [(0, 4), (0, 5), (1, 9), {p0: 6, p1: 10}]
