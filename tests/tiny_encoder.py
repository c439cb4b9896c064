"""A tiny, randomly initialised BERT sentence-transformers folder, written by the tests: the
accurate mode's code path (fine-tune, export, quantize, serve) in seconds and without the real
model. Its vectors mean nothing until it is tuned, which is what the tests rely on."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

PAD, UNK, CLS, SEP = "[PAD]", "[UNK]", "[CLS]", "[SEP]"


def write_tiny_encoder(folder: Path, texts: Iterable[str], *, seed: int = 0) -> Path:
    """A word-level tokenizer over ``texts`` (lower-cased) and a 2-layer, 32-wide BERT."""
    import torch
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = sorted({w for text in texts for w in ("query: " + text).lower().replace(":", " : ").split()})
    vocab = {token: i for i, token in enumerate([PAD, UNK, CLS, SEP, *words])}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token=UNK))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}", special_tokens=[(CLS, vocab[CLS]), (SEP, vocab[SEP])]
    )
    folder.mkdir(parents=True, exist_ok=True)
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tokenizer, pad_token=PAD, unk_token=UNK, cls_token=CLS, sep_token=SEP
    )
    fast.save_pretrained(str(folder))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=0,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(str(folder), safe_serialization=True)
    files = {
        "config_sentence_transformers.json": {"prompts": {"query": "query : ", "passage": "passage : "}},
        "sentence_bert_config.json": {"max_seq_length": 64},
        "1_Pooling/config.json": {"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True},
    }
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(content), encoding="utf-8")
    return folder
