import uuid
from typing import Any

from pydantic import BaseModel


class OutboxMessage(BaseModel):
    """One row for Debezium's outbox EventRouter: routed to topic `type`, keyed by `aggregateid`."""

    id: uuid.UUID
    aggregatetype: str
    aggregateid: str
    type: str
    payload: dict[str, Any]
