"""Emotion heads centre each ticket on its language's mean, so a language alone reads as no emotion."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from suggest.analysis.emotion import EmotionModel
from suggest.analysis.heads import embedder_meta, save_folder
from suggest.errors import InputError, ModelFormatError
from tests.analysis_helpers import embed, fake_embedder, support_emotion_model


@pytest.fixture(scope="module")
def model() -> EmotionModel:
    return support_emotion_model()


def test_support_heads_keep_a_mean_per_support_language(model: EmotionModel) -> None:
    assert sorted(model.language_means) == ["el", "en", "nl"]
    assert all(mean.shape == (384,) for mean in model.language_means.values())


def test_each_ticket_is_centred_on_its_own_language(model: EmotionModel) -> None:
    x = embed(["my parcel is late", "mijn pakket is laat"])
    shifted = model.shifted(x, ["en", "nl"])
    np.testing.assert_allclose(shifted[0], x[0] - model.language_means["en"], rtol=1e-6)
    np.testing.assert_allclose(shifted[1], x[1] - model.language_means["nl"], rtol=1e-6)


def test_a_language_without_examples_gets_the_mean_of_the_known_ones(model: EmotionModel) -> None:
    x = embed(["mein Paket ist spät"])
    expected = x[0] - np.mean(list(model.language_means.values()), axis=0)
    np.testing.assert_allclose(model.shifted(x, ["de"])[0], expected, rtol=1e-5, atol=1e-6)


def test_the_language_changes_the_scores(model: EmotionModel) -> None:
    x = embed(["this is the third time I write"] * 2)
    en, nl = model.predict(x, ["en", "nl"])
    assert en.emotions != nl.emotions


def test_one_language_per_vector_is_required(model: EmotionModel) -> None:
    with pytest.raises(ValueError, match="one language per vector; found 1 for 2"):
        model.predict(embed(["a", "b"]), ["en"])
    assert model.predict(np.zeros((0, 384), dtype=np.float32), []) == []


def test_heads_without_support_examples_are_refused() -> None:
    from training.emotion import Corpus, EmotionTrainOptions, train_emotion
    from training.emotion_data import EmotionExample

    rows = [
        EmotionExample(text, "goemotions/train", "en", sentiment, frozenset())
        for text, sentiment in [("great", "positive"), ("awful", "negative"), ("ok", "neutral")] * 2
    ]
    with pytest.raises(InputError, match="no support examples"):
        train_emotion(Corpus(rows, rows, {}), fake_embedder(), EmotionTrainOptions())


def test_a_model_without_means_leaves_vectors_alone(model: EmotionModel) -> None:
    x = embed(["hello"])
    assert model.shifted(x, ["en"]) is not x
    assert replace(model, language_means={}).shifted(x, ["en"]) is x


def test_means_survive_save_and_load(model: EmotionModel, tmp_path: Path) -> None:
    folder = tmp_path / "emotion"
    save_folder(folder, model.tensors(), {**model.meta(), "embedder": embedder_meta(fake_embedder())})
    loaded = EmotionModel.load(folder, fake_embedder())
    assert sorted(loaded.language_means) == sorted(model.language_means)
    x = embed(["ik ben het spuugzat", "thank you so much"])
    assert loaded.predict(x, ["nl", "en"]) == model.predict(x, ["nl", "en"])


def test_a_listed_language_without_its_mean_is_refused(model: EmotionModel, tmp_path: Path) -> None:
    folder = tmp_path / "emotion"
    tensors = {k: v for k, v in model.tensors().items() if k != "language_mean.nl"}
    save_folder(folder, tensors, {**model.meta(), "embedder": embedder_meta(fake_embedder())})
    with pytest.raises(ModelFormatError, match="mean embedding for language 'nl' is missing"):
        EmotionModel.load(folder, fake_embedder())
