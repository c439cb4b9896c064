"""Tables. Every content table carries ``tenant_id``; every query in kb/store.py filters on it.

Embeddings are stored next to the text they came from (float32 bytes plus the model's name), so an
index can be rebuilt without re-embedding, and only changed text is embedded again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Dialect, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class EmbeddedText:
    """Columns of a row that is embedded and indexed: its tenant, a hash of the embedded text, and the
    vector with the name of the model that made it (None until embedded, or after the text changed)."""

    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str | None] = mapped_column(String(200))


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(16), default="en")
    service_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A ``ServiceHours`` object as JSON; None until an admin sets it (response times are then unknown)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """Only a SHA-256 of the key is stored; the key itself is shown once, when it is created."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    canonical_id: Mapped[str] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    body_format: Mapped[str] = mapped_column(String(16))
    body_html: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    tags: Mapped[list[str]]
    updated_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    passages: Mapped[list[Passage]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Passage.ordinal"
    )


class Passage(EmbeddedText, Base):
    __tablename__ = "passages"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int]
    heading: Mapped[str] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)

    article: Mapped[Article] = relationship(back_populates="passages")


class CannedResponse(Base):
    """One canonical reply; its language variants hold the templates."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(32), index=True)
    intents: Mapped[list[str]]
    needs_from_customer: Mapped[list[str]]
    variables: Mapped[list[str]]
    auto_send: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    variants: Mapped[list[CannedVariant]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="CannedVariant.language"
    )
    versions: Mapped[list[CannedVersion]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="CannedVersion.version"
    )


class CannedVariant(EmbeddedText, Base):
    __tablename__ = "canned_variants"
    __table_args__ = (UniqueConstraint("response_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("canned_responses.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)

    response: Mapped[CannedResponse] = relationship(back_populates="variants")


class CannedVersion(Base):
    """A snapshot of a canned response as it was saved; version 1 is the first save."""

    __tablename__ = "canned_versions"
    __table_args__ = (UniqueConstraint("response_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("canned_responses.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[CannedResponse] = relationship(back_populates="versions")


class ServedSuggestion(Base):
    """A suggestion as it was shown to an agent. Feedback refers to it by id, and the ranker
    learns acceptance per intent and canned response from these rows, not from what a client says."""

    __tablename__ = "served_suggestions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    group: Mapped[str] = mapped_column(String(200))
    """The canned response's external id, or the article's canonical id."""
    intent: Mapped[str | None] = mapped_column(String(64), index=True)
    """The ticket's intent when the suggestion was made (None: out of scope)."""
    rank: Mapped[int]
    score: Mapped[float]
    text: Mapped[str | None] = mapped_column(Text)
    """The rendered reply as suggested; the edit distance of an edited reply is measured from it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """What an agent did with a served suggestion. ``event_id`` makes a repeated delivery a no-op."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(100))
    suggestion_id: Mapped[str] = mapped_column(
        ForeignKey("served_suggestions.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    final_text: Mapped[str | None] = mapped_column(Text)
    edit_distance: Mapped[float | None]
    """Normalised Levenshtein distance from the suggested text: 0 = sent as is, 1 = rewritten."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every dialect: PostgreSQL keeps ``timestamptz``; SQLite, which has no
    time zones, stores naive UTC and gets UTC attached again when read. Naive values are refused, so a
    local time can never be stored as if it were UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"expected an aware datetime (with a time zone), found naive {value.isoformat()}"
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def aware_utcnow() -> datetime:
    return datetime.now(UTC)


class HistoryImport(Base):
    """One run of ``replykit history import``: which file, how it went, what was redacted (counts only)
    and the first problems with their locations. Never any ticket text."""

    __tablename__ = "history_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    """The file's name without its folder: paths can name people (``/home/maria/...``)."""
    source: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=aware_utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default="running")
    """running | done | failed."""
    error: Mapped[str | None] = mapped_column(String(200))
    """The class name of the exception that stopped a failed import (never its message: it may quote text)."""
    counts: Mapped[dict[str, Any]]
    """read, inserted, updated, problems."""
    redaction: Mapped[dict[str, Any]]
    """Spans replaced per type (``RedactionReport.as_dict``)."""
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    """The first problems as ``{"location", "message"}``; ``counts["problems"]`` has how many there were."""


class HistoryTicketRow(Base):
    """An imported ticket, redacted: every text has its personal data replaced by placeholders, and the
    customer's and the agents' names and addresses are not stored at all."""

    __tablename__ = "history_tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "external_id"),
        Index("ix_history_tickets_tenant_id_id", "tenant_id", "id"),
        Index("ix_history_tickets_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_history_tickets_tenant_id_language", "tenant_id", "language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    """The first public customer message: what the customer asked."""
    language: Mapped[str] = mapped_column(String(16))
    """ISO 639-1 code, or ``und`` when it could not be told."""
    thread: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Every message in time order: ``{"author", "agent", "public", "created_at", "text"}``."""
    tags: Mapped[list[str]]
    fields: Mapped[dict[str, Any]]
    """Custom fields as text (``intent``, ``type``, ...): where training labels come from."""
    csat_score: Mapped[float | None]
    csat_label: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=aware_utcnow)
    import_id: Mapped[int] = mapped_column(ForeignKey("history_imports.id"), index=True)


class TrainingJob(Base):
    """A training run asked for through the API or the CLI. This row is the record of truth: the queue
    only carries its id, so a restart loses nothing. Logs and errors never quote ticket text."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        Index("ix_training_jobs_tenant_id_id", "tenant_id", "id"),
        Index("ix_training_jobs_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="intent")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    """queued | running | succeeded | failed | cancelled."""
    options: Mapped[dict[str, Any]]
    """``TrainOptions.model_dump(mode="json")``."""
    source: Mapped[dict[str, Any]]
    """Where the examples come from, e.g. ``{"history": tenant, "label_field": "intent"}``."""
    promote: Mapped[bool] = mapped_column(default=False)
    progress: Mapped[float] = mapped_column(default=0.0)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    logs: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """The last 200 lines as ``{"at", "message"}``."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Version, evaluation figures and the promotion's outcome once it succeeded."""
    error: Mapped[str | None] = mapped_column(String(300))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=aware_utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    requested_by: Mapped[str] = mapped_column(String(200))
    """The API key's name, or ``cli``."""
    worker: Mapped[str | None] = mapped_column(String(200))
    """``host:pid:token`` of the worker running it: a restart tells a dead worker's job from a live one."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """Refreshed while the job runs; a running job whose heartbeat is old has lost its worker."""


class ReplyDraft(Base):
    """A canned reply mined from the agents' history, waiting for an admin (training/mining). Nothing
    here is ever suggested: only an accepted draft becomes a canned response, through the usual save."""

    __tablename__ = "reply_drafts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint"),
        Index("ix_reply_drafts_tenant_id_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    intent: Mapped[str | None] = mapped_column(String(200))
    """The tickets' label (``fields[label_field]``); None for unlabelled and out-of-scope tickets."""
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    """The template as mined (an edit made on accept goes to the canned response, not here)."""
    variables: Mapped[list[str]]
    markers: Mapped[list[str]]
    """Visible markers (``[DATE]``, ``[EMAIL]``, ...) that must leave the body before it is accepted."""
    usage_count: Mapped[int]
    coverage: Mapped[float]
    """Share of the (intent, language) group's first replies that this cluster holds."""
    examples: Mapped[list[str]]
    """Up to five tickets' external ids."""
    fingerprint: Mapped[str] = mapped_column(String(64))
    """sha256 of intent, language and the normalised body: mining again updates, never duplicates."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending | accepted | rejected."""
    canned_id: Mapped[str | None] = mapped_column(String(200))
    """The external id of the canned response made from it on accept."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=aware_utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=aware_utcnow, onupdate=aware_utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
