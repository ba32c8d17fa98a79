import uuid
from datetime import datetime

from sqlalchemy import Uuid
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, created_at_column


class ProcessedEvent(Base):
    """Ids of consumed events, written in the consuming transaction so redelivery is a no-op."""

    __tablename__ = "processed_event"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    processed_at: Mapped[datetime] = created_at_column()
