"""Consumer of `order.created`: commits the order's held reservation, dead-letters what it cannot process.

An order cancelled before its event arrives has a cancelled reservation: that is handled (outcome
`cancelled`, nothing changes), not dead-lettered."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.events.schemas import OrderCreated
from inventory.metrics import CONSUMER_LAG, EVENTS_CONSUMED
from inventory.reservations.exceptions import ReservationNotFound, ReservationNotHeld
from inventory.reservations.service import CommitOutcome, commit_reservation
from servicekit.logs import trace_id_var

logger = logging.getLogger(__name__)

GROUP_ID = "inventory-service"


def parse(value: bytes | None) -> OrderCreated:
    """Decode a record value; the outbox router may deliver the payload as an object or a JSON string."""
    if value is None:
        raise ValueError("record has no value")
    decoded = json.loads(value)
    if isinstance(decoded, str):
        decoded = json.loads(decoded)
    return OrderCreated.model_validate(decoded)


class PermanentError(Exception):
    """Retrying cannot help: the record goes to the dead-letter topic at once."""


class OrderCreatedConsumer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        bootstrap: str,
        topic: str = "order.created",
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bootstrap = bootstrap
        self.topic = topic
        self.dlq_topic = f"{topic}.dlq"
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.connected = False

    async def run(self) -> None:
        """Consume until cancelled; reconnects after broker outages."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.connected = False
                logger.exception("order.created consumer stopped; reconnecting in 5s")
                await asyncio.sleep(5)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=GROUP_ID,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True)
        await consumer.start()
        try:
            await producer.start()
            self.connected = True
            logger.info("order.created consumer started", extra={"group": GROUP_ID, "topic": self.topic})
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=100)
                for partition, records in batches.items():
                    for record in records:
                        await self.handle(record, producer.send_and_wait)
                        # At-least-once: the offset moves only after the record is handled or dead-lettered.
                        await consumer.commit({partition: record.offset + 1})
                await self._export_lag(consumer)
        finally:
            self.connected = False
            await consumer.stop()
            await producer.stop()

    async def handle(self, record: ConsumerRecord, send: Callable[..., Awaitable[object]]) -> None:
        token = trace_id_var.set(_header(record, "id") or f"{record.topic}-{record.partition}-{record.offset}")
        try:
            try:
                event = parse(record.value)
            except (ValueError, ValidationError) as exc:
                await self._dead_letter(record, send, f"malformed event: {exc}")
                return
            for attempt in range(1, self.max_attempts + 1):
                try:
                    outcome = await self._commit(event)
                except PermanentError as exc:
                    await self._dead_letter(record, send, str(exc))
                    return
                except Exception as exc:
                    if attempt == self.max_attempts:
                        await self._dead_letter(record, send, f"gave up after {attempt} attempts: {exc!r}")
                        return
                    logger.warning(
                        "order.created handling failed; retrying",
                        extra={"attempt": attempt, "order_id": str(event.order_id), "error": repr(exc)},
                    )
                    await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
                else:
                    EVENTS_CONSUMED.labels(outcome.value).inc()
                    logger.info(
                        "order.created handled",
                        extra={"order_id": str(event.order_id), "event_id": str(event.event_id), "outcome": outcome},
                    )
                    return
        finally:
            trace_id_var.reset(token)

    async def _commit(self, event: OrderCreated) -> CommitOutcome:
        try:
            async with self.sessionmaker() as session, session.begin():
                return await commit_reservation(session, event.order_id, event.event_id)
        except (ReservationNotFound, ReservationNotHeld) as exc:
            raise PermanentError(str(exc)) from exc

    async def _dead_letter(self, record: ConsumerRecord, send: Callable[..., Awaitable[object]], error: str) -> None:
        headers = [
            ("error", error[:2000].encode()),
            ("original.topic", record.topic.encode()),
            ("original.partition", str(record.partition).encode()),
            ("original.offset", str(record.offset).encode()),
        ]
        await send(self.dlq_topic, value=record.value, key=record.key, headers=headers)
        EVENTS_CONSUMED.labels("dead_lettered").inc()
        logger.error(
            "order.created record dead-lettered",
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
            CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(highwater - position, 0))


def _header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name and value:
            return value.decode(errors="replace").strip('"')
    return None
