"""initial schema: book (full-text + trigram search), cart, cart_item, customer_order, order_item, checkout, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Copied, not imported, so this revision stays what it was when later revisions change the model.
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(author, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False) for name in names]


def upgrade() -> None:
    # pg_trgm is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "book",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("isbn13", sa.String(length=13), nullable=False),
        sa.Column("genre", sa.String(length=50), nullable=False),
        sa.Column("published_year", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(8, 2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(SEARCH_VECTOR, persisted=True), nullable=True),
        *_timestamps("created_at", "updated_at"),
        sa.CheckConstraint("price > 0", name=op.f("ck_book_price_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_book")),
        sa.UniqueConstraint("isbn13", name=op.f("uq_book_isbn13")),
    )
    op.create_index("ix_book_search_vector", "book", ["search_vector"], postgresql_using="gin")
    op.create_index(
        "ix_book_title_trgm", "book", ["title"], postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}
    )
    op.create_index(
        "ix_book_author_trgm", "book", ["author"], postgresql_using="gin", postgresql_ops={"author": "gin_trgm_ops"}
    )
    op.create_index("ix_book_active_genre", "book", ["genre"], postgresql_where=sa.text("active"))

    op.create_table(
        "cart",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        *_timestamps("created_at", "updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart")),
        sa.UniqueConstraint("user_id", name=op.f("uq_cart_user_id")),
    )
    op.create_table(
        "cart_item",
        sa.Column("cart_id", sa.Uuid(), nullable=False),
        sa.Column("book_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *_timestamps("added_at"),
        sa.CheckConstraint("quantity BETWEEN 1 AND 99", name=op.f("ck_cart_item_quantity_range")),
        sa.ForeignKeyConstraint(["cart_id"], ["cart.id"], name=op.f("fk_cart_item_cart_id_cart"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["book_id"], ["book.id"], name=op.f("fk_cart_item_book_id_book")),
        sa.PrimaryKeyConstraint("cart_id", "book_id", name=op.f("pk_cart_item")),
    )
    op.create_table(
        "customer_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_timestamps("created_at", "updated_at"),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('CONFIRMED', 'CANCELLED')", name=op.f("ck_customer_order_status")),
        sa.CheckConstraint("total >= 0", name=op.f("ck_customer_order_total_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_order")),
    )
    op.create_index("ix_customer_order_user_id_created_at", "customer_order", ["user_id", "created_at"])
    op.create_index("ix_customer_order_status_created_at", "customer_order", ["status", "created_at"])
    op.create_table(
        "order_item",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("book_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("unit_price", sa.Numeric(8, 2), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_item_quantity_positive")),
        sa.CheckConstraint("unit_price > 0", name=op.f("ck_order_item_unit_price_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["customer_order.id"], name=op.f("fk_order_item_order_id_customer_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["book_id"], ["book.id"], name=op.f("fk_order_item_book_id_book")),
        sa.PrimaryKeyConstraint("order_id", "book_id", name=op.f("pk_order_item")),
    )
    op.create_table(
        "checkout",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        *_timestamps("created_at"),
        sa.CheckConstraint("state IN ('pending', 'completed')", name=op.f("ck_checkout_state")),
        sa.PrimaryKeyConstraint("user_id", "idempotency_key", name=op.f("pk_checkout")),
        sa.UniqueConstraint("order_id", name=op.f("uq_checkout_order_id")),
    )
    op.create_index(
        "ix_checkout_pending_created_at", "checkout", ["created_at"], postgresql_where=sa.text("state = 'pending'")
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("aggregatetype", sa.String(length=255), nullable=False),
        sa.Column("aggregateid", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_timestamps("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )


def downgrade() -> None:
    for table in ("outbox", "checkout", "order_item", "customer_order", "cart_item", "cart", "book"):
        op.drop_table(table)
    # pg_trgm stays: other objects may use it, and dropping it needs more than the owner's rights.
