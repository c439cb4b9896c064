"""Training an intent model on a small synthetic set with the fake embedder, saving and loading it,
and reading labelled files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from suggest.analysis.heads import WEIGHTS_FILE
from suggest.analysis.intent import OUT_OF_SCOPE, IntentModel
from suggest.embed.fake import HashingEmbedder
from suggest.errors import InputError, ModelCacheError, ModelFormatError
from suggest.models.manifest import MANIFEST_NAME
from tests.analysis_helpers import (
    SMALL_OPTIONS,
    embed,
    fake_embedder,
    labelled_examples,
    trained_intent,
)
from training.data import Example, read_labelled
from training.intent import TrainedIntent, save_intent, train_intent

NEW_TEXTS = {
    "please refund my order money": "refund",
    "I forgot my password again, please reset it": "password",
    "my parcel delivery is late": "delivery",
    "send me the invoice for march": "invoice",
}
UNRELATED = ["quantum chromodynamics lattice gauge zebra", "my dog plays in the garden"]


@pytest.fixture(scope="module")
def trained() -> TrainedIntent:
    return trained_intent()


@pytest.fixture(scope="module")
def saved(trained: TrainedIntent, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("intent") / "model"
    save_intent(folder, trained, fake_embedder(), SMALL_OPTIONS, {"file": "small.csv", "sha256": "abc"})
    return folder


# --- training -----------------------------------------------------------------------------------


def test_report_describes_the_training_set(trained: TrainedIntent) -> None:
    report = trained.report
    assert report["examples"] == 32 and report["out_of_scope_examples"] == 4
    assert report["intents"] == 4
    assert report["per_intent"] == {"delivery": 8, "invoice": 8, "password": 8, "refund": 8}
    assert report["c"] == 10.0
    assert report["holdout"]["method"] == "3-fold out-of-fold"
    assert report["holdout"]["examples"] == 36  # the out-of-scope examples are held out too
    assert 0.0 <= report["holdout"]["accuracy"] <= 1.0
    assert report["temperature"] > 0


def test_labels_are_sorted_and_thresholds_are_set(trained: TrainedIntent) -> None:
    model = trained.model
    assert model.labels == ("delivery", "invoice", "password", "refund", OUT_OF_SCOPE)
    assert model.intents == ("delivery", "invoice", "password", "refund")
    assert 0.0 <= model.min_confidence <= 1.0
    assert -1.0 < model.min_similarity <= 1.0  # never switched off
    assert [block.features.kind for block in model.ngrams] == ["chars", "words"]
    assert all(block.weight.shape == (5, len(block.features.columns)) for block in model.ngrams)
    assert model.neighbours is not None and model.neighbours.weight in SMALL_OPTIONS.neighbour_weights


def test_c_and_neighbour_weight_are_chosen_by_held_out_log_loss(trained: TrainedIntent) -> None:
    grid = trained.report["grid"]
    assert set(grid) == {f"C=10 votes={w:g}" for w in SMALL_OPTIONS.neighbour_weights}
    chosen = f"C=10 votes={trained.report['neighbour_weight']:g}"
    assert grid[chosen]["log_loss"] == min(cell["log_loss"] for cell in grid.values())


def test_without_ngrams_or_neighbours_the_head_is_the_embedding_alone() -> None:
    from training.intent import IntentTrainOptions

    options = IntentTrainOptions(c_grid=(10.0,), folds=3, ngrams=(), neighbour_weights=(0.0,))
    model = train_intent(labelled_examples(), fake_embedder(), options).model
    assert model.ngrams == () and model.neighbours is None
    texts = list(NEW_TEXTS)
    x = embed(texts)
    np.testing.assert_allclose(model.logits(x, texts), model.head.logits(x), rtol=1e-6)
    assert model.version != "unversioned"


@pytest.mark.parametrize(("text", "label"), list(NEW_TEXTS.items()))
def test_new_texts_with_the_distinctive_words_get_their_intent(
    trained: TrainedIntent, text: str, label: str
) -> None:
    [result] = trained.model.predict(embed([text]), [text])
    assert result.label == label
    assert result.top[0].label == label
    assert result.reason.startswith(f"'{label}' at ")


def test_confidences_are_probabilities_and_top_is_three_sorted(trained: TrainedIntent) -> None:
    texts = [*NEW_TEXTS, *UNRELATED]
    for result in trained.model.predict(embed(texts), texts):
        assert 0.0 <= result.confidence <= 1.0
        assert len(result.top) == 3
        scores = [entry.confidence for entry in result.top]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores) and sum(scores) <= 1.0 + 1e-3
        assert len({entry.label for entry in result.top}) == 3
        assert OUT_OF_SCOPE not in {entry.label for entry in result.top}
        if result.reason.startswith("out of scope: it reads like"):  # the out-of-scope class won
            assert result.label is None and result.confidence > scores[0]
        else:
            assert result.confidence == pytest.approx(scores[0], abs=1e-4)


def test_a_text_like_the_out_of_scope_examples_is_out_of_scope_by_the_class(trained: TrainedIntent) -> None:
    text = "the weather in france is nice today"
    [result] = trained.model.predict(embed([text]), [text])
    assert result.label is None
    assert result.reason.startswith("out of scope: it reads like the examples no intent covers")


def test_a_text_unlike_every_example_is_out_of_scope_by_similarity(trained: TrainedIntent) -> None:
    text = "quantum chromodynamics lattice gauge zebra"
    [result] = trained.model.predict(embed([text]), [text])
    assert result.label is None
    assert "unlike the training examples" in result.reason


@pytest.mark.parametrize("text", UNRELATED)
def test_an_unrelated_text_is_out_of_scope(trained: TrainedIntent, text: str) -> None:
    [result] = trained.model.predict(embed([text]), [text])
    assert result.label is None
    assert result.reason.startswith("out of scope")


def test_probabilities_sum_to_one(trained: TrainedIntent) -> None:
    texts = list(NEW_TEXTS)
    probs = trained.model.probabilities(embed(texts), texts)
    assert probs.shape == (4, 5)  # four intents and the out-of-scope class
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_predicting_no_tickets_gives_no_results(trained: TrainedIntent) -> None:
    assert trained.model.predict(np.zeros((0, 384), dtype=np.float32), []) == []


def test_training_reports_embedding_progress() -> None:
    calls: list[tuple[int, int]] = []
    train_intent(
        labelled_examples(), fake_embedder(), SMALL_OPTIONS, lambda done, total: calls.append((done, total))
    )
    assert calls and calls[-1] == (36, 36)


def test_training_is_deterministic(trained: TrainedIntent) -> None:
    again = train_intent(labelled_examples(), fake_embedder(), SMALL_OPTIONS)
    texts = [*NEW_TEXTS, *UNRELATED]
    np.testing.assert_array_equal(
        again.model.probabilities(embed(texts), texts), trained.model.probabilities(embed(texts), texts)
    )
    assert again.model.min_similarity == trained.model.min_similarity


def test_one_intent_is_not_enough() -> None:
    examples = [Example(f"refund my order number {i}", "refund") for i in range(6)]
    with pytest.raises(InputError, match="at least 2 intents with examples; found 1"):
        train_intent(examples, fake_embedder(), SMALL_OPTIONS)


def test_out_of_scope_examples_do_not_count_as_an_intent() -> None:
    examples = [Example(f"refund my order number {i}", "refund") for i in range(6)]
    examples += [Example(f"the weather on day {i}", None) for i in range(6)]
    with pytest.raises(InputError, match="found 1"):
        train_intent(examples, fake_embedder(), SMALL_OPTIONS)


def test_an_intent_with_a_single_example_is_refused_by_name() -> None:
    examples = [*labelled_examples(), Example("where do I find the manual", "manual")]
    with pytest.raises(InputError, match=r"1 intent\(s\) have fewer than 2 examples: manual"):
        train_intent(examples, fake_embedder(), SMALL_OPTIONS)


def test_a_single_out_of_scope_example_is_refused() -> None:
    examples = [*labelled_examples(out_of_scope=False), Example("the weather is nice", None)]
    with pytest.raises(InputError, match=r"1 example\(s\) are labelled out of scope; .* at least 2"):
        train_intent(examples, fake_embedder(), SMALL_OPTIONS)


def test_the_reserved_label_is_the_out_of_scope_class_not_a_second_intent() -> None:
    examples = [*labelled_examples(), *(Example(t, OUT_OF_SCOPE) for t in ("spam offer", "job application"))]
    result = train_intent(examples, fake_embedder(), SMALL_OPTIONS)
    assert result.model.labels.count(OUT_OF_SCOPE) == 1
    assert result.report["out_of_scope_examples"] == 6


def test_training_without_out_of_scope_examples_works() -> None:
    result = train_intent(labelled_examples(out_of_scope=False), fake_embedder(), SMALL_OPTIONS)
    assert result.report["out_of_scope_examples"] == 0
    assert result.model.labels == ("delivery", "invoice", "password", "refund")


# --- save and load ------------------------------------------------------------------------------


def test_saved_folder_holds_weights_and_a_reproducible_manifest(saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == [MANIFEST_NAME, WEIGHTS_FILE]
    manifest = json.loads((saved / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["kind"] == "intent"
    assert manifest["embedder"] == {"family": "hashing-fake-384", "dim": 384}
    assert manifest["head"]["labels"] == ["delivery", "invoice", "password", "refund", OUT_OF_SCOPE]
    assert manifest["training"]["source"] == {"file": "small.csv", "sha256": "abc"}
    assert manifest["training"]["options"]["c_grid"] == [10.0]
    assert manifest["training"]["report"]["examples"] == 32
    assert set(manifest["files"]) == {WEIGHTS_FILE}


def test_save_then_load_gives_identical_probabilities(trained: TrainedIntent, saved: Path) -> None:
    loaded = IntentModel.load(saved, fake_embedder())
    texts = [*NEW_TEXTS, *UNRELATED]
    x = embed(texts)
    np.testing.assert_array_equal(loaded.probabilities(x, texts), trained.model.probabilities(x, texts))
    assert loaded.predict(x, texts) == trained.model.predict(x, texts)
    assert loaded.labels == trained.model.labels
    assert loaded.min_confidence == trained.model.min_confidence
    assert loaded.min_similarity == trained.model.min_similarity
    assert loaded.version == trained.model.version
    assert loaded.neighbours is not None and trained.model.neighbours is not None
    assert loaded.neighbours.weight == trained.model.neighbours.weight


def test_a_registry_version_overrides_the_recorded_one(saved: Path) -> None:
    assert IntentModel.load(saved, fake_embedder(), version="v0007-x").version == "v0007-x"


def test_a_model_saved_before_the_ngram_blocks_keeps_its_character_ngrams(tmp_path: Path) -> None:
    """Older manifests name one character block ``lexical``; loading must not drop its weights."""
    from suggest.analysis.heads import embedder_meta, save_folder
    from training.intent import IntentTrainOptions

    options = IntentTrainOptions(c_grid=(10.0,), folds=3, ngrams=("chars",), neighbour_weights=(0.0,))
    model = train_intent(labelled_examples(), fake_embedder(), options).model
    [block] = model.ngrams
    tensors = {k.replace("ngrams.chars.", "lexical."): v for k, v in model.tensors().items()}
    meta = {k: v for k, v in model.meta().items() if k not in ("ngrams", "neighbours")}
    meta |= {"lexical": {"unseen_idf": block.features.unseen_idf}, "embedder": embedder_meta(fake_embedder())}
    save_folder(tmp_path / "old", tensors, meta)
    loaded = IntentModel.load(tmp_path / "old", fake_embedder())
    texts = list(NEW_TEXTS)
    x = embed(texts)
    assert [b.features.kind for b in loaded.ngrams] == ["chars"]
    np.testing.assert_allclose(loaded.probabilities(x, texts), model.probabilities(x, texts), rtol=1e-6)


@pytest.mark.parametrize(
    "options",
    [{"c_grid": (0.0,)}, {"c_grid": ()}, {"neighbour_weights": (-0.5,)}, {"max_neighbours": 10**7}],
)
def test_training_options_out_of_range_are_refused(options: dict[str, object]) -> None:
    from pydantic import ValidationError

    from training.intent import IntentTrainOptions

    with pytest.raises(ValidationError):
        IntentTrainOptions.model_validate(options)


def test_a_model_for_another_embedder_is_refused(saved: Path) -> None:
    with pytest.raises(ModelFormatError, match="was trained on embeddings of hashing-fake-384"):
        IntentModel.load(saved, HashingEmbedder(dim=256))


def test_a_tampered_intent_model_is_refused(trained: TrainedIntent, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_intent(folder, trained, fake_embedder(), SMALL_OPTIONS, {})
    weights = folder / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelCacheError, match="sha256"):
        IntentModel.load(folder, fake_embedder())


def test_an_emotion_folder_is_not_an_intent_model(tmp_path: Path) -> None:
    from suggest.analysis.heads import embedder_meta, save_folder

    folder = tmp_path / "emotion"
    save_folder(
        folder, {"x": np.zeros(2, dtype=np.float32)}, {"kind": "emotion", **embedder_meta(fake_embedder())}
    )
    with pytest.raises(ModelFormatError, match="expected 'intent'"):
        IntentModel.load(folder, fake_embedder())


# --- reading labelled files ---------------------------------------------------------------------


def test_read_labelled_csv_reports_bad_rows_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text(
        "body,label\n"
        "please refund my order,refund\n"
        ",refund\n"
        "reset my password,password,extra\n"
        "the weather is nice,none\n"
        "my cat likes fish,\n"
        "where is my parcel,delivery\n",
        encoding="utf-8",
    )
    data = read_labelled(path, text_col="body", label_col="label")
    assert data.examples == [
        Example("please refund my order", "refund"),
        Example("the weather is nice", None),
        Example("my cat likes fish", None),
        Example("where is my parcel", "delivery"),
    ]
    problems = {p.location: p.message for p in data.problems}
    assert problems == {
        "small.csv:3": "column 'body' is missing or empty",
        "small.csv:4": "has 3 cells, the header has 2",
    }
    assert data.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_labelled_jsonl_reports_bad_rows_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "small.jsonl"
    rows = [
        json.dumps({"text": "please refund my order", "intent": "refund", "lang": "en"}),
        "{not json",
        json.dumps(["a", "list"]),
        "",
        json.dumps({"text": "   ", "intent": "refund"}),
        json.dumps({"text": "waar is mijn pakket", "intent": "OOS", "lang": "nl"}),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = read_labelled(path, text_col="text", label_col="intent", language_col="lang")
    assert data.examples == [
        Example("please refund my order", "refund", "en"),
        Example("waar is mijn pakket", None, "nl"),
    ]
    assert [p.location for p in data.problems] == ["small.jsonl:2", "small.jsonl:3", "small.jsonl:5"]
    assert data.problems[0].message.startswith("not valid JSON")
    assert data.problems[1].message == "expected a JSON object, got list"


def test_a_missing_label_column_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text("body,intent\nplease refund my order,refund\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_labelled(path, text_col="body", label_col="label")
    message = str(err.value)
    assert "small.csv has no column 'label'" in message
    assert "['body', 'intent']" in message
    assert "--label-col" in message


def test_a_missing_text_column_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "small.jsonl"
    path.write_text(json.dumps({"message": "hello", "label": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"has no column 'text'; its columns are \['label', 'message'\]"):
        read_labelled(path, text_col="text", label_col="label")


@pytest.mark.parametrize(
    ("name", "message"), [("small.txt", "unsupported file type '.txt'"), ("nowhere.csv", "does not exist")]
)
def test_unreadable_files_are_input_errors(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_labelled(path, text_col="text", label_col="label")
