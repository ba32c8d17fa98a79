"""customer_order.email: the customer's verified address at checkout, where order emails go

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: orders placed before this revision, and tokens without a verified email, have none.
    op.add_column("customer_order", sa.Column("email", sa.String(320), nullable=True))


def downgrade() -> None:
    op.drop_column("customer_order", "email")
