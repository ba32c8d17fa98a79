import hashlib
import json
import uuid
from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from inventory.models import ReservationStatus

MAX_LINES = 100
MAX_QUANTITY = 1000


class ReservationLine(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    book_id: uuid.UUID
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ReservationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: uuid.UUID
    items: list[ReservationLine] = Field(min_length=1, max_length=MAX_LINES)

    @field_validator("items")
    @classmethod
    def _unique_books(cls, items: list[ReservationLine]) -> list[ReservationLine]:
        if len({line.book_id for line in items}) != len(items):
            raise ValueError("each book may appear in only one line")
        return sorted(items, key=lambda line: line.book_id)

    def request_hash(self) -> str:
        """Fingerprint of what is reserved, independent of line order, to recognise replays."""
        lines = [[str(line.book_id), line.quantity] for line in self.items]
        return hashlib.sha256(json.dumps(lines, separators=(",", ":")).encode()).hexdigest()


class ReservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: uuid.UUID
    status: ReservationStatus
    # The ORM model calls them lines.
    items: list[ReservationLine] = Field(validation_alias=AliasChoices("items", "lines"))
    expires_at: datetime
