"""Serving-path embedder: ONNX Runtime int8 with the Rust tokenizer; no torch in the process."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from suggest.embed.text import validate_texts
from suggest.protocols import TextKind

DEFAULT_BATCH = 8
"""Small batches measured fastest on 2 cores (see BENCHMARKS.md)."""

SLOW_FUSIONS = ["SkipLayerNormFusion"]
"""ONNX Runtime's fused SkipLayerNormalization kernel took a quarter of the time here; plain
Add + LayerNormalization is about 1.4x faster end to end (docs/model.md)."""


def read_prompts(folder: Path) -> dict[str, str]:
    """The ``query``/``passage`` prefixes declared in a sentence-transformers folder, if any."""
    path = folder / "config_sentence_transformers.json"
    if not path.is_file():
        return {}
    prompts = json.loads(path.read_text(encoding="utf-8")).get("prompts") or {}
    return {str(k): str(v) for k, v in prompts.items()}


def read_max_length(folder: Path, default: int = 512) -> int:
    path = folder / "sentence_bert_config.json"
    if path.is_file():
        value = json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
        if isinstance(value, int) and value > 0:
            return value
    return default


class OnnxEmbedder:
    """Runs an exported graph that already does mean pooling and L2 normalisation."""

    def __init__(
        self,
        onnx_file: Path,
        model_folder: Path,
        *,
        batch_size: int = DEFAULT_BATCH,
        threads: int = 0,
        label: str = "onnx-int8",
        name: str | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"], disabled_optimizers=SLOW_FUSIONS
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(read_max_length(model_folder))
        self.tokenizer.no_padding()
        self.prompts = read_prompts(model_folder)
        config = json.loads((model_folder / "config.json").read_text(encoding="utf-8"))
        self.pad_id = int(config.get("pad_token_id") or 0)
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.name = name or f"{model_folder.name} ({label})"
        self.batch_size = batch_size

    def _run(self, encodings: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, seq in enumerate(encodings):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        out = self.session.run(None, feeds)[0]
        return np.asarray(out, dtype=np.float32)

    def embed(self, texts: Sequence[str], kind: TextKind = "query") -> np.ndarray:
        cleaned = validate_texts(texts)
        if not cleaned:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self.prompts.get(kind, "")
        encodings = [e.ids for e in self.tokenizer.encode_batch([prefix + t for t in cleaned])]
        # Sorting by length keeps padding (wasted compute) low inside each batch.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]))
        out = np.empty((len(cleaned), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._run([encodings[i] for i in chunk])
        return out
