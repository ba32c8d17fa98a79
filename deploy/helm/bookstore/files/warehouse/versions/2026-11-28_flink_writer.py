"""The Flink jobs' login (flink_writer) may write the star schema, and only it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The role is created by `bookstore up` (it needs a superuser); a database without it gets no grants.
    op.execute(
        "do $$ begin if exists (select 1 from pg_roles where rolname = 'flink_writer') then"
        " grant usage on schema star to flink_writer;"
        " grant select, insert, update, delete on all tables in schema star to flink_writer;"
        " end if; end $$"
    )


def downgrade() -> None:
    op.execute(
        "do $$ begin if exists (select 1 from pg_roles where rolname = 'flink_writer') then"
        " revoke all on all tables in schema star from flink_writer;"
        " revoke usage on schema star from flink_writer;"
        " end if; end $$"
    )
