"""Checksummed manifests for prepared model folders.

Every file in a prepared folder is listed with its size and sha256, so a partial copy, a
damaged file or a stray one is found before anything is loaded. (The manifest lives beside
the files, so it proves integrity, not origin.)
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from suggest.errors import ModelCacheError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)


def write_manifest(root: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Hash every file under ``root`` and write ``manifest.json`` beside them."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **meta,
        "files": {
            p.relative_to(root).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for p in _files(root)
        },
    }
    (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(root: Path) -> dict[str, Any]:
    """The parsed manifest, without checking the files against it."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise ModelCacheError(f"{root} has no {MANIFEST_NAME}: the model was never fully prepared.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelCacheError(f"{path} is unreadable ({err}).") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or "files" not in data:
        raise ModelCacheError(f"{path} is not a format-{MANIFEST_FORMAT} replykit manifest.")
    return data


def verify_manifest(root: Path) -> dict[str, Any]:
    """Return the manifest if every listed file is present with the right size and hash."""
    manifest = read_manifest(root)
    unlisted = {p.relative_to(root).as_posix() for p in _files(root)} - set(manifest["files"])
    if unlisted:
        raise ModelCacheError(f"{root} holds files its manifest does not list: {sorted(unlisted)[:5]}.")
    for rel, expected in manifest["files"].items():
        path = root / rel
        if not path.is_file():
            raise ModelCacheError(f"{path} is missing (listed in the manifest).")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise ModelCacheError(f"{path} has {size} bytes, the manifest says {expected['bytes']}.")
        if sha256_file(path) != expected["sha256"]:
            raise ModelCacheError(f"{path} fails its sha256 check: the file was changed or damaged.")
    return manifest
