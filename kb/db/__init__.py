"""The database: SQLAlchemy models, engine set-up and alembic migrations. It is the source of truth."""
