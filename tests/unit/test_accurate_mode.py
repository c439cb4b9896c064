"""The accurate intent mode on a tiny BERT written by the tests: recipe choices, batches, the
contrastive loss, fine-tuning, the int8 export, a committed version that carries its encoder
(checksummed), serving through the pipeline, and a job's progress through the tuning stage.
The real model's run is in tests/slow/test_accurate_real.py."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from suggest.analysis.intent import ENCODER_DIR, IntentModel
from suggest.analysis.types import Ticket
from suggest.errors import InputError, ModelCacheError
from suggest.models.manifest import read_manifest
from suggest.models.onnx_export import INT8_FILE
from suggest.pipeline import Pipeline
from tests.analysis_helpers import SMALL_OPTIONS, fake_embedder, labelled_examples
from tests.tiny_encoder import write_tiny_encoder
from training.data import Example
from training.finetune import AccurateOptions, tune_encoder
from training.finetune.batches import Tokens, balanced, by_length, epochs
from training.finetune.loop import schedule, supcon_loss
from training.finetune.options import resolve
from training.registry import ModelRegistry
from training.run import TrainOptions, run_training

QUICK = AccurateOptions(body_lr=1e-3, epochs=20, bf16=False)
"""A learning rate a random 2-layer model needs; the real model's is 6e-5."""
OPTIONS = TrainOptions(mode="accurate", evaluation_share=0.25, intent=SMALL_OPTIONS, accurate=QUICK)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_encoder(tmp_path_factory.mktemp("tiny"), [e.text for e in labelled_examples()])


def separation(vectors: np.ndarray, labels: list[int]) -> float:
    """Mean cosine to same-label texts minus mean cosine to other-label texts."""
    y = np.array(labels)
    sims = vectors @ vectors.T
    same = y[:, None] == y[None, :]
    off = ~np.eye(len(y), dtype=bool)
    return float(sims[same & off].mean() - sims[~same].mean())


# --- recipe and batches --------------------------------------------------------------------------


def test_the_recipe_follows_the_data_unless_an_option_is_given() -> None:
    full = resolve(AccurateOptions(), [130] * 77, bf16_available=True)
    few = resolve(AccurateOptions(), [10] * 77, bf16_available=True)
    assert (full.few_shot, full.epochs, full.batch_size, full.head_c, full.supcon_weight) == (
        False, 4, 32, 100.0, 0.0,
    )  # fmt: skip
    assert (few.few_shot, few.epochs, few.batch_size, few.head_c, few.supcon_weight) == (
        True, 6, 16, 10.0, 1.0,
    )  # fmt: skip
    chosen = resolve(AccurateOptions(epochs=2, supcon_weight=0.0, bf16=False), [10] * 5, bf16_available=True)
    assert (chosen.epochs, chosen.supcon_weight, chosen.bf16, chosen.batch_size) == (2, 0.0, False, 16)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="epochs"):
        AccurateOptions(epochs=0)
    with pytest.raises(ValueError, match="mode"):
        TrainOptions.model_validate({"mode": "slow"})


def test_balanced_batches_pair_each_label_and_never_repeat_one_in_a_batch() -> None:
    labels = [0] * 5 + [1] * 4 + [2] * 6 + [3] * 3 + [4] * 2
    batches = balanced(labels, 6, np.random.default_rng(0))
    assert {i for batch in batches for i in batch} == set(range(len(labels)))  # nobody left out
    for batch in batches:
        counts = Counter(labels[i] for i in batch)
        assert set(counts.values()) == {2} and len(counts) <= 3  # pairs, three labels at most


def test_length_batches_cover_every_text_once_and_a_seed_repeats_them() -> None:
    tokens = Tokens([[1] * n for n in (3, 9, 4, 8, 5, 7, 2, 6)], pad_id=0)
    batches = by_length(tokens, 3, np.random.default_rng(1))
    assert sorted(i for batch in batches for i in batch) == list(range(8))
    widths = [max(len(tokens.ids[i]) for i in b) - min(len(tokens.ids[i]) for i in b) for b in batches]
    assert max(widths) <= 4  # neighbours in length (jitter is below 3 tokens)
    first = next(epochs(tokens, [0] * 8, 3, False, seed=5))
    assert first == next(epochs(tokens, [0] * 8, 3, False, seed=5))
    ids, mask = tokens.padded([0, 1])
    assert ids.shape == (2, 9) and mask.sum() == 12 and ids[0, 3:].tolist() == [0] * 6


def test_the_contrastive_loss_is_lower_when_labels_cluster() -> None:
    import torch

    y = torch.tensor([0, 0, 1, 1])
    apart = torch.nn.functional.normalize(
        torch.tensor([[1.0, 0.1], [1.0, -0.1], [-1.0, 0.1], [-1.0, -0.1]]), dim=1
    )
    mixed = apart[[0, 2, 1, 3]]
    assert float(supcon_loss(apart, y, 0.1)) < float(supcon_loss(mixed, y, 0.1)) - 1.0
    assert float(supcon_loss(apart, torch.tensor([0, 1, 2, 3]), 0.1)) == 0.0  # no positives: nothing to pull


def test_the_learning_rate_warms_up_then_decays_to_zero() -> None:
    factors = [schedule(step, 100, 0.1) for step in range(100)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert factors[10:] == sorted(factors[10:], reverse=True) and factors[-1] == pytest.approx(
        1 / 90
    )  # (100 - 99) / (100 - 10)


# --- tuning and serving --------------------------------------------------------------------------


def test_tuning_pulls_each_intent_together_and_the_int8_graph_serves_it(tiny: Path, tmp_path: Path) -> None:
    examples = [e for e in labelled_examples() if e.label]
    names = sorted({e.label or "" for e in examples})
    y = [names.index(e.label or "") for e in examples]
    texts = [e.text for e in examples]
    steps: list[tuple[int, int]] = []
    tuned = tune_encoder(
        tiny, texts, y, len(names), QUICK, seed=0, work=tmp_path, progress=lambda d, t: steps.append((d, t))
    )
    from suggest.embed.onnx_embedder import OnnxEmbedder

    before = OnnxEmbedder(tuned.folder / INT8_FILE, tiny)  # the untuned tiny model's tokenizer, tuned graph
    assert tuned.report["recipe"]["few_shot"] is True and steps[-1] == (tuned.report["steps"],) * 2
    assert separation(tuned.embedder.embed(texts), y) > 2 * separation(_untuned(tiny, texts), y)
    assert before.embed(texts).shape == tuned.embedder.embed(texts).shape == (len(texts), 32)
    assert tuned.embedder.name.startswith(f"{tiny.name}+tuned-")
    assert 0.9 <= tuned.report["int8_agreement"] <= 1.0 + 1e-6  # the served graph computes the tuned model
    assert sorted(p.name for p in tuned.folder.iterdir()) == sorted(
        [
            INT8_FILE,
            "tokenizer.json",
            "config.json",
            "config_sentence_transformers.json",
            "sentence_bert_config.json",
        ]
    )
    assert not (tmp_path / "tuned").exists()  # the float32 weights are not kept


def _untuned(folder: Path, texts: list[str]) -> np.ndarray:
    from training.finetune.batches import tokenize
    from training.finetune.loop import embed_tokens, load_body

    return embed_tokens(load_body(folder), tokenize(folder, texts, 64, 0), bf16=False)


@pytest.fixture(scope="module")
def version(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelRegistry, Path]:
    registry = ModelRegistry(tmp_path_factory.mktemp("data"), "acme")
    result = run_training(
        registry, labelled_examples(), fake_embedder(), OPTIONS, {"test": True}, base_model=tiny
    )
    assert result.report["tuning"]["steps"] > 0
    return registry, registry.versions_dir / result.version.version


def test_a_version_carries_its_encoder_under_its_manifest(version: tuple[ModelRegistry, Path]) -> None:
    registry, folder = version
    files = read_manifest(folder)["files"]
    assert {f"{ENCODER_DIR}/{INT8_FILE}", f"{ENCODER_DIR}/tokenizer.json"} <= set(files)
    assert read_manifest(folder)["embedder"]["family"].startswith("tiny")  # the head reads the tuned space
    assert [p.name for p in registry.root.iterdir() if p.name.startswith(".tune-")] == []  # scratch removed


def test_the_pipeline_reads_intents_through_the_tenants_encoder(version: tuple[ModelRegistry, Path]) -> None:
    _, folder = version
    model = IntentModel.load(folder, fake_embedder())
    assert model.encoder is not None and model.embedder(fake_embedder()) is model.encoder
    pipeline = Pipeline(fake_embedder(), model, None)
    texts = [e.text for e in labelled_examples() if e.label]
    gold = [e.label for e in labelled_examples() if e.label]
    served = [pipeline.analyze(Ticket(text=t)).intent for t in texts]
    direct = model.predict(model.encoder.embed(texts, "query"), texts)
    assert [s.top[0].label for s in served if s] == [d.top[0].label for d in direct]
    assert np.mean([d.top[0].label == g for d, g in zip(direct, gold, strict=True)]) >= 0.75


def test_a_changed_encoder_file_is_refused(version: tuple[ModelRegistry, Path], tmp_path: Path) -> None:
    copy = tmp_path / "v"
    shutil.copytree(version[1], copy)
    graph = copy / ENCODER_DIR / INT8_FILE
    graph.write_bytes(graph.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelCacheError, match=r"sha256|bytes"):
        IntentModel.load(copy, fake_embedder())


def test_the_accurate_mode_needs_the_services_model(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, "acme")
    with pytest.raises(InputError, match="fine-tunes the service's own model"):
        run_training(registry, labelled_examples(), fake_embedder(), OPTIONS, {})
    with pytest.raises(InputError, match="sentence-transformers folder"):
        run_training(registry, labelled_examples(), fake_embedder(), OPTIONS, {}, base_model=tmp_path)
    assert registry.versions() == []


def test_a_run_stopped_while_tuning_leaves_no_version_and_no_scratch(tiny: Path, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, "acme")

    def stop(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_training(
            registry, labelled_examples(), fake_embedder(), OPTIONS, {}, base_model=tiny, tuning=stop
        )
    assert registry.versions() == []
    assert [p.name for p in registry.root.iterdir() if p.name.startswith(".")] == []


def test_a_job_in_the_accurate_mode_reports_its_tuning_steps(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.db.engine import make_engine
    from kb.store import Store
    from tests.unit.test_training_jobs import add_history, new_job, read_job
    from training.jobs import Hooks, JobContext, execute_job

    monkeypatch.setattr("training.jobs.runner.WRITE_INTERVAL_S", 0.0)
    store = Store(make_engine(f"sqlite:///{tmp_path / 'replykit.db'}"))
    add_history(store)
    job_id = new_job(store, options=OPTIONS)
    seen: list[tuple[str, float]] = []

    class Watch(Hooks):
        def stage(self, name: str, message: str) -> None:
            seen.append((name, read_job(store, job_id)["progress"]))

        def tuned(self, done: int, total: int) -> None:
            seen.append(("tuned", read_job(store, job_id)["progress"]))

    ctx = JobContext(store, tmp_path, fake_embedder, base_model=lambda: tiny)
    run = execute_job(ctx, job_id, also=Watch())
    assert run is not None and run.run.report["tuning"]["steps"] > 0
    job = read_job(store, job_id)
    assert job["status"] == "succeeded" and job["progress"] == 1.0
    stages = [name for name, _ in seen if name != "tuned"]
    assert stages.index("tuning") < stages.index("fitting") < stages.index("committing")
    progress = [p for _, p in seen]
    assert progress == sorted(progress)  # never moves backwards across the stages
    assert any(0.05 < p < 0.7 for name, p in seen if name == "tuned")  # the tuning steps move the bar


def test_a_set_the_head_cannot_fit_is_refused_before_any_tuning(tiny: Path, tmp_path: Path) -> None:
    steps: list[int] = []
    examples = [*labelled_examples(), Example("a label seen once", "rare")]
    with pytest.raises(InputError, match="fewer than 2 examples: rare"):
        run_training(
            ModelRegistry(tmp_path, "acme"),
            examples,
            fake_embedder(),
            OPTIONS,
            {},
            held_out=labelled_examples(),
            base_model=tiny,
            tuning=lambda done, total: steps.append(done),
        )
    assert steps == []


def test_pair_batches_get_every_step_of_their_epochs(tiny: Path, tmp_path: Path) -> None:
    # One label with 12 texts and three with 2: a batch of 16 holds each label once, so an epoch
    # needs 6 batches (the big label's 6 pairs), not ceil(18 / 16) = 2.
    texts = [e.text for e in labelled_examples() if e.label][:18]
    labels = [0] * 12 + [1, 1, 2, 2, 3, 3]
    tuned = tune_encoder(
        tiny,
        texts,
        labels,
        4,
        AccurateOptions(epochs=2, batch_size=16, supcon_weight=1.0, bf16=False),
        seed=0,
        work=tmp_path,
    )
    assert tuned.report["steps"] == 12 and tuned.report["epochs"] == 2.0
