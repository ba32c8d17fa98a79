import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.models.base import Base, created_at_column, updated_at_column


class ReservationStatus(StrEnum):
    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Reservation(Base):
    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint("status IN ('held', 'committed', 'released', 'expired', 'cancelled')", name="status"),
        # The expiry sweep only ever looks at held reservations.
        Index("ix_reservation_held_expires_at", "expires_at", postgresql_where=text("status = 'held'")),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_at_column()

    lines: Mapped[list["ReservationLine"]] = relationship(
        order_by="ReservationLine.book_id", lazy="raise", passive_deletes=True
    )


class ReservationLine(Base):
    __tablename__ = "reservation_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation.order_id", ondelete="CASCADE"), primary_key=True
    )
    book_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock.book_id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
