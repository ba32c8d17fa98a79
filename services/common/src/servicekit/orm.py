"""ORM conventions: constraint names Alembic can diff, and the timestamp columns every table uses."""

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import DateTime, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, for plain Core statements on hot paths: the same SQL as through the entity,
    without the ORM's statement compilation and object loading (which cost more CPU than the round trip)."""
    return cast(Table, model.__table__)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class OutboxColumns:
    """Debezium's outbox EventRouter reads inserts of these columns (the router's default names)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    aggregatetype: Mapped[str] = mapped_column(String(255))
    aggregateid: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Indexed: the retention's delete (`servicekit.outbox.prune`, every 30 s) reads only the rows it removes.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
