"""Consumer of order.created and order.cancelled: one email per event id (servicekit.events: retries while the
relay is down, then the topic's .dlq; metrics). Sent event ids are remembered in Redis, so a redelivered event
(a restart before the offset commit, a replay) sends nothing twice."""

from aiokafka import ConsumerRecord
from redis.asyncio import Redis

from notifier.config import Settings
from notifier.emails import CANCELLED, CREATED, render
from notifier.mailer import Mailer
from notifier.metrics import CONSUMER_LAG, EVENTS
from notifier.schemas import OrderEvent
from servicekit.events import EventConsumer, decode_json

GROUP_ID = "notifier"
TOPICS = (CREATED, CANCELLED)


def sent_key(event: OrderEvent) -> str:
    return f"notifier:sent:{event.event_id}"


class NotificationConsumer(EventConsumer[OrderEvent]):
    def __init__(self, settings: Settings, redis: Redis, mailer: Mailer) -> None:
        super().__init__(
            bootstrap=settings.kafka_bootstrap,
            topics=TOPICS,
            group_id=GROUP_ID,
            outcomes=EVENTS,
            lag=CONSUMER_LAG,
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
            max_backoff_seconds=settings.max_backoff_seconds,
        )
        self.settings = settings
        self.redis = redis
        self.mailer = mailer

    def parse(self, record: ConsumerRecord) -> OrderEvent:
        return OrderEvent.model_validate(decode_json(record.value))

    def describe(self, event: OrderEvent) -> dict[str, str]:
        return {"order_id": str(event.order_id), "event_id": str(event.event_id)}

    async def apply(self, event: OrderEvent, record: ConsumerRecord) -> str:
        if event.email is None:
            return "no_address"  # no verified address at checkout: nobody to write to
        if await self.redis.exists(sent_key(event)):
            return "duplicate_event"
        message = render(record.topic, event, sender=self.settings.mail_from, shop_url=self.settings.shop_url)
        await self.mailer.send(message)
        await self.redis.set(sent_key(event), "1", ex=self.settings.sent_ttl_days * 86400)
        return "sent"
