"""Consuming the platform's Kafka events the one way every service does: at-least-once (the offset moves only
after a record is handled or dead-lettered), bounded retries with exponential back-off, then the topic's
dead-letter twin `<topic>.dlq` with the error in headers; outcomes and lag exported as Prometheus metrics.

A service subclasses `EventConsumer` with `parse` (bytes -> its event; a failure is dead-lettered at once) and
`apply` (does the work, returns the outcome label; `PermanentError` is dead-lettered at once, anything else is
retried). Idempotency by event id is the service's own (`apply` must tolerate a redelivered event).
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from servicekit.logs import trace_id_var

logger = logging.getLogger(__name__)

E = TypeVar("E")
Send = Callable[..., Awaitable[object]]


class PermanentError(Exception):
    """Retrying cannot help: the record goes to the dead-letter topic at once."""


def decode_json(value: bytes | None) -> Any:
    """A record's JSON value; the outbox router may deliver the payload as an object or as a JSON string."""
    if value is None:
        raise ValueError("record has no value")
    decoded = json.loads(value)
    return json.loads(decoded) if isinstance(decoded, str) else decoded


class EventConsumer(Generic[E]):
    """One consumer group over `topics`; subclasses implement `parse` and `apply`."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topics: tuple[str, ...],
        group_id: str,
        outcomes: Counter,
        lag: Gauge,
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.group_id = group_id
        self.outcomes = outcomes  # labels: outcome
        self.lag = lag  # labels: topic, partition
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.connected = False

    def parse(self, record: ConsumerRecord) -> E:
        raise NotImplementedError

    async def apply(self, event: E, record: ConsumerRecord) -> str:
        raise NotImplementedError

    def describe(self, event: E) -> dict[str, str]:
        """Log fields naming the event (order id, event id)."""
        return {}

    async def run(self) -> None:
        """Consume until cancelled; reconnects after broker outages."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.connected = False
                logger.exception("%s consumer stopped; reconnecting in 5s", ",".join(self.topics))
                await asyncio.sleep(5)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True)
        await consumer.start()
        try:
            await producer.start()
            self.connected = True
            logger.info("consumer started", extra={"group": self.group_id, "topics": ",".join(self.topics)})
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=100)
                for records in batches.values():
                    for record in records:
                        await self.handle(record, producer.send_and_wait)
                if batches:
                    # At-least-once: offsets move only after every record of the batch is handled or
                    # dead-lettered, in one commit per batch (a commit is a broker round trip). A crash
                    # mid-batch delivers its handled records again: every consumer here is idempotent by
                    # event id.
                    await consumer.commit({p: records[-1].offset + 1 for p, records in batches.items() if records})
                await self._export_lag(consumer)
        finally:
            self.connected = False
            await consumer.stop()
            await producer.stop()

    async def handle(self, record: ConsumerRecord, send: Send) -> None:
        token = trace_id_var.set(header(record, "id") or f"{record.topic}-{record.partition}-{record.offset}")
        try:
            try:
                event = self.parse(record)
            except (ValueError, ValidationError) as exc:
                await self._dead_letter(record, send, f"malformed event: {exc}")
                return
            for attempt in range(1, self.max_attempts + 1):
                try:
                    outcome = await self.apply(event, record)
                except PermanentError as exc:
                    await self._dead_letter(record, send, str(exc))
                    return
                except Exception as exc:
                    if attempt == self.max_attempts:
                        await self._dead_letter(record, send, f"gave up after {attempt} attempts: {exc!r}")
                        return
                    logger.warning(
                        "%s handling failed; retrying",
                        record.topic,
                        extra={"attempt": attempt, "error": repr(exc), **self.describe(event)},
                    )
                    self.outcomes.labels("retried").inc()
                    await asyncio.sleep(min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds))
                else:
                    self.outcomes.labels(outcome).inc()
                    logger.info("%s handled", record.topic, extra={"outcome": outcome, **self.describe(event)})
                    return
        finally:
            trace_id_var.reset(token)

    async def _dead_letter(self, record: ConsumerRecord, send: Send, error: str) -> None:
        headers = [
            ("error", error[:2000].encode()),
            ("original.topic", record.topic.encode()),
            ("original.partition", str(record.partition).encode()),
            ("original.offset", str(record.offset).encode()),
            # Every group reading a topic dead-letters its own copy of a bad record (inventory and the notifier
            # both read order.created): this names the one that gave up.
            ("consumer.group", self.group_id.encode()),
        ]
        await send(f"{record.topic}.dlq", value=record.value, key=record.key, headers=headers)
        self.outcomes.labels("dead_lettered").inc()
        logger.error(
            "%s record dead-lettered",
            record.topic,
            extra={"partition": record.partition, "offset": record.offset, "error": error[:500]},
        )

    async def _export_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = await consumer.position(tp)
            except KafkaError:
                continue
            self.lag.labels(tp.topic, str(tp.partition)).set(max(highwater - position, 0))


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name and value:
            return str(value.decode(errors="replace")).strip('"')
    return None
