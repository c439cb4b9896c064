"""The knowledge base as one object: the database, each tenant's index, and search over it.

The CLI and the API both hold a Library; nothing else needs to know how the parts connect.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kb.export import export_jsonl
from kb.importers import read_source, records
from kb.importers.apply import ImportReport, apply_records
from kb.index.manager import IndexManager, Progress, RefreshReport
from kb.index.search import KbSearch
from kb.index.vectors import IndexKind
from kb.store import Store
from kb.store.tenants import ensure_tenant
from suggest.config import Settings
from suggest.protocols import Embedder


class Library:
    def __init__(
        self, store: Store, embedder: Embedder, index_root: Path, *, index_kind: IndexKind | None = None
    ):
        self.store = store
        self.embedder = embedder
        self.index = IndexManager(index_root, store, embedder, kind=index_kind)
        self.search = KbSearch(self.index)

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder) -> Library:
        return cls(Store.from_settings(settings), embedder, Path(settings.data_dir) / "index")

    def import_path(
        self,
        tenant_id: str,
        path: Path,
        *,
        fmt: str | None = None,
        default_language: str = "en",
        rows_done: Callable[[int], None] | None = None,
        embedded: Progress | None = None,
    ) -> tuple[ImportReport, RefreshReport]:
        """Import ``path`` and bring the index up to date; unchanged content is neither saved nor embedded."""
        rows = read_source(path, fmt, default_language)  # raises before anything is written
        with self.store.session() as session:
            language = ensure_tenant(session, tenant_id, language=default_language).default_language
        report = apply_records(self.store, tenant_id, records(rows, language), progress=rows_done)
        return report, self.index.refresh(tenant_id, progress=embedded)

    def export(self, tenant_id: str, path: Path) -> dict[str, int]:
        return export_jsonl(self.store, tenant_id, path)

    def close(self) -> None:
        self.store.close()
