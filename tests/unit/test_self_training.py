"""Self-training on unlabelled tickets: which tickets join (confident, never out of scope), what
the model learns from them, that the held-out split stays human-labelled, and that a tenant run
takes the unlabelled tickets from its history. The demo's cross-lingual figures are in
eval/bench_train.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.db.engine import make_engine
from kb.store import Store
from kb.store.history import TicketRecord, start_import, upsert_tickets
from tests.analysis_helpers import SMALL_OPTIONS, fake_embedder, labelled_examples
from tests.unit.test_training_jobs import add_history
from training.intent import train_intent
from training.jobs import history_loader, train_tenant
from training.registry import ModelRegistry
from training.registry_files import HOLDOUT
from training.run import TrainOptions, run_training
from training.self_training import SelfTrainingOptions, self_train

# Unlabelled tickets in a "dialect" the labelled set never uses: each mixes one word the model knows
# with new words ("erstattung", "paket") that only these tickets carry.
UNLABELLED = [
    *(f"refund erstattung {n}" for n in ("bitte", "jetzt", "heute", "sofort", "schnell", "danke")),
    *(f"parcel paket {n}" for n in ("bitte", "jetzt", "heute", "sofort", "schnell", "danke")),
    "the weather is nice today and sunny",
]


def vectors(texts: list[str]) -> np.ndarray:
    return fake_embedder().embed(texts, "query")


def test_confident_tickets_join_and_teach_the_model_their_new_words() -> None:
    train = labelled_examples()
    x_train = vectors([e.text for e in train])
    base = train_intent(train, fake_embedder(), SMALL_OPTIONS, vectors=x_train)
    options = SelfTrainingOptions(rounds=2, min_probability=0.3)
    result = self_train(
        base,
        train,
        x_train,
        UNLABELLED,
        vectors(UNLABELLED),
        embedder=fake_embedder(),
        intent_options=SMALL_OPTIONS,
        options=options,
    )
    report = result.report["self_training"]
    assert report["unlabelled"] == len(UNLABELLED) and len(report["rounds"]) == 2
    joined = report["rounds"][-1]["per_intent"]
    assert set(joined) <= {"refund", "delivery"} and "out_of_scope" not in joined  # the weather stays out
    probes = ["erstattung", "paket"]
    before = base.model.probabilities(vectors(probes), probes)
    after = result.model.probabilities(vectors(probes), probes)
    for row, label in enumerate(("refund", "delivery")):
        column = result.model.labels.index(label)
        assert after[row, column] > before[row, base.model.labels.index(label)] + 0.1


def test_nothing_joins_below_the_threshold_and_the_model_is_unchanged() -> None:
    train = labelled_examples()
    x_train = vectors([e.text for e in train])
    base = train_intent(train, fake_embedder(), SMALL_OPTIONS, vectors=x_train)
    texts = ["zzz qqq", "xxyy"]
    result = self_train(
        base,
        train,
        x_train,
        texts,
        vectors(texts),
        embedder=fake_embedder(),
        intent_options=SMALL_OPTIONS,
        options=SelfTrainingOptions(rounds=2, min_probability=0.99),
    )
    assert result.model is base.model and result.report["self_training"]["rounds"] == []


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="min_probability"):
        SelfTrainingOptions(rounds=1, min_probability=1.0)
    with pytest.raises(ValueError, match="rounds"):
        TrainOptions.model_validate({"self_training": {"rounds": 9}})


def test_a_run_holds_out_human_labels_only_and_redacts_the_unlabelled(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, "acme")
    options = TrainOptions(
        evaluation_share=0.25,
        intent=SMALL_OPTIONS,
        self_training=SelfTrainingOptions(rounds=1, min_probability=0.3),
    )
    pool = [
        *UNLABELLED,
        "refund erstattung to ann@example.com please",
        *(e.text for e in labelled_examples()),
    ]
    result = run_training(registry, labelled_examples(), fake_embedder(), options, {}, unlabelled=pool)
    report = result.report["self_training"]
    assert report["unlabelled"] == len(UNLABELLED) + 1  # texts that also carry a label are left out
    assert report["rounds"][0]["added"] > 0
    folder = registry.versions_dir / result.version.version
    held = [json.loads(line)["text"] for line in (folder / HOLDOUT).read_text().splitlines()]
    assert len(held) == result.evaluation.examples  # the held-out file holds the human-labelled split only
    assert result.evaluation.examples < len(labelled_examples())


def test_a_tenant_run_self_trains_on_the_history_tickets_without_a_label(tmp_path: Path) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'replykit.db'}"))
    add_history(store)
    rows = [
        TicketRecord("jsonl", f"u{i}", None, text, "de", [], [], {}, None, None, None, None)
        for i, text in enumerate(UNLABELLED)
    ]
    with store.session() as session:
        record = start_import(session, "acme", file_name="u.jsonl", source="jsonl", sha256="1" * 64)
        upsert_tickets(session, "acme", rows, import_id=record.id)
    options = TrainOptions(
        intent=SMALL_OPTIONS, self_training=SelfTrainingOptions(rounds=1, min_probability=0.3)
    )
    run = train_tenant(tmp_path, "acme", fake_embedder(), options, history_loader(store, "acme", "intent"))
    assert run.run.report["self_training"]["unlabelled"] == len(UNLABELLED)
    assert run.run.report["examples"] > len([e for e in labelled_examples() if e.label])  # pseudo-labels in


def test_self_training_is_off_by_default(tmp_path: Path) -> None:
    result = run_training(
        ModelRegistry(tmp_path, "acme"),
        labelled_examples(),
        fake_embedder(),
        TrainOptions(evaluation_share=0.25, intent=SMALL_OPTIONS),
        {},
        unlabelled=UNLABELLED,
    )
    assert "self_training" not in result.report
