"""Both real backends pass the embedder contract, agree with each other and work across languages."""

from __future__ import annotations

import numpy as np
import pytest

from suggest.embed.loader import embedder_for
from suggest.embed.onnx_embedder import OnnxEmbedder
from suggest.embed.st_embedder import SentenceTransformerEmbedder
from suggest.models.prepare import PreparedModel
from suggest.models.sanity import AGREEMENT_TEXTS, MIN_AGREEMENT
from suggest.protocols import Embedder
from tests.embedder_contract import TEXTS, EmbedderContract


@pytest.fixture(scope="module")
def torch_embedder(prepared: PreparedModel) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(prepared.folder)


@pytest.fixture(scope="module")
def onnx_embedder(prepared: PreparedModel) -> Embedder:
    assert prepared.onnx_file is not None, "the int8 model should pass its agreement check"
    return embedder_for(prepared, "auto")


class TestTorchEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, torch_embedder: SentenceTransformerEmbedder) -> Embedder:
        return torch_embedder


class TestOnnxEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, onnx_embedder: Embedder) -> Embedder:
        return onnx_embedder


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_query_and_passage_prefixes_are_applied(
    torch_embedder: SentenceTransformerEmbedder, onnx_embedder: Embedder, backend: str
) -> None:
    embedder = torch_embedder if backend == "torch" else onnx_embedder
    query, passage = embedder.embed(TEXTS, "query"), embedder.embed(TEXTS, "passage")
    assert np.sum(query * passage, axis=1).max() < 0.995, "the E5 prefixes made no difference"


def test_int8_agrees_with_fp32_on_passages(
    torch_embedder: SentenceTransformerEmbedder, onnx_embedder: Embedder
) -> None:
    texts = list(AGREEMENT_TEXTS)
    cosines = np.sum(torch_embedder.embed(texts, "passage") * onnx_embedder.embed(texts, "passage"), axis=1)
    assert cosines.min() >= MIN_AGREEMENT, cosines


def test_auto_serves_onnx_int8(onnx_embedder: Embedder) -> None:
    assert isinstance(onnx_embedder, OnnxEmbedder) and "onnx-int8" in onnx_embedder.name


@pytest.mark.parametrize("texts", [list(AGREEMENT_TEXTS), TEXTS])
def test_int8_agrees_with_fp32(
    torch_embedder: SentenceTransformerEmbedder, onnx_embedder: Embedder, texts: list[str]
) -> None:
    cosines = np.sum(torch_embedder.embed(texts) * onnx_embedder.embed(texts), axis=1)
    assert cosines.min() >= MIN_AGREEMENT, cosines


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_a_translation_is_the_nearest_neighbour(
    torch_embedder: SentenceTransformerEmbedder, onnx_embedder: Embedder, backend: str
) -> None:
    embedder = torch_embedder if backend == "torch" else onnx_embedder
    english = [
        "Where is my package?",
        "I want to cancel my subscription.",
        "How do I reset my password?",
        "You charged me twice this month.",
    ]
    dutch = ["Waar is mijn pakket?", "Ik wil mijn abonnement opzeggen.", "Hoe reset ik mijn wachtwoord?"]
    greek = ["Πού είναι το δέμα μου;", "Θέλω να ακυρώσω τη συνδρομή μου.", "Πώς επαναφέρω τον κωδικό μου;"]
    targets = embedder.embed(english)
    for queries in (dutch, greek):
        nearest = np.argmax(embedder.embed(queries) @ targets.T, axis=1)
        assert nearest.tolist() == [0, 1, 2]


def test_loading_and_embedding_never_touch_the_network(prepared: PreparedModel, no_network: None) -> None:
    torch_side = SentenceTransformerEmbedder(prepared.folder)
    onnx_side = embedder_for(prepared, "onnx")
    assert torch_side.embed(["hallo"]).shape == onnx_side.embed(["hallo"]).shape == (1, 384)
