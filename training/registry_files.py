"""The model registry's files: version ids, sealing a run's folder, the audit history, metrics.

Kept apart from ``training/registry.py`` (the operations) so each stays one idea: this module
knows how things are written on disk, the other decides what to write and when.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.store.tenants import check_tenant_id
from suggest.analysis.heads import load_folder
from suggest.durable import fsync_tree
from suggest.errors import InputError, ModelCacheError, ModelFormatError
from suggest.models.manifest import MANIFEST_NAME, read_manifest, sha256_file, verify_manifest
from training.data import Example, read_labelled

log = logging.getLogger(__name__)

VERSIONS = "versions"
STAGING = ".staging"
CURRENT = "CURRENT"
HISTORY = "history.jsonl"
LOCK = ".lock"
HOLDOUT = "holdout.jsonl"
REPORT_JSON = "report/report.json"
METRICS_FILES = ("metrics.json", "report/metrics.json")
KINDS = ("intent", "emotion", "escalation")
"""What a registry can hold; each kind is also the ``kind`` its model folders declare."""
VERSION_ID = re.compile(r"^v(\d{4,})-(\d{8}T\d{6}Z)$")
"""``v0001-20261123T180102Z``: a sequence number (sorts, and reads as "the 1st") and the UTC time."""


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(f"'{kind}' is not a kind of model; expected one of {', '.join(KINDS)}.")
    return kind


def model_root(data_dir: Path, tenant: str, kind: str) -> Path:
    """``data_dir/tenants/<tenant>/models/<kind>``: one registry per kind of model."""
    return data_dir / "tenants" / check_tenant_id(tenant) / "models" / check_kind(kind)


def intent_root(data_dir: Path, tenant: str) -> Path:
    return model_root(data_dir, tenant, "intent")


def make_id(seq: int, when: datetime) -> str:
    return f"v{seq:04d}-{when.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def check_version_id(version: str) -> str:
    """The id, if it is one the registry could have made (it also names a folder: no paths)."""
    if not VERSION_ID.match(version):
        raise InputError(
            f"'{version}' is not a model version id; expected one like v0003-20261123T180102Z "
            "(`replykit models list` shows them)."
        )
    return version


def seq_of(name: str) -> int | None:
    match = VERSION_ID.match(name)
    return int(match.group(1)) if match else None


def id_time(version: str) -> str:
    """The id's UTC time as ISO 8601, for versions whose manifest does not say when."""
    match = VERSION_ID.match(version)
    if not match:
        return ""
    return datetime.strptime(match.group(2), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat()


def seal(folder: Path, version: str, kind: str = "intent") -> dict[str, Any]:
    """Check a run's folder and list the files the run added after the model (holdout.jsonl,
    report/...) in its manifest, so the whole version is covered by sha256 from now on.

    The files the manifest already lists must match it (a changed weight file is refused), a
    hidden file means an unfinished write, and the model itself must load from the result.
    """
    manifest = read_manifest(folder)
    if manifest.get("kind") != kind:
        raise ModelFormatError(f"{folder} holds a '{manifest.get('kind')}' model; expected '{kind}'.")
    files = [p.relative_to(folder) for p in folder.rglob("*") if p.is_file()]
    files = [rel for rel in files if rel.as_posix() != MANIFEST_NAME]
    hidden = [rel.as_posix() for rel in files if any(part.startswith(".") for part in rel.parts)]
    if hidden:
        raise ModelCacheError(
            f"{folder} holds unfinished or hidden files {hidden[:3]}; finish the run or discard it."
        )
    listed: dict[str, Any] = dict(manifest["files"])
    added = sorted(rel.as_posix() for rel in files if rel.as_posix() not in listed)
    for rel in added:
        path = folder / rel
        listed[rel] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    sealed = {**manifest, "files": listed, "registry": {"version": version, "added_files": added}}
    tmp = folder / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(sealed, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MANIFEST_NAME)
    load_folder(folder, kind)  # every file against its sha256, and the weights parse
    return sealed


def copy_verified(source: Path, names: list[str], dest: Path) -> None:
    """Copy the listed files of a model folder to ``dest``, check them against the manifest, fsync."""
    for rel in names:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, dest / rel)
    verify_manifest(dest)
    fsync_tree(dest)


def read_history(path: Path) -> list[dict[str, Any]]:
    """The audit entries, oldest first; a torn last line (a crash mid-append) is skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            log.warning("%s:%d is not a JSON line; skipped", path, number)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def append_history(path: Path, entry: dict[str, Any]) -> None:
    """One JSON line, flushed to disk before the caller reports success."""
    line = json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}) + "\n"
    with path.open("a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def active_stack(history: list[dict[str, Any]], current: str) -> list[str]:
    """The versions made active in turn, with rolled-back ones popped: a rollback returns to the
    element below the top, and never past a deactivation, which empties the stack. ``current`` is
    pushed when CURRENT was changed outside the registry."""
    stack: list[str] = []
    for entry in history:
        if entry.get("action") == "deactivate":
            stack.clear()
            continue
        to = entry.get("to")
        if not isinstance(to, str):
            continue
        if entry.get("action") == "rollback":
            if stack:
                stack.pop()
            if not stack or stack[-1] != to:
                stack.append(to)
        else:
            stack.append(to)
    if not stack or stack[-1] != current:
        stack.append(current)
    return stack


@dataclass(frozen=True)
class Staged:
    """A folder inside the registry for a new run to write into; ``commit`` or ``discard`` it."""

    version: str
    folder: Path


@dataclass(frozen=True)
class VersionInfo:
    version: str
    folder: Path
    created_at: str
    metrics: dict[str, Any]
    """``examples``, ``accuracy``, ``macro_f1`` as far as known (missing: absent)."""
    active: bool
    data_sha256: str | None = None
    """The training data's hash, as the run recorded it."""
    has_holdout: bool = False


def version_info(
    folder: Path, active: bool, gate_figures: dict[str, float], metric: str = "macro_f1"
) -> VersionInfo:
    """What a version's manifest and files say about it; a damaged manifest gives empty figures.
    The gate's last figure fills in ``metric``, the kind's own figure (registry_gate.METRICS)."""
    try:
        manifest = read_manifest(folder)
    except ModelCacheError:
        manifest = {}
    metrics = read_metrics(folder, manifest)
    if folder.name in gate_figures:
        metrics.setdefault(metric, gate_figures[folder.name])  # the gate's, on its own held-out data
    source = _dict(_dict(manifest.get("training")).get("source"))
    sha = source.get("sha256") or source.get("examples_sha256")  # a file's hash, else the examples
    return VersionInfo(
        version=folder.name,
        folder=folder,
        created_at=str(manifest.get("created_at") or id_time(folder.name)),
        metrics=metrics,
        active=active,
        data_sha256=sha if isinstance(sha, str) else None,
        has_holdout=(folder / HOLDOUT).is_file(),
    )


def gate_f1(history: list[dict[str, Any]]) -> dict[str, float]:
    """Each version's gate figure (its kind's, registry_gate.METRICS) as last measured when promoting it."""
    return {
        entry["to"]: float(entry["candidate_f1"])
        for entry in history
        if isinstance(entry.get("to"), str) and _number(entry.get("candidate_f1"))
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _json_file(path: Path) -> dict[str, Any]:
    try:
        return _dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}


def _numbers(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if _number(value)}


def read_metrics(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """``examples`` (training), ``accuracy``, ``macro_f1`` and any other figures, as far as the run
    recorded them, later sources winning: the manifest's training report, the evaluation in
    ``report/report.json`` (training/report.py), then ``metrics.json`` files. Missing: absent."""
    report = _dict(_dict(manifest.get("training")).get("report"))
    holdout = _dict(report.get("holdout"))
    found = _numbers(
        {
            "examples": report.get("examples"),
            "accuracy": holdout.get("accuracy"),
            "macro_f1": holdout.get("macro_f1", report.get("macro_f1")),
        }
    )
    evaluation = _numbers(_dict(_json_file(folder / REPORT_JSON).get("evaluation")))
    if "examples" in evaluation:  # held-out examples, not the training examples above
        evaluation["holdout_examples"] = evaluation.pop("examples")
    found |= evaluation
    for name in METRICS_FILES:
        found |= _numbers(_json_file(folder / name))
    return found


def holdout_examples(path: Path) -> list[Example]:
    """A version's held-out examples: ``{"text", "label"}`` lines, label null = out of scope."""
    data = read_labelled(path, text_col="text", label_col="label")
    if data.problems:
        first = data.problems[0]
        raise ModelCacheError(
            f"{first.location}: {first.message}; the held-out file of a version should be as its "
            "training run wrote it. Retrain, or promote with --force."
        )
    return data.examples
