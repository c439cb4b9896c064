"""The library's database access. Every function takes a session and a tenant id and filters on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kb.db.engine import database_url, make_engine, session_factory
from kb.db.migrate import upgrade
from suggest.config import Settings


class Store:
    """Owns the engine; ``session()`` is one transaction, committed on success, rolled back on error."""

    def __init__(self, engine: Engine, *, migrate: bool = True) -> None:
        self.engine = engine
        if migrate:
            upgrade(engine)
        self._sessions = session_factory(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(make_engine(database_url(settings)))

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
