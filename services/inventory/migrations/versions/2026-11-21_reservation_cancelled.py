"""reservation cancelled

Revision ID: 4e280b74f597
Revises: f8101a07f896
Create Date: 2026-11-21 19:20:45.857957

A reservation may end `cancelled` (its order was cancelled). stock_movement.reason has no CHECK
constraint, so the new `cancel` reason needs no schema change.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4e280b74f597"
down_revision: str | None = "f8101a07f896"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('held', 'committed', 'released', 'expired')"
NEW_STATUSES = "status IN ('held', 'committed', 'released', 'expired', 'cancelled')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_reservation_status"), "reservation", type_="check")
    op.create_check_constraint(op.f("ck_reservation_status"), "reservation", NEW_STATUSES)


def downgrade() -> None:
    # The old constraint has no place for cancelled reservations. Their stock was already returned,
    # so `released` is the closest old status: this loses the cancelled/released distinction (and a
    # cancelled committed order then looks like a released one), but keeps the stock figures true.
    op.execute("UPDATE reservation SET status = 'released', updated_at = now() WHERE status = 'cancelled'")
    op.drop_constraint(op.f("ck_reservation_status"), "reservation", type_="check")
    op.create_check_constraint(op.f("ck_reservation_status"), "reservation", OLD_STATUSES)
