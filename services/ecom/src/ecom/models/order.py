import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Numeric, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecom.models.base import Base, created_at_column, updated_at_column


class OrderStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class CustomerOrder(Base):
    __tablename__ = "customer_order"
    # An INSERT returns the server-set created_at/updated_at (RETURNING): a new order needs no read-back.
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint("status IN ('CONFIRMED', 'CANCELLED')", name="status"),
        CheckConstraint("total >= 0", name="total_non_negative"),
        Index("ix_customer_order_user_id_created_at", "user_id", "created_at"),
        Index("ix_customer_order_status_created_at", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(255))
    # The customer's verified address at checkout (from the token): order emails go there.
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items: Mapped[list["OrderItem"]] = relationship(order_by="OrderItem.title", lazy="raise", passive_deletes=True)


class OrderItem(Base):
    """A line as it was sold: title and price are copied, so catalog edits never rewrite history."""

    __tablename__ = "order_item"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), primary_key=True)
    book_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("book.id"), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    quantity: Mapped[int] = mapped_column(Integer)


class CheckoutState(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


class Checkout(Base):
    """An Idempotency-Key claimed by a customer's checkout: at most one order per (user, key).

    Written and committed before the stock is reserved, so a concurrent duplicate sees it and waits;
    a claim left pending by a crash is found by the recovery sweep, which releases its reservation."""

    __tablename__ = "checkout"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'completed')", name="state"),
        Index("ix_checkout_pending_created_at", "created_at", postgresql_where=text("state = 'pending'")),
    )

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
