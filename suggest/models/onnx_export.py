"""Export a sentence-transformers folder to ONNX and quantize it to int8.

Steps: torch.onnx export (pooling and normalisation inside the graph), ONNX Runtime's
transformer fusions for BERT-like encoders, then per-channel dynamic int8 quantization.
Per-channel weights matter here: per-tensor int8 fell to cosine 0.983 against fp32,
per-channel stays above 0.995 (BENCHMARKS.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suggest.errors import ModelFormatError

log = logging.getLogger(__name__)

INT8_FILE = "model.int8.onnx"
FUSABLE_MODEL_TYPES = {"bert", "xlm-roberta", "roberta"}


def _pooling_mode(folder: Path) -> str:
    config_path = folder / "1_Pooling" / "config.json"
    if not config_path.is_file():
        return "mean"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("pooling_mode_cls_token"):
        return "cls"
    if config.get("pooling_mode_mean_tokens", True):
        return "mean"
    raise ModelFormatError(
        f"{config_path}: ONNX export supports mean or CLS pooling, found {config}. "
        "Set REPLYKIT_EMBED_BACKEND=torch for this model."
    )


def _export_fp32(folder: Path, target: Path) -> dict[str, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    # Eager attention traces into the plain MatMul/Softmax pattern that ORT knows how to fuse.
    model = AutoModel.from_pretrained(
        str(folder), attn_implementation="eager", local_files_only=True, trust_remote_code=False
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    pooling = _pooling_mode(folder)

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    sample = tokenizer(
        ["query: hello", "query: a slightly longer example"], padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        torch.onnx.export(
            Pooled(),
            (sample["input_ids"], sample["attention_mask"]),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    return dict(model.config.to_dict())


def _fuse(source: Path, target: Path, config: dict[str, Any]) -> bool:
    if config.get("model_type") not in FUSABLE_MODEL_TYPES:
        return False
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=1,
    )
    optimized.save_model_to_file(str(target))
    return True


def _quantize(source: Path, target: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        # Fused contrib ops have no shape-inferred types; their outputs are float32.
        extra_options={"DefaultTensorType": TensorProto.FLOAT},
    )


def export_int8(folder: Path, out_dir: Path, step: Callable[[str], None] | None = None) -> Path:
    """Write ``out_dir/model.int8.onnx`` for the sentence-transformers folder ``folder``."""
    step = step or (lambda _msg: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32, fused = out_dir / "model.fp32.onnx", out_dir / "model.fused.onnx"
    try:
        step("Exporting to ONNX")
        config = _export_fp32(folder, fp32)
        step("Fusing attention and layer norms")
        source = fused if _fuse(fp32, fused, config) else fp32
        step("Quantizing to int8")
        _quantize(source, out_dir / INT8_FILE)
    finally:
        for tmp in (fp32, fused):
            tmp.unlink(missing_ok=True)
    return out_dir / INT8_FILE
