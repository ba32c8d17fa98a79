"""initial schema

Revision ID: f8101a07f896
Revises:
Create Date: 2026-11-21 17:07:39.729360
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f8101a07f896"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("aggregatetype", sa.String(length=255), nullable=False),
        sa.Column("aggregateid", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_event")),
    )
    op.create_table(
        "reservation",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('held', 'committed', 'released', 'expired')", name=op.f("ck_reservation_status")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_reservation")),
    )
    op.create_index(
        "ix_reservation_held_expires_at",
        "reservation",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_table(
        "stock",
        sa.Column("book_id", sa.Uuid(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("available >= 0", name=op.f("ck_stock_available_non_negative")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_stock_reserved_non_negative")),
        sa.PrimaryKeyConstraint("book_id", name=op.f("pk_stock")),
    )
    op.create_table(
        "reservation_line",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("book_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_line_quantity_positive")),
        sa.ForeignKeyConstraint(["book_id"], ["stock.book_id"], name=op.f("fk_reservation_line_book_id_stock")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["reservation.order_id"],
            name=op.f("fk_reservation_line_order_id_reservation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "book_id", name=op.f("pk_reservation_line")),
    )
    op.create_table(
        "stock_movement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("book_id", sa.Uuid(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_stock_movement_delta_non_zero")),
        sa.ForeignKeyConstraint(["book_id"], ["stock.book_id"], name=op.f("fk_stock_movement_book_id_stock")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movement")),
    )
    op.create_index("ix_stock_movement_book_id_created_at", "stock_movement", ["book_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stock_movement_book_id_created_at", table_name="stock_movement")
    op.drop_table("stock_movement")
    op.drop_table("reservation_line")
    op.drop_table("stock")
    op.drop_index(
        "ix_reservation_held_expires_at",
        table_name="reservation",
        postgresql_where=sa.text("status = 'held'"),
    )
    op.drop_table("reservation")
    op.drop_table("processed_event")
    op.drop_table("outbox")
