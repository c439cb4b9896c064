"""Keeps each tenant's index in step with the database: embed what is new, rebuild, swap atomically.

In-process readers get the current Snapshot; another process's rebuild is picked up through the
CURRENT pointer within RELOAD_CHECK_S. A build that fails its checks is logged and rebuilt from
the database, which is the source of truth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from kb.index import files
from kb.index.snapshot import Snapshot
from kb.index.vectors import FaissIndex, IndexKind
from kb.store import Store
from kb.store.items import content_digest, indexable, pending_embeddings, store_embeddings
from kb.store.tenants import check_tenant_id, get_tenant
from suggest.errors import IndexCorruptError
from suggest.protocols import Embedder

log = logging.getLogger(__name__)

EMBED_BATCH = 64
RELOAD_CHECK_S = 1.0
Progress = Callable[[int, int], None]
"""Called with (done, total) while embedding."""


@dataclass(frozen=True)
class RefreshReport:
    embedded: int
    rebuilt: bool
    count: int
    build_id: str
    reason: str


class IndexManager:
    def __init__(
        self, root: Path, store: Store, embedder: Embedder, *, kind: IndexKind | None = None
    ) -> None:
        self.root = root
        self.store = store
        self.embedder = embedder
        self.kind = kind
        self._snapshots: dict[str, Snapshot] = {}
        self._checked: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _tenant_root(self, tenant_id: str) -> Path:
        return self.root / check_tenant_id(tenant_id)  # never a path outside the index root

    def _lock(self, tenant_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(tenant_id, threading.Lock())

    def snapshot(self, tenant_id: str) -> Snapshot:
        """The tenant's current index, loading or building it on first use."""
        snap = self._snapshots.get(tenant_id)
        now = time.monotonic()
        if snap is not None and now - self._checked.get(tenant_id, 0.0) < RELOAD_CHECK_S:
            return snap
        self._checked[tenant_id] = now
        if snap is not None and files.current_build(self._tenant_root(tenant_id)) == snap.build_id:
            return snap
        with self._lock(tenant_id):
            snap = self._snapshots.get(tenant_id)
            build_id = files.current_build(self._tenant_root(tenant_id))
            if snap is not None and build_id == snap.build_id:
                return snap
            loaded = self._load(tenant_id, build_id, check_digest=snap is None)
            if loaded is None:
                self._refresh_locked(tenant_id, force=True)
            else:
                self._snapshots[tenant_id] = loaded
            return self._snapshots[tenant_id]

    def _load(self, tenant_id: str, build_id: str | None, *, check_digest: bool) -> Snapshot | None:
        if build_id is None:
            return None
        try:
            manifest, index, items = files.read_build(
                self._tenant_root(tenant_id), build_id, model=self.embedder.name, dim=self.embedder.dim
            )
        except IndexCorruptError as err:
            log.warning("index for tenant %s refused, rebuilding from the database: %s", tenant_id, err)
            return None
        if check_digest:
            with self.store.session() as session:
                items_now, _ = indexable(
                    session, tenant_id, self.embedder.name, self.embedder.dim, with_vectors=False
                )
                pending = pending_embeddings(session, tenant_id, self.embedder.name)
            if pending or content_digest(items_now) != manifest.content_digest:
                log.info("index for tenant %s is older than the database; rebuilding", tenant_id)
                return None
        return Snapshot(build_id, manifest.model, manifest.content_digest, index, items)

    def refresh(
        self, tenant_id: str, *, force: bool = False, progress: Progress | None = None
    ) -> RefreshReport:
        """Embed new or changed rows, and rebuild when what the index should hold has changed."""
        with self._lock(tenant_id):
            return self._refresh_locked(tenant_id, force=force, progress=progress)

    def _embed_pending(self, tenant_id: str, progress: Progress | None) -> int:
        with self.store.session() as session:
            pending = pending_embeddings(session, tenant_id, self.embedder.name)
        for start in range(0, len(pending), EMBED_BATCH):
            batch = pending[start : start + EMBED_BATCH]
            vectors = self.embedder.embed([text for _, _, text in batch], kind="passage")
            with self.store.session() as session:  # commit per batch: a crash keeps finished work
                for kind in ("passage", "canned"):
                    rows = [n for n, (k, _, _) in enumerate(batch) if k == kind]
                    if rows:
                        store_embeddings(
                            session, kind, [batch[n][1] for n in rows], vectors[rows], self.embedder.name
                        )
            if progress:
                progress(min(start + EMBED_BATCH, len(pending)), len(pending))
        return len(pending)

    def _refresh_locked(
        self, tenant_id: str, *, force: bool = False, progress: Progress | None = None
    ) -> RefreshReport:
        tenant_root = self._tenant_root(tenant_id)
        with self.store.session() as session:
            get_tenant(session, tenant_id)  # no index folders for tenants that do not exist
        tenant_root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(tenant_root / ".lock")):
            embedded = self._embed_pending(tenant_id, progress)
            with self.store.session() as session:
                items, _ = indexable(
                    session, tenant_id, self.embedder.name, self.embedder.dim, with_vectors=False
                )
            digest = content_digest(items)
            current = self._snapshots.get(tenant_id)
            if current is None and not force:
                current = self._load(tenant_id, files.current_build(tenant_root), check_digest=False)
            if current is not None and current.content_digest == digest and not force:
                self._snapshots[tenant_id] = current
                return RefreshReport(embedded, False, len(items), current.build_id, "index is up to date")
            with self.store.session() as session:  # vectors only now that a rebuild is due
                items, vectors = indexable(session, tenant_id, self.embedder.name, self.embedder.dim)
            digest = content_digest(items)
            index = FaissIndex.build(vectors, self.kind)
            manifest = files.write_build(
                tenant_root, index, items, model=self.embedder.name, dim=self.embedder.dim, digest=digest
            )
            files.point_to(tenant_root, manifest.build_id)
        self._snapshots[tenant_id] = Snapshot(manifest.build_id, manifest.model, digest, index, items)
        self._checked[tenant_id] = time.monotonic()
        log.info("index for tenant %s rebuilt: %d items, %s", tenant_id, len(items), index.kind)
        return RefreshReport(embedded, True, len(items), manifest.build_id, "rebuilt")
