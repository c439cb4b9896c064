"""Versioned models per tenant and kind (intent, emotion, escalation): runs are staged, committed as
immutable versions, and made active by a gated promotion, with rollback and an audit trail.

Under ``data_dir/tenants/<t>/models/<kind>/`` (docs/models-registry.md)::

    versions/<id>/   a committed run: the model folder, holdout.jsonl, report/...; never changed
    .staging/<id>/   a run being written; ``commit`` checks it and renames it into versions/
    CURRENT          the active version's id, replaced atomically
    history.jsonl    append-only: adopt, promote, force, rollback, deactivate, the gate figures, who
    .lock            serialises writers across processes

Readers follow CURRENT to a committed version without taking the lock, so a promotion is one
atomic rename for them: the old model or the new one, never part of either.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from suggest.durable import fsync_path, fsync_tree, replace_text
from suggest.errors import ConflictError, InputError, ModelCacheError, NotFoundError
from suggest.models.manifest import verify_manifest
from training.registry_files import (
    CURRENT,
    HISTORY,
    LOCK,
    STAGING,
    VERSIONS,
    Staged,
    VersionInfo,
    active_stack,
    append_history,
    check_kind,
    check_version_id,
    gate_f1,
    make_id,
    model_root,
    read_history,
    seal,
    seq_of,
    version_info,
)
from training.registry_gate import (
    DEFAULT_MARGIN,
    METRIC_NAMES,
    METRICS,
    NOT_MEASURED,
    Baseline,
    Check,
    Evaluate,
    Gate,
    GateRefused,
    PromotionResult,
    check_margin,
    gate_for,
    registry_evaluator,
    run_gate,
)
from training.registry_legacy import LegacyAdoption

log = logging.getLogger(__name__)
LOCK_TIMEOUT_S = 60.0
__all__ = [
    "DEFAULT_MARGIN",
    "Baseline",
    "Check",
    "Evaluate",
    "Gate",
    "GateRefused",
    "ModelRegistry",
    "PromotionResult",
    "Staged",
    "VersionInfo",
    "gate_for",
    "registry_evaluator",
]


class ModelRegistry(LegacyAdoption):
    def __init__(self, data_dir: Path, tenant: str, kind: str = "intent") -> None:
        self.tenant = tenant
        self.kind = check_kind(kind)
        self.root = model_root(data_dir, tenant, kind)
        self.versions_dir = self.root / VERSIONS
        self._lock: FileLock | None = None  # made on first write: reading (every request) needs none

    # --- reading -------------------------------------------------------------------------------

    def active_version(self) -> str | None:
        """CURRENT as written, unchecked: cheap enough to read on every request."""
        try:
            return (self.root / CURRENT).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def current_folder(self) -> Path | None:
        """The active version's folder (what the loader reads); None when none is active."""
        self._adopt_legacy()
        version = self.active_version()
        if version is None:
            return None
        folder = self.versions_dir / version
        if seq_of(version) is None or not folder.is_dir():
            raise ModelCacheError(
                f"{self.root / CURRENT} names '{version}', which is not a version in {self.versions_dir}; "
                f"make one active with `replykit models promote VERSION --tenant {self.tenant}{self._flag}`."
            )
        return folder

    def current(self) -> VersionInfo | None:
        folder = self.current_folder()
        return None if folder is None else version_info(folder, True, gate_f1(self._history()), self._metric)

    def versions(self) -> list[VersionInfo]:
        """Every committed version, newest first."""
        self._adopt_legacy()
        if not self.versions_dir.is_dir():
            return []
        active, figures = self.active_version(), gate_f1(self._history())
        folders = [p for p in self.versions_dir.iterdir() if p.is_dir() and seq_of(p.name) is not None]
        folders.sort(key=lambda p: seq_of(p.name) or 0, reverse=True)
        return [version_info(p, p.name == active, figures, self._metric) for p in folders]

    # --- writing a run -------------------------------------------------------------------------

    def stage(self) -> Staged:
        """A new version id and an empty folder for the run; nothing reads it until ``commit``."""
        self._adopt_legacy()
        with self._locked():
            version = make_id(self._next_seq(), datetime.now(UTC))
            folder = self.root / STAGING / version
            folder.mkdir(parents=True)
        return Staged(version, folder)

    def commit(self, staged: Staged) -> VersionInfo:
        """Check the run (listed files match their sha256, extra files get sealed in, the model
        loads), fsync it and rename it into versions/. It is not made active: see ``promote``.
        On an error the staged folder stays; ``discard`` it."""
        folder = self._staged_folder(staged)
        if not folder.is_dir():
            raise InputError(f"{folder} does not exist; stage() a new run and write the model into it.")
        seal(folder, staged.version, self.kind)
        fsync_tree(folder)
        with self._locked():
            target = self.versions_dir / staged.version
            if target.exists():
                raise ConflictError(f"{target} exists already; stage() the run again for a new id.")
            self.versions_dir.mkdir(exist_ok=True)
            folder.rename(target)
            fsync_path(self.versions_dir)
        return version_info(target, False, {})

    @contextmanager
    def new_version(self) -> Iterator[Staged]:
        """A staged folder to write a run into (commit it inside the block); discarded if the
        block raises, so an error or a cancel leaves no half-written version behind."""
        staged = self.stage()
        try:
            yield staged
        except BaseException:
            self.discard(staged)
            raise

    def discard(self, staged: Staged) -> None:
        shutil.rmtree(self._staged_folder(staged), ignore_errors=True)

    def _staged_folder(self, staged: Staged) -> Path:
        folder = self.root / STAGING / check_version_id(staged.version)
        if staged.folder.resolve() != folder.resolve():
            raise InputError(f"{staged.folder} was not staged by this registry; expected {folder}.")
        return folder

    def _next_seq(self) -> int:
        names = [p.name for d in (self.versions_dir, self.root / STAGING) if d.is_dir() for p in d.iterdir()]
        return max((seq_of(name) or 0 for name in names), default=0) + 1

    # --- which version is active ---------------------------------------------------------------

    def promote(
        self,
        version: str,
        *,
        evaluate: Evaluate,
        margin: float = DEFAULT_MARGIN,
        force: bool = False,
        actor: str = "cli",
        baseline: Baseline | None = None,
        checks: Sequence[Check] = (),
    ) -> PromotionResult:
        """Make ``version`` active if its figure (``evaluate``: macro-F1 for intent) on its own
        held-out examples is at least the active model's on the same examples minus ``margin``.
        The first version is compared with ``baseline`` (what serves without one: the shipped
        emotion heads, no escalation head), or needs no gate without one; ``checks`` are the
        kind's further conditions (``Gate.checks``); ``force`` skips the verdict (the figures are
        still recorded when they can be measured)."""
        check_version_id(version)
        check_margin(margin)
        self._adopt_legacy()
        candidate = self.versions_dir / version
        if not candidate.is_dir():
            raise NotFoundError(
                f"tenant '{self.tenant}' has no {self.kind} model version {version}; "
                f"`replykit models list --tenant {self.tenant}{self._flag}` shows the versions."
            )
        try:
            verify_manifest(candidate)
        except ModelCacheError as err:
            raise ConflictError(f"{version} cannot be promoted: {err} Retrain it.") from None
        previous = self.active_version()
        if previous == version:
            raise InputError(f"{version} is already the active version of tenant '{self.tenant}'.")
        figures = NOT_MEASURED  # the first active version without a baseline: nothing to compare with
        if previous is not None or baseline is not None:
            figures = run_gate(
                candidate,
                None if previous is None else self.versions_dir / previous,
                evaluate,
                margin=margin,
                force=force,
                baseline=baseline,
                metric=METRIC_NAMES[self.kind],
                checks=checks,
            )
        forced = force and (previous is not None or baseline is not None)
        with self._locked():
            now = self.active_version()
            if now != previous:
                raise ConflictError(
                    f"the active version changed from {previous} to {now} while the gate ran; promote again."
                )
            if not candidate.is_dir():  # pruned while the gate ran
                raise NotFoundError(
                    f"{version} was removed (pruned) while the gate ran; nothing was changed."
                )
            entry = {"action": "force" if forced else "promote", "from": previous, "to": version}
            self._activate(version, entry | asdict(figures) | {"margin": margin, "actor": actor})
        return PromotionResult(
            version, previous, figures.candidate_f1, figures.current_f1, margin, forced, figures.examples
        )

    def rollback(self, *, actor: str = "cli") -> PromotionResult:
        """Back to the version that was active before the current one (no gate; recorded)."""
        self._adopt_legacy()
        with self._locked():
            current = self.active_version()
            if current is None:
                raise InputError(
                    f"tenant '{self.tenant}' has no active {self.kind} model; nothing to roll back."
                )
            stack = active_stack(self._history(), current)
            if len(stack) < 2:
                raise InputError(
                    f"{current} is the first version made active for tenant '{self.tenant}'; there is "
                    "nothing to roll back to. Promote another version instead."
                )
            target = stack[-2]
            try:
                verify_manifest(self.versions_dir / target)
            except ModelCacheError as err:
                raise ConflictError(f"cannot roll back to {target}: {err}") from None
            self._activate(target, {"action": "rollback", "from": current, "to": target, "actor": actor})
        return PromotionResult(target, current, None, None, None, False, 0)

    def promote_gated(
        self,
        version: str,
        gate: Gate,
        *,
        margin: float = DEFAULT_MARGIN,
        force: bool = False,
        actor: str = "cli",
    ) -> PromotionResult:
        """``promote`` through a kind's whole gate (``gate_for``)."""
        return self.promote(
            version,
            evaluate=gate.evaluate,
            baseline=gate.baseline,
            checks=gate.checks,
            margin=margin,
            force=force,
            actor=actor,
        )

    def deactivate(self, *, actor: str = "cli") -> str:
        """Switch the tenant's own head off: CURRENT goes, so the shipped heads (emotion) or no
        learned escalation (escalation) serve again; returns the version that was active. The
        versions stay, and a later ``promote`` goes through the gate against the baseline again.
        The intent model cannot be switched off: a tenant's suggestions need one."""
        if self.kind == "intent":
            raise InputError(
                "the intent model cannot be deactivated: suggestions need one. Promote or roll back "
                "another version instead; deactivate applies to --kind emotion or escalation."
            )
        with self._locked():
            current = self.active_version()
            if current is None:
                raise InputError(
                    f"tenant '{self.tenant}' has no active {self.kind} model; nothing to deactivate."
                )
            (self.root / CURRENT).unlink()
            fsync_path(self.root)
            append_history(
                self.root / HISTORY, {"action": "deactivate", "from": current, "to": None, "actor": actor}
            )
        return current

    def prune(self, keep: int = 3, *, actor: str = "cli") -> list[str]:
        """Delete committed versions nobody can return to: all but the ``keep`` newest, never the
        active one nor one a rollback could reach. An accurate-mode version holds its own encoder
        (about 135 MB), so a tenant that retrains often needs this. Returns the ids removed."""
        if keep < 1:
            raise InputError(
                f"keep must be at least 1 (the newest version may be waiting for promotion); found {keep}."
            )
        self._adopt_legacy()
        with self._locked():
            current = self.active_version()
            names = self.versions_dir.iterdir() if self.versions_dir.is_dir() else iter(())
            versions = sorted((p.name for p in names if seq_of(p.name)), key=lambda v: seq_of(v) or 0)
            kept = set(versions[-keep:]) | (set(active_stack(self._history(), current)) if current else set())
            removed = [v for v in versions if v not in kept]
            (self.root / STAGING).mkdir(exist_ok=True)
            for version in removed:  # out of versions/ in one rename, then deleted at leisure
                trash = self.root / STAGING / f"pruned-{version}"
                (self.versions_dir / version).rename(trash)
                shutil.rmtree(trash, ignore_errors=True)
            if removed:
                fsync_path(self.versions_dir)
                append_history(self.root / HISTORY, {"action": "prune", "removed": removed, "actor": actor})
        return removed

    @property
    def _metric(self) -> str:
        return METRICS[self.kind]

    @property
    def _flag(self) -> str:
        """The CLI option that names this kind, for the hints in messages."""
        return "" if self.kind == "intent" else f" --kind {self.kind}"

    def _history(self) -> list[dict[str, Any]]:
        return read_history(self.root / HISTORY)

    def _activate(self, version: str, entry: dict[str, Any]) -> None:
        """CURRENT first: a crash before the history line leaves CURRENT right, and the stack of
        active versions treats a CURRENT the history does not explain as pushed."""
        replace_text(self.root / CURRENT, version + "\n")
        append_history(self.root / HISTORY, entry)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._lock is None:  # reentrant within a thread, an flock across threads and processes
            self._lock = FileLock(str(self.root / LOCK))
        lock = self._lock
        try:
            lock.acquire(timeout=LOCK_TIMEOUT_S)
        except Timeout:
            raise ConflictError(
                f"{self.root / LOCK} has been held for over {LOCK_TIMEOUT_S:.0f} s by another replykit "
                "process; try again once it has finished."
            ) from None
        try:
            yield
        finally:
            lock.release()
