"""Per-tenant sentiment/emotion and escalation heads retrained from labelled history columns: the
readers, the fits and their reports, the registry kinds, serving and hot reload."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from kb.db.engine import make_engine
from kb.store import Store
from kb.store.history import TicketRecord, start_import, upsert_tickets
from kb.store.tenants import ensure_tenant
from suggest.analysis.emotion import EmotionModel
from suggest.analysis.escalation_head import EscalationHead
from suggest.analysis.types import Ticket
from suggest.config import get_settings
from suggest.embed.fake import HashingEmbedder
from suggest.errors import InputError, ModelFormatError
from tests.analysis_helpers import SMALL_OPTIONS, fake_embedder, labelled_examples, support_emotion_model
from tests.cli_helpers import fake_backend  # noqa: F401
from tests.kb_helpers import api_client, bearer, tenant_keys
from training.history.ingest import HeadExample, escalation_examples, sentiment_examples
from training.jobs import train_tenant
from training.jobs.heads import HeadOutcome
from training.jobs.work import STAGES, Hooks, TenantRun, history_loader
from training.registry import ModelRegistry, gate_for
from training.run import HeadsOptions, TrainOptions
from training.tenant_emotion import emotion_check, fit_emotion
from training.tenant_escalation import tune_threshold
from training.tenant_models import TenantPipelines, emotion_model_for, load_tenant_pipeline

TENANT = "acme"
OPTIONS = TrainOptions(intent=SMALL_OPTIONS)
FILLER = ("about my account", "regarding the order", "for the invoice", "with the app", "on the website")
WORDS = {"negative": "zanzibar quokka", "neutral": "kettle umbrella", "positive": "xylophone marmot"}
"""Made-up words the shipped heads know nothing about: the tenant's labels decide their sentiment."""
PATTERN = "the grid meter flux capacitor sealing"
"""What the tickets this team escalated share."""


def sentiment_rows(n: int = 24) -> list[dict[str, str]]:
    return [
        {"text": f"{WORDS[label]} {FILLER[i % len(FILLER)]} number {i}", "sentiment": label}
        for label in WORDS
        for i in range(n)
    ]


def escalation_rows(n: int = 24) -> list[dict[str, str]]:
    yes = [
        {"text": f"{PATTERN} {FILLER[i % 5]} case {i}", "escalated": ("yes", "TRUE", "1")[i % 3]}
        for i in range(n)
    ]
    no = [
        {"text": f"a question {FILLER[i % 5]} please ticket {i}", "escalated": ("no", "false", "N")[i % 3]}
        for i in range(n)
    ]
    return yes + no


def add_history(store: Store, rows: Sequence[dict[str, str]], *, with_intent: bool = True) -> None:
    """The rows as an import stores them, plus the small intent set the intent model trains on."""
    records = [
        TicketRecord(
            "jsonl",
            f"h{i}",
            None,
            r["text"],
            "en",
            [],
            [],
            {k: v for k, v in r.items() if k != "text"},
            None,
            None,
            None,
            None,
        )
        for i, r in enumerate(rows)
    ]
    if with_intent:
        records += [
            TicketRecord(
                "jsonl",
                f"i{i}",
                None,
                e.text,
                "en",
                [],
                [],
                {"intent": e.label or "none"},
                None,
                None,
                None,
                None,
            )
            for i, e in enumerate(labelled_examples())
        ]
    with store.session() as session:
        ensure_tenant(session, TENANT)
        record = start_import(session, TENANT, file_name="t.jsonl", source="jsonl", sha256="0" * 64)
        upsert_tickets(session, TENANT, records, import_id=record.id)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(make_engine(f"sqlite:///{tmp_path / 'replykit.db'}"))


def train(
    store: Store,
    data_dir: Path,
    *,
    promote: bool = True,
    options: TrainOptions = OPTIONS,
    hooks: Hooks | None = None,
    embedder: HashingEmbedder | None = None,
) -> TenantRun:
    return train_tenant(
        data_dir,
        TENANT,
        embedder or fake_embedder(),
        options,
        history_loader(store, TENANT, "intent"),
        promote=promote,
        hooks=hooks,
    )


def head(run: TenantRun, kind: str) -> HeadOutcome:
    return next(h for h in run.heads if h.kind == kind)


def test_readers_take_the_labels_given_and_count_unreadable_ones(store: Store) -> None:
    rows = [
        {"text": "a", "sentiment": " Negative ", "emotions": "anger; Frustration"},
        {"text": "b", "sentiment": "meh"},
        {"text": "c", "emotions": ""},
        {"text": "d", "sentiment": "positive", "emotions": "joy, delight"},
        {"text": "e", "escalated": "Y"},
        {"text": "f", "escalated": "maybe"},
        {"text": "g", "escalated": "0"},
    ]
    add_history(store, rows, with_intent=False)
    with store.session() as session:
        s = sentiment_examples(session, TENANT)
        e = escalation_examples(session, TENANT)
    got = {x.text: (x.label, x.emotions) for x in s.examples}
    assert got == {
        "a": ("negative", frozenset({"anger", "frustration"})),
        "c": (None, frozenset()),
        "d": ("positive", None),
    }
    assert s.skipped == 2  # "meh" and "delight"
    assert {x.text: x.label for x in e.examples} == {"e": "escalated", "g": "not_escalated"}
    assert e.skipped == 1


def test_a_tenant_with_sentiment_labels_gets_its_own_heads_and_the_pipeline_uses_them(
    store: Store, tmp_path: Path
) -> None:
    add_history(store, sentiment_rows())
    run = train(store, tmp_path)
    emotion = head(run, "emotion")
    assert emotion.skipped is None and emotion.promoted, emotion.line()
    registry = ModelRegistry(tmp_path, TENANT, "emotion")
    folder = registry.current_folder()
    assert folder is not None and folder.name == emotion.version
    report = json.loads((folder / "report" / "report.json").read_text())
    held = [json.loads(line) for line in (folder / "holdout.jsonl").read_text().splitlines()]
    assert report["evaluation"]["examples"] == len(held) == report["training"]["shipped"]["examples"]
    assert report["evaluation"]["sentiment_macro_f1"] > report["shipped"]["sentiment_macro_f1"]
    assert report["training"]["emotions_head"] == "shipped (no emotion labels)"
    # intent's registry is untouched by the emotion kind
    assert ModelRegistry(tmp_path, TENANT).active_version() == run.run.version.version

    pipeline = load_tenant_pipeline(
        tmp_path, TENANT, fake_embedder(), emotion_fallback=lambda _e: support_emotion_model()
    )
    shipped = support_emotion_model()
    for label, words in WORDS.items():
        text = f"{words} {FILLER[0]} new one"
        analysis = pipeline.analyze(Ticket(text=text, language="en"))
        assert analysis.sentiment is not None and analysis.sentiment.label == label
        assert analysis.model["emotion"] == emotion.version
    said = [
        shipped.predict(fake_embedder().embed([f"{w} {FILLER[0]} new one"]), ["en"])[0].sentiment.label
        for w in WORDS.values()
    ]
    assert said != list(WORDS)  # the shipped heads would not have said the tenant's labels


def test_too_few_labels_skip_the_head_with_a_reason_and_train_the_intent_model(
    store: Store, tmp_path: Path
) -> None:
    add_history(store, sentiment_rows(5) + escalation_rows(5))
    run = train(store, tmp_path)
    emotion, escalation = head(run, "emotion"), head(run, "escalation")
    assert (
        emotion.skipped is not None and "at least 20" in emotion.skipped and "negative 5" in emotion.skipped
    )
    assert escalation.skipped is not None and "escalated 5" in escalation.skipped
    assert ModelRegistry(tmp_path, TENANT, "emotion").versions() == []
    assert ModelRegistry(tmp_path, TENANT).active_version() == run.run.version.version
    summary = run.summary(True)["heads"]
    assert summary["emotion"]["skipped"] == emotion.skipped and summary["escalation"]["version"] is None


def test_a_learned_escalation_head_escalates_tickets_like_the_teams_and_respects_the_floor(
    store: Store, tmp_path: Path
) -> None:
    add_history(store, escalation_rows())
    run = train(store, tmp_path)
    escalation = head(run, "escalation")
    assert escalation.promoted, escalation.line()
    assert escalation.evaluation["precision"] >= 0.8 and escalation.evaluation["f1"] > 0
    assert head(run, "emotion").skipped is not None
    pipeline = load_tenant_pipeline(
        tmp_path, TENANT, fake_embedder(), emotion_fallback=lambda _e: support_emotion_model()
    )
    alike = pipeline.analyze(Ticket(text=f"{PATTERN} again today", language="en")).escalation
    reasons = {r.code: r.evidence for r in alike.reasons}
    assert "learned_pattern" in reasons and reasons["learned_pattern"].startswith(
        "reads like tickets your team escalated (p="
    )
    other = pipeline.analyze(Ticket(text="a question about my account please", language="en")).escalation
    assert "learned_pattern" not in {r.code for r in other.reasons}


def test_the_threshold_is_the_best_f1_at_the_precision_floor() -> None:
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=np.float32)
    p = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    assert tune_threshold(y, p, 0.8) == pytest.approx(0.6)  # 4/5 precise, all found
    assert tune_threshold(y, p, 0.9) == pytest.approx(0.8)  # only the top three are precise enough


def test_promoting_an_escalation_version_is_picked_up_on_the_next_call(store: Store, tmp_path: Path) -> None:
    add_history(store, escalation_rows())
    run = train(store, tmp_path, promote=False)
    pipelines = TenantPipelines(
        tmp_path, fake_embedder(), emotion_fallback=lambda _e: support_emotion_model()
    )
    assert pipelines(TENANT).escalation is None
    version = head(run, "escalation").version
    assert version is not None
    registry = ModelRegistry(tmp_path, TENANT, "escalation")
    result = registry.promote_gated(version, gate_for("escalation", fake_embedder()))
    assert (
        result.current_f1 == 0.0 and result.candidate_f1 is not None and result.candidate_f1 > 0
    )  # vs no head
    assert ModelRegistry(tmp_path, TENANT).active_version() is None  # intent's CURRENT untouched
    served = pipelines(TENANT)
    assert served.escalation is not None and served.versions()["escalation"] == version
    (info,) = registry.versions()
    assert info.metrics["f1"] == result.candidate_f1 and "macro_f1" not in info.metrics  # its own figure

    assert registry.deactivate(actor="ops") == version
    assert registry.active_version() is None and pipelines(TENANT).escalation is None
    last = json.loads((registry.root / "history.jsonl").read_text().splitlines()[-1])
    assert last["action"] == "deactivate" and last["from"] == version and last["actor"] == "ops"
    with pytest.raises(InputError, match="nothing to deactivate"):
        registry.deactivate()
    with pytest.raises(InputError, match="intent model cannot be deactivated"):
        ModelRegistry(tmp_path, TENANT).deactivate()


@pytest.mark.usefixtures("fake_backend")
def test_cli_lists_and_promotes_an_emotion_version_through_the_gate_against_the_shipped_heads(
    store: Store,
) -> None:
    data_dir = get_settings().data_dir
    add_history(store, sentiment_rows())
    version = head(train(store, data_dir, promote=False), "emotion").version
    assert version is not None
    runner = CliRunner()
    listed = runner.invoke(cli, ["models", "list", "--tenant", TENANT, "--kind", "emotion"])
    assert listed.exit_code == 0 and version in listed.output and "✓" not in listed.output
    promoted = runner.invoke(cli, ["models", "promote", version, "-t", TENANT, "--kind", "emotion"])
    assert promoted.exit_code == 0, promoted.output
    assert "gate passed: sentiment macro-F1" in " ".join(promoted.output.split())
    assert ModelRegistry(data_dir, TENANT, "emotion").active_version() == version
    assert ModelRegistry(data_dir, TENANT).active_version() is None  # intent's CURRENT untouched
    back = runner.invoke(cli, ["models", "rollback", "-t", TENANT, "--kind", "emotion"])
    assert (
        back.exit_code == 1
        and "no active" not in back.output
        and "nothing to roll back" in " ".join(back.output.split())
    )
    bad = runner.invoke(cli, ["models", "list", "-t", TENANT, "--kind", "sentiment"])
    assert bad.exit_code == 1 and "expected one of intent, emotion, escalation" in " ".join(
        bad.output.split()
    )


def test_api_routes_take_the_kind(store: Store, tmp_path: Path) -> None:
    add_history(store, escalation_rows())
    version = head(train(store, tmp_path, promote=False), "escalation").version
    with api_client(tmp_path) as client:
        admin = bearer(tenant_keys(client.app, TENANT)[TENANT]["admin"])  # type: ignore[arg-type]
        listed = client.get("/v1/models/escalation", headers=admin).json()
        assert listed["active"] is None and [v["version"] for v in listed["versions"]] == [version]
        assert listed["versions"][0]["metrics"]["precision"] >= 0.8
        assert client.get("/v1/models/intent", headers=admin).json()["versions"] != []
        assert client.get("/v1/models/sentiment", headers=admin).status_code == 422


EMOTION_OF = {"negative": {"anger", "frustration"}, "neutral": {"fear"}, "positive": {"joy"}}
"""Emotion labels that follow the made-up words; sadness on every third negative ticket."""


def emotion_rows(n: int = 24) -> list[dict[str, str]]:
    rows = sentiment_rows(n)
    for i, row in enumerate(rows):
        extra = {"sadness"} if row["sentiment"] == "negative" and i % 3 == 0 else set()
        row["emotions"] = ";".join(sorted(EMOTION_OF[row["sentiment"]] | extra))
    return rows


def examples_of(rows: Sequence[dict[str, str]], language: str = "en") -> list[HeadExample]:
    return [
        HeadExample(
            r["text"],
            r["sentiment"],
            language,
            frozenset(r["emotions"].split(";")) if "emotions" in r else None,
        )
        for r in rows
    ]


def test_with_the_shipped_emotions_head_the_shipped_language_means_stay() -> None:
    shipped = support_emotion_model()
    fitted = fit_emotion(examples_of(sentiment_rows()), fake_embedder(), OPTIONS, shipped)
    assert fitted.report["emotions_head"] == "shipped (no emotion labels)"
    assert fitted.model.emotions == shipped.emotions
    assert fitted.model.language_means.keys() == shipped.language_means.keys()
    for language, mean in shipped.language_means.items():
        assert np.array_equal(fitted.model.language_means[language], mean)  # anger & co. unchanged


def test_a_language_mean_needs_min_examples_tickets_to_replace_the_shipped_one() -> None:
    shipped = support_emotion_model()
    few = [
        HeadExample(f"{WORDS['neutral']} dutch ticket {i}", "neutral", "nl", frozenset({"fear"}))
        for i in range(5)
    ]
    fitted = fit_emotion([*examples_of(emotion_rows()), *few], fake_embedder(), OPTIONS, shipped)
    assert fitted.report["emotions_head"] == "tenant" and fitted.report["languages"] == ["en"]
    assert not np.array_equal(fitted.model.language_means["en"], shipped.language_means["en"])
    if "nl" in shipped.language_means:
        assert np.array_equal(fitted.model.language_means["nl"], shipped.language_means["nl"])
    else:
        assert "nl" not in fitted.model.language_means


def test_the_emotion_gate_refuses_a_head_whose_emotions_are_worse_on_labelled_tickets(
    store: Store, tmp_path: Path
) -> None:
    add_history(store, emotion_rows(), with_intent=True)
    learned = head(train(store, tmp_path, promote=False), "emotion")
    registry = ModelRegistry(tmp_path, TENANT, "emotion")
    assert learned.version is not None
    add_history(store, sentiment_rows(), with_intent=False)  # the same tickets, emotions unsaid now
    plain = head(train(store, tmp_path, promote=False), "emotion")
    assert plain.version is not None
    tenant, shipped = registry.versions_dir / learned.version, registry.versions_dir / plain.version
    check = emotion_check(fake_embedder(), lambda _e: support_emotion_model())
    holdout = tenant / "holdout.jsonl"
    refused = check(shipped, tenant, holdout, 0.01)
    assert refused is not None and refused.startswith("emotion macro-F1 ") and learned.version in refused
    assert check(tenant, shipped, holdout, 0.01) is None
    assert check(tenant, shipped, shipped / "holdout.jsonl", 0.01) is None  # no emotion labels: no check


def test_an_emotion_candidate_worse_than_the_shipped_heads_is_refused(store: Store, tmp_path: Path) -> None:
    shipped = support_emotion_model()
    texts = [f"{w} {FILLER[i % 5]} {i}" for i in range(40) for w in ("thank you", "broken again", "order")]
    said = shipped.predict(fake_embedder().embed(texts), ["en"] * len(texts))
    rows = [{"text": t, "sentiment": a.sentiment.label} for t, a in zip(texts, said, strict=True)]
    add_history(store, rows)  # labelled as the shipped heads read them: they score 1.0 on any split
    options = TrainOptions(intent=SMALL_OPTIONS, heads=HeadsOptions(min_examples=2, c=1e-6))
    emotion = head(train(store, tmp_path, options=options), "emotion")
    assert not emotion.promoted and emotion.refused is not None, emotion.line()
    assert "sentiment macro-F1" in emotion.refused and "vs the active shipped model 1.0000" in emotion.refused
    assert ModelRegistry(tmp_path, TENANT, "emotion").active_version() is None


def test_the_first_escalation_head_under_the_precision_floor_is_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a threshold that looked precise on the small tuning split but fires on every held-out ticket
    monkeypatch.setattr("training.tenant_escalation.tune_threshold", lambda *_: 1e-4)
    alike = [  # escalated or not, the tickets read the same: no head can tell them apart
        {"text": f"{PATTERN} {FILLER[i % 5]} number {i}", "escalated": ("yes", "no")[i % 2]}
        for i in range(48)
    ]
    add_history(store, alike)
    escalation = head(train(store, tmp_path), "escalation")
    assert not escalation.promoted and escalation.refused is not None, escalation.line()
    found = re.search(r"held-out precision ([0-9.]+) and F1 ([0-9.]+)", escalation.refused)
    assert found is not None and float(found[1]) < 0.8 and float(found[2]) > 0, escalation.refused
    assert "at least 0.80" in escalation.refused
    assert ModelRegistry(tmp_path, TENANT, "escalation").active_version() is None


def test_a_run_with_heads_embeds_each_text_once_and_its_progress_never_goes_back(
    store: Store, tmp_path: Path
) -> None:
    rows = [{**s, "escalated": ("yes" if s["sentiment"] == "negative" else "no")} for s in sentiment_rows()]
    add_history(store, rows)
    seen: list[str] = []
    stages: list[str] = []

    class Counting(HashingEmbedder):
        def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
            seen.extend(texts)
            return super().embed(texts, kind)  # type: ignore[arg-type]

    class Recording(Hooks):
        def stage(self, name: str, message: str) -> None:
            stages.append(name)

    run = train(store, tmp_path, promote=False, hooks=Recording(), embedder=Counting())
    assert all(h.version is not None for h in run.heads), [h.line() for h in run.heads]
    assert len(seen) == len(set(seen)) > len(rows)  # heads and intent tickets, each embedded once
    assert [STAGES[s] for s in stages] == sorted(STAGES[s] for s in stages), stages
    history = ModelRegistry(tmp_path, TENANT).root / "history.jsonl"
    assert not history.exists()  # nothing promoted, nothing recorded


def test_intent_history_names_only_intent_versions_after_a_run_with_heads(
    store: Store, tmp_path: Path
) -> None:
    add_history(store, sentiment_rows() + escalation_rows())
    run = train(store, tmp_path)
    assert all(h.promoted for h in run.heads), [h.line() for h in run.heads]
    intent = ModelRegistry(tmp_path, TENANT)
    named = [json.loads(line)["to"] for line in (intent.root / "history.jsonl").read_text().splitlines()]
    assert named == [run.run.version.version]
    assert {h.version for h in run.heads}.isdisjoint({v.version for v in intent.versions()} - set(named))


def test_a_head_made_for_another_embedder_family_is_refused_at_load(store: Store, tmp_path: Path) -> None:
    add_history(store, sentiment_rows() + escalation_rows())
    train(store, tmp_path)
    other = HashingEmbedder()
    other.name = "another-model-1.0 (onnx-int8)"
    for kind, load in (("emotion", EmotionModel.load), ("escalation", EscalationHead.load)):
        folder = ModelRegistry(tmp_path, TENANT, kind).current_folder()
        assert folder is not None
        with pytest.raises(ModelFormatError, match=r"another-model-1\.0"):
            load(folder, other)


def test_deactivating_the_emotion_heads_serves_the_shipped_ones_again(store: Store, tmp_path: Path) -> None:
    add_history(store, sentiment_rows())
    version = head(train(store, tmp_path), "emotion").version
    pipelines = TenantPipelines(
        tmp_path, fake_embedder(), emotion_fallback=lambda _e: support_emotion_model()
    )
    ticket = Ticket(text=f"{WORDS['negative']} {FILLER[0]} new one", language="en")
    assert pipelines(TENANT).analyze(ticket).model["emotion"] == version
    ModelRegistry(tmp_path, TENANT, "emotion").deactivate()
    shipped = emotion_model_for(fake_embedder(), lambda _e: support_emotion_model())
    assert pipelines(TENANT).analyze(ticket).model["emotion"] == shipped.version != version
    with pytest.raises(InputError, match="nothing to roll back"):
        ModelRegistry(tmp_path, TENANT, "emotion").rollback()


@pytest.mark.usefixtures("fake_backend")
def test_cli_and_api_deactivate_a_head(store: Store) -> None:
    data_dir = get_settings().data_dir
    add_history(store, escalation_rows())
    version = head(train(store, data_dir), "escalation").version
    runner = CliRunner()
    off = runner.invoke(cli, ["models", "deactivate", "-t", TENANT, "--kind", "escalation"])
    assert off.exit_code == 0 and f"(was {version})" in off.output, off.output
    assert ModelRegistry(data_dir, TENANT, "escalation").active_version() is None
    intent = runner.invoke(cli, ["models", "deactivate", "-t", TENANT, "--kind", "intent"])
    assert intent.exit_code == 1 and "cannot be deactivated" in " ".join(intent.output.split())
    assert version is not None
    ModelRegistry(data_dir, TENANT, "escalation").promote_gated(
        version, gate_for("escalation", fake_embedder())
    )
    with api_client(data_dir) as client:
        admin = bearer(tenant_keys(client.app, TENANT)[TENANT]["admin"])  # type: ignore[arg-type]
        done = client.post("/v1/models/escalation/deactivate", headers=admin)
        assert done.status_code == 200 and done.json() == {"previous": version, "active": None}
        intent_off = client.post("/v1/models/intent/deactivate", headers=admin)
        assert intent_off.status_code == 422 and "cannot be deactivated" in intent_off.text
        again = client.post("/v1/models/escalation/deactivate", headers=admin)
        assert again.status_code == 422 and "nothing to deactivate" in again.text
