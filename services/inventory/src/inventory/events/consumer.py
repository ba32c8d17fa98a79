"""Consumer of `order.created`: commits the order's held reservation, dead-letters what it cannot process
(servicekit.events: retries, dead letters, metrics).

An order cancelled before its event arrives has a cancelled reservation: that is handled (outcome
`cancelled`, nothing changes), not dead-lettered."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import asyncpg
from aiokafka import ConsumerRecord

from inventory.events.schemas import OrderCreated
from inventory.metrics import CONSUMER_LAG, EVENTS_CONSUMED
from inventory.reservations.exceptions import ReservationNotFound, ReservationNotHeld
from inventory.reservations.service import commit_reservation
from servicekit.events import EventConsumer, PermanentError, decode_json

GROUP_ID = "inventory-service"


def parse(value: bytes | None) -> OrderCreated:
    """Decode a record value into the event (ValueError or ValidationError when it is not one)."""
    return OrderCreated.model_validate(decode_json(value))


# A database transaction on a plain connection (servicekit.db.plain_transaction over the worker's pool).
Transactions = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]


class OrderCreatedConsumer(EventConsumer[OrderCreated]):
    def __init__(
        self,
        transactions: Transactions,
        *,
        bootstrap: str,
        topic: str = "order.created",
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
    ) -> None:
        super().__init__(
            bootstrap=bootstrap,
            topics=(topic,),
            group_id=GROUP_ID,
            outcomes=EVENTS_CONSUMED,
            lag=CONSUMER_LAG,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
        )
        self.transactions = transactions

    def parse(self, record: ConsumerRecord) -> OrderCreated:
        return parse(record.value)

    def describe(self, event: OrderCreated) -> dict[str, str]:
        return {"order_id": str(event.order_id), "event_id": str(event.event_id)}

    async def apply(self, event: OrderCreated, record: ConsumerRecord) -> str:
        try:
            async with self.transactions() as connection:
                outcome = await commit_reservation(connection, event.order_id, event.event_id)
        except (ReservationNotFound, ReservationNotHeld) as exc:
            raise PermanentError(str(exc)) from exc
        return outcome.value
