"""Index builds on disk: one folder per build, a manifest of checksums, and a CURRENT pointer.

A build is written to a temporary folder, fsynced, renamed into ``builds/``, and only then does
CURRENT (replaced atomically) point at it. A reader therefore sees the old build or the new one,
never part of one. A build whose files do not match its manifest is refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kb.index.vectors import FaissIndex, IndexKind
from kb.store.items import IndexItem
from suggest.durable import fsync_path, replace_text
from suggest.errors import IndexCorruptError

FORMAT = 1
KEEP_BUILDS = 2
ITEMS = "items.json"
VECTORS = "vectors.faiss"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    format: int
    build_id: str
    model: str
    dim: int
    count: int
    kind: IndexKind
    content_digest: str
    files: dict[str, str]
    created_at: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_build(
    tenant_root: Path, index: FaissIndex, items: list[IndexItem], *, model: str, dim: int, digest: str
) -> Manifest:
    """Write a complete build and return its manifest; CURRENT is not touched (see ``point_to``)."""
    builds = tenant_root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:8]  # sorts by age
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=builds))
    try:
        index.write(tmp / VECTORS)
        rows = [
            [i.vector_id, i.kind, i.language, i.group, i.category, list(i.intents), i.digest] for i in items
        ]
        (tmp / ITEMS).write_text(json.dumps(rows, ensure_ascii=False))
        manifest = Manifest(
            format=FORMAT,
            build_id=build_id,
            model=model,
            dim=dim,
            count=len(items),
            kind=index.kind,
            content_digest=digest,
            files={name: _sha256(tmp / name) for name in (VECTORS, ITEMS)},
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
        for name in (VECTORS, ITEMS, MANIFEST):
            fsync_path(tmp / name)
        tmp.rename(builds / build_id)
        fsync_path(builds)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def point_to(tenant_root: Path, build_id: str) -> None:
    """Make ``build_id`` current (atomic rename) and remove older builds and leftovers."""
    replace_text(tenant_root / "CURRENT", build_id)
    builds = tenant_root / "builds"
    keep = sorted((p for p in builds.iterdir() if not p.name.startswith(".")), reverse=True)[:KEEP_BUILDS]
    for path in builds.iterdir():
        if path not in keep and path.name != build_id:
            shutil.rmtree(path, ignore_errors=True)


def current_build(tenant_root: Path) -> str | None:
    try:
        return (tenant_root / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def read_build(
    tenant_root: Path, build_id: str, *, model: str, dim: int
) -> tuple[Manifest, FaissIndex, list[IndexItem]]:
    """Load a build after checking every file against its manifest; IndexCorruptError says what is wrong."""
    folder = tenant_root / "builds" / build_id
    try:
        manifest = Manifest(**json.loads((folder / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as err:
        raise IndexCorruptError(f"index build {build_id}: unreadable manifest ({err})") from err
    if manifest.format != FORMAT or manifest.model != model or manifest.dim != dim:
        raise IndexCorruptError(
            f"index build {build_id} is for model {manifest.model} (dim {manifest.dim}, format "
            f"{manifest.format}); the service runs {model} (dim {dim}, format {FORMAT})"
        )
    for name in (VECTORS, ITEMS):
        path = folder / name
        if not path.is_file() or _sha256(path) != manifest.files.get(name):
            raise IndexCorruptError(
                f"index build {build_id}: {name} is missing or does not match its checksum"
            )
    try:
        index = FaissIndex.read(folder / VECTORS, manifest.kind)
        rows = json.loads((folder / ITEMS).read_text())
        items = [IndexItem(r[0], r[1], r[2], r[3], r[4], tuple(r[5]), r[6]) for r in rows]
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        raise IndexCorruptError(f"index build {build_id}: cannot be read ({err})") from err
    if index.size != manifest.count or len(items) != manifest.count:
        raise IndexCorruptError(
            f"index build {build_id}: holds {index.size} vectors, manifest says {manifest.count}"
        )
    return manifest, index, items
