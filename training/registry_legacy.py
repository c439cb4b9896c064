"""Adopting a model written before versions existed: a folder straight in ``models/intent``
becomes the first version and the active one (the registry calls this before any operation)."""

from __future__ import annotations

import logging
import shutil
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from suggest.durable import fsync_path
from suggest.errors import ModelCacheError
from suggest.models.manifest import MANIFEST_NAME, read_manifest
from training.registry_files import STAGING, copy_verified, make_id

log = logging.getLogger(__name__)


class LegacyAdoption:
    """Mixed into ``ModelRegistry``, whose attributes and lock it uses."""

    kind: str
    tenant: str
    root: Path
    versions_dir: Path

    @property
    def legacy_manifest(self) -> Path:
        """Where a model written before versions existed keeps its manifest."""
        return self.root / MANIFEST_NAME

    def active_version(self) -> str | None:
        raise NotImplementedError

    def _locked(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _next_seq(self) -> int:
        raise NotImplementedError

    def _activate(self, version: str, entry: dict[str, Any]) -> None:
        raise NotImplementedError

    def _adopt_legacy(self) -> None:
        """A model folder written straight into models/intent (before versions existed) becomes
        a version and the active one; its files then leave the top folder. Safe to race."""
        if self.kind != "intent" or not self.legacy_manifest.is_file():
            return
        with self._locked():
            if not self.legacy_manifest.is_file():
                return  # another process adopted it while we waited
            manifest = read_manifest(self.root)
            names = [MANIFEST_NAME, *manifest["files"]]  # manifest first out: the rest is no model
            raw = self.legacy_manifest.read_bytes()
            adopted = self.versions_dir.glob(f"*/{MANIFEST_NAME}")
            if not any(path.read_bytes() == raw for path in adopted):
                self._adopt(manifest, names)
            for rel in names:
                (self.root / rel).unlink(missing_ok=True)
            for rel in names:
                for parent in (self.root / rel).parents:
                    if parent == self.root:
                        break
                    if parent.is_dir() and not any(parent.iterdir()):
                        parent.rmdir()

    def _adopt(self, manifest: dict[str, Any], names: list[str]) -> None:
        try:
            created = datetime.fromisoformat(str(manifest.get("created_at")))
        except ValueError:
            created = datetime.now(UTC)
        version = make_id(self._next_seq(), created)
        staging = self.root / STAGING / version
        try:
            copy_verified(self.root, names, staging)
            self.versions_dir.mkdir(exist_ok=True)
            staging.rename(self.versions_dir / version)
            fsync_path(self.versions_dir)
        except (OSError, ModelCacheError) as err:
            shutil.rmtree(staging, ignore_errors=True)
            raise ModelCacheError(
                f"the model in {self.root} (the layout before versions) cannot be adopted as a version: "
                f"{err} Retrain it, or remove {self.legacy_manifest}."
            ) from None
        entry = {"action": "adopt", "from": self.active_version(), "to": version, "actor": "registry"}
        self._activate(version, entry)
        log.info("tenant %s: intent model adopted as version %s", self.tenant, version)
