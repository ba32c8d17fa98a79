import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, created_at_column, updated_at_column


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
    )

    book_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    available: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = updated_at_column()


class StockMovement(Base):
    """Every change of `stock.available`; the sum of a book's deltas equals its available count."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint("delta <> 0", name="delta_non_zero"),
        Index("ix_stock_movement_book_id_created_at", "book_id", "created_at"),
    )

    # Equal to the event_id of the inventory.updated event written with it.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    book_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock.book_id"))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
