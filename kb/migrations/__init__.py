"""Alembic migrations for the replykit schema (kb/db/schema.py). Applied by kb.db.migrate."""
