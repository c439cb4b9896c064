"""The accurate mode's encoder: fine-tune the shared model on a tenant's examples, export it to
ONNX int8 like the shared one, and check that the int8 graph agrees with the tuned weights.

The result is a folder the intent model version carries (``encoder/``: the int8 graph and the
tokenizer files the serving embedder reads) and the embedder over it, whose vectors the intent
head is then fitted on, exactly as it will be served.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from suggest.embed.onnx_embedder import OnnxEmbedder, read_max_length
from suggest.errors import InputError, ModelQualityError
from suggest.models.manifest import sha256_file
from suggest.models.onnx_export import INT8_FILE, export_int8
from suggest.models.quiet import quiet_libraries
from suggest.models.sanity import AGREEMENT_TEXTS, agreement
from training.finetune.batches import tokenize
from training.finetune.loop import (
    StepProgress,
    bf16_supported,
    embed_tokens,
    fine_tune,
    load_body,
    torch_threads,
)
from training.finetune.options import AccurateOptions, resolve

ENCODER_FILES = (
    "tokenizer.json",
    "config.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
)
"""What the serving embedder reads beside the graph (those of them the base folder has)."""
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "manifest.json")
CHECK_TEXTS = 32
"""Training texts added to the fixed en/nl/el set for the int8 agreement check."""
MIN_TUNED_AGREEMENT = 0.9
"""Below this cosine the int8 graph does not compute the tuned model (a broken export). Above it,
the int8 vectors are what the intent model is fitted on and evaluated with, so quantization's cost
shows in the held-out figures and the promotion gate; the shared model's stricter 0.99 does not
apply. A 10-shot tuning with the contrastive loss measured 0.97 (docs/accurate-mode.md)."""


@dataclass(frozen=True)
class TunedEncoder:
    folder: Path
    """The ``encoder/`` folder: int8 graph and tokenizer files; copy it into the model version."""
    embedder: OnnxEmbedder
    report: dict[str, Any]


def tuned_name(base: Path, onnx_file: Path) -> str:
    """The tuned encoder's name: its base and its graph's hash, so no two tunings share a name."""
    return f"{base.name}+tuned-{sha256_file(onnx_file)[:12]}"


def tune_encoder(
    base: Path,
    texts: Sequence[str],
    labels: Sequence[int],
    n_labels: int,
    options: AccurateOptions,
    *,
    seed: int,
    work: Path,
    progress: StepProgress | None = None,
) -> TunedEncoder:
    """Fine-tune the sentence-transformers folder ``base`` on the labelled texts, in ``work``."""
    if not (base / "tokenizer.json").is_file() or not (base / "config.json").is_file():
        raise InputError(
            f"{base} is not a sentence-transformers folder with tokenizer.json and config.json; "
            "the accurate mode fine-tunes the model the service embeds with (`replykit models prepare`)."
        )
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_labels)
    recipe = resolve(options, [int(n) for n in counts if n], bf16_supported())
    started = time.perf_counter()
    with torch_threads(recipe.threads):
        model = load_body(base)
        tokens = tokenize(base, texts, recipe.max_tokens, int(model.config.pad_token_id or 0))
        report = fine_tune(model, tokens, labels, n_labels, recipe, seed=seed, progress=progress)
        tuned_at = time.perf_counter()
        folder, embedder, worst = _export(model, base, work, texts)
    report |= {
        "recipe": asdict(recipe),
        "encoder": embedder.name,
        "int8_agreement": round(worst, 4),
        "seconds": {
            **report["seconds"],
            "export": round(time.perf_counter() - tuned_at, 1),
            "total": round(time.perf_counter() - started, 1),
        },
    }
    return TunedEncoder(folder, embedder, report)


def _export(model: Any, base: Path, work: Path, texts: Sequence[str]) -> tuple[Path, OnnxEmbedder, float]:
    """Save the tuned weights as a sentence-transformers folder, export and quantize the graph,
    and keep it only if it computes the tuned model; returns the lowest cosine to float32 too."""
    weights = work / "tuned"
    shutil.copytree(base, weights, ignore=shutil.ignore_patterns(*WEIGHT_FILES, "onnx"), dirs_exist_ok=True)
    with quiet_libraries():
        model.save_pretrained(str(weights), safe_serialization=True)
    graph = export_int8(weights, work / "graph")
    folder = work / "encoder"
    folder.mkdir()
    shutil.copy2(graph, folder / INT8_FILE)
    for name in ENCODER_FILES:
        if (weights / name).is_file():
            shutil.copy2(weights / name, folder / name)
    embedder = OnnxEmbedder(folder / INT8_FILE, folder, name=tuned_name(base, folder / INT8_FILE))
    sample = [*AGREEMENT_TEXTS, *texts[:CHECK_TEXTS]]

    def reference(batch: Sequence[str]) -> np.ndarray:
        tokens = tokenize(weights, batch, read_max_length(weights), int(model.config.pad_token_id or 0))
        return embed_tokens(model, tokens, bf16=False)

    worst = agreement(reference, lambda batch: embedder.embed(batch, "query"), sample)
    if worst < MIN_TUNED_AGREEMENT:
        raise ModelQualityError(
            f"the tuned encoder's int8 graph agrees with its float32 weights at cosine {worst:.4f}, "
            f"below the {MIN_TUNED_AGREEMENT} required: the export is broken. Train again, or use the "
            "fast mode, and report the problem with the training log."
        )
    shutil.rmtree(weights, ignore_errors=True)  # 470 MB of float32 weights the version does not need
    shutil.rmtree(work / "graph", ignore_errors=True)
    return folder, embedder, worst
