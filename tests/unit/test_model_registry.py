"""The intent model registry: staged runs become sealed versions, promotion is gated on held-out
macro-F1, rollback follows the history, the old layout is adopted; and the CLI and API on top."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from kb.db.schema import ApiKey
from suggest.analysis.emotion import EmotionModel
from suggest.config import get_settings
from suggest.errors import ConflictError, InputError, ModelCacheError, NotFoundError
from suggest.models.manifest import verify_manifest
from suggest.protocols import Embedder
from tests.analysis_helpers import (
    SMALL_OPTIONS,
    fake_embedder,
    labelled_examples,
    support_emotion_model,
    trained_intent,
)
from tests.cli_helpers import fake_backend  # noqa: F401
from tests.kb_helpers import api_client, bearer, tenant_keys
from training.data import Example
from training.intent import TrainedIntent, save_intent, train_intent
from training.registry import Evaluate, GateRefused, ModelRegistry, VersionInfo, registry_evaluator
from training.registry_files import read_history
from training.tenant_models import TenantPipelines, intent_dir, load_tenant_pipeline

TENANT = "acme"
VERSION = re.compile(r"^v\d{4}-\d{8}T\d{6}Z$")
ROTATE = {"refund": "password", "password": "delivery", "delivery": "invoice", "invoice": "refund"}


@lru_cache(maxsize=1)
def confused_intent() -> TrainedIntent:
    """A model trained on wrong labels: on the true held-out labels it scores near zero."""
    wrong = [Example(e.text, ROTATE[e.label] if e.label else None) for e in labelled_examples()]
    return train_intent(wrong, fake_embedder(), SMALL_OPTIONS)


def commit_version(
    registry: ModelRegistry, trained: TrainedIntent | None = None, *, holdout: bool = True
) -> VersionInfo:
    """A training run as the registry expects it: the model, then the held-out file and a report."""
    staged = registry.stage()
    source = {"file": "tickets.jsonl", "sha256": "d" * 64}
    save_intent(staged.folder, trained or trained_intent(), fake_embedder(), SMALL_OPTIONS, source)
    if holdout:
        rows = [{"text": e.text, "label": e.label} for e in labelled_examples()]
        (staged.folder / "holdout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (staged.folder / "report").mkdir()
    evaluation = {"examples": 36, "accuracy": 0.95, "macro_f1": 0.9, "ece": 0.05, "labels": ["refund"]}
    (staged.folder / "report" / "report.json").write_text(json.dumps({"evaluation": evaluation}))
    (staged.folder / "report" / "metrics.json").write_text(json.dumps({"macro_f1": 0.875}))
    return registry.commit(staged)


def scores(table: dict[str, float], calls: list[tuple[str, str]]) -> Evaluate:
    """A fake evaluate: macro-F1 by version folder name; records (model, holdout's version)."""

    def evaluate(folder: Path, holdout: Path) -> float:
        calls.append((folder.name, holdout.parent.name))
        return table[folder.name]

    return evaluate


def emotion(_embedder: Embedder) -> EmotionModel:
    return support_emotion_model()


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path, TENANT)


def test_a_committed_run_is_a_sealed_version_that_is_not_yet_active(registry: ModelRegistry) -> None:
    info = commit_version(registry)
    assert VERSION.match(info.version) and info.folder == registry.versions_dir / info.version
    manifest = verify_manifest(info.folder)  # every file, the added ones included, matches
    assert {"holdout.jsonl", "report/metrics.json", "weights.safetensors"} <= set(manifest["files"])
    added = ["holdout.jsonl", "report/metrics.json", "report/report.json"]
    assert manifest["registry"]["added_files"] == added
    assert not any((registry.root / ".staging").iterdir())
    assert registry.current() is None and registry.current_folder() is None and not info.active
    # training report < report/report.json's evaluation < metrics.json; non-numbers are left out
    assert info.metrics == {
        "examples": 32,
        "holdout_examples": 36,
        "accuracy": 0.95,
        "macro_f1": 0.875,
        "ece": 0.05,
    }
    assert info.data_sha256 == "d" * 64 and info.has_holdout


def test_a_changed_weight_file_is_refused_at_commit(registry: ModelRegistry) -> None:
    staged = registry.stage()
    save_intent(staged.folder, trained_intent(), fake_embedder(), SMALL_OPTIONS, {})
    weights = staged.folder / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ModelCacheError, match="sha256"):
        registry.commit(staged)
    assert registry.versions() == []
    registry.discard(staged)
    assert not staged.folder.exists()


def test_a_changed_file_in_a_version_is_refused_at_load_and_promotion(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    first, second = commit_version(registry), commit_version(registry)
    registry.promote(first.version, evaluate=scores({}, []))
    (second.folder / "holdout.jsonl").write_text('{"text": "tampered", "label": "refund"}\n')
    with pytest.raises(ConflictError, match="cannot be promoted"):
        registry.promote(second.version, evaluate=scores({}, []), force=True)
    weights = first.folder / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ModelCacheError, match="sha256"):
        load_tenant_pipeline(tmp_path, TENANT, fake_embedder())


def test_versions_are_listed_newest_first_with_the_active_one_marked(registry: ModelRegistry) -> None:
    made = [commit_version(registry).version for _ in range(3)]
    registry.promote(made[1], evaluate=scores({}, []))
    listed = registry.versions()
    assert [v.version for v in listed] == made[::-1]
    assert [v.active for v in listed] == [False, True, False]
    assert [int(v[1:5]) for v in made] == [1, 2, 3]


def test_the_gate_passes_within_the_margin_refuses_below_it_and_can_be_forced(
    registry: ModelRegistry,
) -> None:
    one, two, three = (commit_version(registry).version for _ in range(3))
    calls: list[tuple[str, str]] = []
    evaluate = scores({one: 0.80, two: 0.795, three: 0.70}, calls)
    first = registry.promote(one, evaluate=evaluate)  # nothing to compare with
    assert first.previous is None and first.candidate_f1 is None and calls == []

    passed = registry.promote(two, evaluate=evaluate, margin=0.01)
    assert (passed.candidate_f1, passed.current_f1, passed.examples) == (0.795, 0.80, 36)
    assert calls == [(two, two), (one, two)]  # both scored on the candidate's held-out file

    with pytest.raises(GateRefused) as refused:
        registry.promote(three, evaluate=evaluate, margin=0.01)
    message = str(refused.value)
    assert "0.7000" in message and "0.7950" in message and "margin 0.0100" in message
    assert "36 held-out examples" in message and "--force" in message
    assert registry.active_version() == two

    forced = registry.promote(three, evaluate=evaluate, force=True, actor="ops")
    assert forced.forced and registry.active_version() == three
    last = read_history(registry.root / "history.jsonl")[-1]
    assert last | {"at": None} == {
        "at": None,
        "action": "force",
        "from": two,
        "to": three,
        "candidate_f1": 0.70,
        "current_f1": 0.795,
        "examples": 36,
        "margin": 0.01,
        "actor": "ops",
    }


def test_a_candidate_without_held_out_examples_needs_force(registry: ModelRegistry) -> None:
    one, two = commit_version(registry).version, commit_version(registry, holdout=False).version
    registry.promote(one, evaluate=scores({}, []))
    with pytest.raises(GateRefused, match=r"no holdout\.jsonl"):
        registry.promote(two, evaluate=scores({}, []))
    assert registry.promote(two, evaluate=scores({}, []), force=True).forced


def test_rollback_walks_back_through_the_versions_made_active(registry: ModelRegistry) -> None:
    one, two, three = (commit_version(registry).version for _ in range(3))
    evaluate = scores(dict.fromkeys((one, two, three), 0.9), [])
    for version in (one, two, three):
        registry.promote(version, evaluate=evaluate)
    assert registry.rollback().version == two
    assert registry.rollback().version == one
    with pytest.raises(InputError, match="nothing to roll back to"):
        registry.rollback()
    registry.promote(three, evaluate=evaluate)
    back = registry.rollback(actor="ops")
    assert (back.version, back.previous) == (one, three)
    actions = [(e["action"], e["to"]) for e in read_history(registry.root / "history.jsonl")]
    assert actions[-3:] == [("rollback", one), ("promote", three), ("rollback", one)]


def test_prune_keeps_the_newest_the_active_one_and_every_rollback_target(registry: ModelRegistry) -> None:
    ids = [commit_version(registry).version for _ in range(6)]
    evaluate = scores(dict.fromkeys(ids, 0.9), [])
    for version in (ids[0], ids[2]):  # ids[0] is what a rollback from ids[2] returns to
        registry.promote(version, evaluate=evaluate)
    with pytest.raises(InputError, match="at least 1"):
        registry.prune(0)
    assert registry.prune(2, actor="ops") == [ids[1], ids[3]]
    assert [v.version for v in registry.versions()] == [ids[5], ids[4], ids[2], ids[0]]
    assert registry.rollback().version == ids[0]  # still there to go back to
    assert registry.prune(2) == [ids[2]]  # rolled back from: no longer reachable
    assert registry.prune(2) == [] and registry.active_version() == ids[0]
    entries = [e for e in read_history(registry.root / "history.jsonl") if e["action"] == "prune"]
    assert entries[0]["removed"] == [ids[1], ids[3]] and entries[0]["actor"] == "ops"
    assert not any((registry.root / ".staging").iterdir())  # the removed folders are gone from disk


def test_version_ids_are_checked_before_they_name_a_folder(registry: ModelRegistry) -> None:
    with pytest.raises(InputError, match="not a model version id"):
        registry.promote("../../etc", evaluate=scores({}, []))
    with pytest.raises(NotFoundError, match="no intent model version"):
        registry.promote("v0042-20260101T000000Z", evaluate=scores({}, []))
    with pytest.raises(InputError, match="margin"):
        registry.promote("v0042-20260101T000000Z", evaluate=scores({}, []), margin=5)


def test_a_current_pointer_to_a_missing_version_is_an_error_that_says_what_to_do(
    registry: ModelRegistry,
) -> None:
    registry.root.mkdir(parents=True)
    (registry.root / "CURRENT").write_text("v0007-20260101T000000Z\n")
    with pytest.raises(ModelCacheError, match="replykit models promote"):
        registry.current_folder()


def legacy_model(data_dir: Path) -> Path:
    """A model written straight into models/intent, as before versions existed."""
    folder = intent_dir(data_dir, TENANT)
    save_intent(folder, trained_intent(), fake_embedder(), SMALL_OPTIONS, {"sha256": "e" * 64})
    return folder


def test_a_model_in_the_old_layout_is_adopted_as_the_active_first_version(tmp_path: Path) -> None:
    root = legacy_model(tmp_path)
    pipeline = load_tenant_pipeline(tmp_path, TENANT, fake_embedder(), emotion_fallback=emotion)
    registry = ModelRegistry(tmp_path, TENANT)
    (only,) = registry.versions()
    assert only.active and only.version.startswith("v0001-") and only.data_sha256 == "e" * 64
    assert pipeline.versions()["intent"] == only.version  # the registry id, not the trained timestamp
    assert not (root / "manifest.json").exists() and not (root / "weights.safetensors").exists()
    assert [e["action"] for e in read_history(root / "history.jsonl")] == ["adopt"]


def test_two_loaders_adopting_at_once_make_one_version(tmp_path: Path) -> None:
    legacy_model(tmp_path)
    start = threading.Barrier(6)
    found: list[Path | None] = []

    def load() -> None:
        start.wait()
        found.append(ModelRegistry(tmp_path, TENANT).current_folder())

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    registry = ModelRegistry(tmp_path, TENANT)
    assert len(registry.versions()) == 1 and set(found) == {registry.current_folder()}
    assert len(read_history(registry.root / "history.jsonl")) == 1


def test_the_real_evaluator_scores_macro_f1_and_drives_the_gate(registry: ModelRegistry) -> None:
    good, bad = commit_version(registry), commit_version(registry, confused_intent())
    evaluate = registry_evaluator(fake_embedder())
    assert evaluate(good.folder, good.folder / "holdout.jsonl") > 0.8
    assert evaluate(bad.folder, bad.folder / "holdout.jsonl") < 0.3
    registry.promote(good.version, evaluate=evaluate)
    with pytest.raises(GateRefused, match="macro-F1"):
        registry.promote(bad.version, evaluate=evaluate)


def test_a_failed_reload_keeps_serving_the_previous_pipeline(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, TENANT)
    one, two = commit_version(registry), commit_version(registry)
    registry.promote(one.version, evaluate=scores({}, []))
    pipelines = TenantPipelines(tmp_path, fake_embedder(), emotion_fallback=emotion)
    assert pipelines(TENANT).versions()["intent"] == one.version
    registry.promote(two.version, evaluate=scores({one.version: 0.5, two.version: 0.5}, []))
    weights = two.folder / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    assert pipelines(TENANT).versions()["intent"] == one.version
    registry.rollback()
    assert pipelines(TENANT).versions()["intent"] == one.version


# --- the CLI ------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.usefixtures("fake_backend")
def test_cli_lists_promotes_refuses_and_rolls_back() -> None:
    registry = ModelRegistry(get_settings().data_dir, TENANT)
    good, bad = commit_version(registry), commit_version(registry, confused_intent())

    listed = runner.invoke(cli, ["models", "list", "--tenant", TENANT])
    assert listed.exit_code == 0 and good.version in listed.output and "✓" not in listed.output
    promoted = runner.invoke(cli, ["models", "promote", good.version, "--tenant", TENANT])
    assert promoted.exit_code == 0 and "no gate" in promoted.output

    refused = runner.invoke(cli, ["models", "promote", bad.version, "--tenant", TENANT])
    assert refused.exit_code == 1 and "--force" in refused.output and "macro-F1" in refused.output
    assert registry.active_version() == good.version

    forced = runner.invoke(cli, ["models", "promote", bad.version, "-t", TENANT, "--force"])
    assert forced.exit_code == 0 and "gate forced" in forced.output
    rows = runner.invoke(cli, ["models", "list", "-t", TENANT]).output.splitlines()
    assert "✓" in next(row for row in rows if bad.version in row)

    back = runner.invoke(cli, ["models", "rollback", "--tenant", TENANT])
    assert back.exit_code == 0 and f"rolled back to {good.version}" in " ".join(back.output.split())
    again = runner.invoke(cli, ["models", "rollback", "--tenant", TENANT])
    assert again.exit_code == 1 and "nothing to roll back" in " ".join(again.output.split())
    kept = runner.invoke(cli, ["models", "prune", "--tenant", TENANT, "--keep", "1"])
    assert kept.exit_code == 0 and "nothing to prune" in kept.output  # newest and active: both kept
    third = commit_version(registry)
    pruned = runner.invoke(cli, ["models", "prune", "--tenant", TENANT, "--keep", "1"])
    assert pruned.exit_code == 0 and f"removed 1 intent version(s): {bad.version}" in pruned.output
    assert [v.version for v in registry.versions()] == [third.version, good.version]


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        yield client


def api_keys(client: TestClient) -> dict[str, dict[str, str]]:
    made = tenant_keys(client.app, TENANT)[TENANT]  # type: ignore[arg-type]
    return {scope: bearer(key) for scope, key in made.items()}


def test_api_lists_promotes_with_the_gate_and_rolls_back(client: TestClient, tmp_path: Path) -> None:
    keys = api_keys(client)
    registry = ModelRegistry(tmp_path, TENANT)
    good, bad = commit_version(registry), commit_version(registry, confused_intent())

    assert client.get("/v1/models/intent", headers=keys["agent"]).status_code == 403
    assert client.post(f"/v1/models/intent/{good.version}/promote", headers=keys["agent"]).status_code == 403
    assert client.post("/v1/models/intent/rollback", headers=keys["agent"]).status_code == 403

    listed = client.get("/v1/models/intent", headers=keys["admin"]).json()
    assert listed["active"] is None and [v["version"] for v in listed["versions"]] == [
        bad.version,
        good.version,
    ]

    first = client.post(f"/v1/models/intent/{good.version}/promote", headers=keys["admin"])
    assert first.status_code == 200 and first.json()["previous"] is None

    refused = client.post(f"/v1/models/intent/{bad.version}/promote", headers=keys["admin"], json={})
    assert refused.status_code == 409
    assert refused.json()["error"] == "GateRefused" and "--force" in refused.json()["detail"]

    forced = client.post(
        f"/v1/models/intent/{bad.version}/promote", headers=keys["admin"], json={"force": True}
    )
    body = forced.json()
    assert forced.status_code == 200 and body["forced"] and body["candidate_f1"] < body["current_f1"]
    assert client.get("/v1/models/intent", headers=keys["admin"]).json()["active"] == bad.version

    back = client.post("/v1/models/intent/rollback", headers=keys["admin"])
    assert back.status_code == 200 and back.json()["version"] == good.version
    with client.app.state.store.session() as session:  # type: ignore[attr-defined]
        admin_id = session.scalars(select(ApiKey.id).where(ApiKey.name == "admin")).one()
    history = [json.loads(line) for line in (registry.root / "history.jsonl").read_text().splitlines()]
    assert [(e["action"], e["actor"]) for e in history] == [
        (action, f"api:key {admin_id}") for action in ("promote", "force", "rollback")
    ]
    assert client.post("/v1/models/intent/nope/promote", headers=keys["admin"]).status_code == 422
    missing = client.post("/v1/models/intent/v0099-20260101T000000Z/promote", headers=keys["admin"])
    assert missing.status_code == 404
