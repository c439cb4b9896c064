"""Alembic environment: the connection comes from kb.db.migrate, never from an alembic.ini URL."""

from __future__ import annotations

from alembic import context

from kb.db.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
