"""Alembic environment of analytics-db (synchronous, psycopg); plain SQL revisions, no ORM metadata."""

import os

from alembic import context
from sqlalchemy import create_engine

url = context.config.attributes.get("database_url") or os.environ["BOOKSTORE_WAREHOUSE_URL"]
url = url.replace("postgresql://", "postgresql+psycopg://", 1)

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
