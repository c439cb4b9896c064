"""A tenant's training run: evaluation split, one version with its held-out file and report,
and `replykit train --tenant` with and without promotion."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from suggest.config import get_settings
from suggest.errors import InputError
from suggest.models.manifest import read_manifest
from tests.analysis_helpers import fake_embedder, labelled_examples
from tests.cli_helpers import fake_backend  # noqa: F401
from training.data import Example
from training.intent import IntentTrainOptions
from training.registry import ModelRegistry, registry_evaluator
from training.registry_files import HOLDOUT, holdout_examples
from training.run import TrainOptions, examples_sha256, run_training, split_for_evaluation

OPTIONS = TrainOptions(evaluation_share=0.25, intent=IntentTrainOptions(c_grid=(10.0,), folds=3))


def test_the_evaluation_split_is_stratified_seeded_and_leaves_rare_labels_in_training() -> None:
    examples = [*labelled_examples(), Example("only two of these", "rare"), Example("the second", "rare")]
    train, held = split_for_evaluation(examples, 0.25, seed=3, min_train=2)
    assert Counter(e.label for e in held) == {
        "delivery": 2,
        "invoice": 2,
        "password": 2,
        "refund": 2,
        None: 1,
    }
    assert sorted(map(str, train + held)) == sorted(map(str, examples))
    assert split_for_evaluation(examples, 0.25, seed=3, min_train=2) == (train, held)
    assert split_for_evaluation(examples, 0.25, seed=4, min_train=2)[1] != held


def test_a_retrain_on_grown_history_never_holds_out_what_the_last_run_trained_on() -> None:
    """The gate compares the active version with the candidate on the candidate's held-out tickets;
    those must not be tickets the active version learnt from."""
    first = labelled_examples()
    grown = [*reversed(first), *(Example(f"{e.text} (follow-up)", e.label) for e in first[::8])]
    train_1, held_1 = split_for_evaluation(first, 0.25, seed=0, min_train=2)
    _, held_2 = split_for_evaluation(grown, 0.25, seed=0, min_train=2)
    assert not set(map(str, held_2)) & set(map(str, train_1))
    # the order of the rows does not matter, only the texts
    assert sorted(map(str, split_for_evaluation(list(reversed(first)), 0.25, 0, 2)[1])) == sorted(
        map(str, held_1)
    )


def test_a_run_commits_an_inactive_version_with_its_holdout_and_report(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, "acme")
    examples = labelled_examples()
    result = run_training(registry, examples, fake_embedder(), OPTIONS, {"file": "small.csv"})
    folder = result.version.folder
    assert registry.active_version() is None
    held = holdout_examples(folder / HOLDOUT)
    assert len(held) == result.evaluation.examples == 9
    assert {p.name for p in (folder / "report").iterdir()} >= {
        "report.md",
        "confusion.png",
        "calibration.png",
    }
    source = read_manifest(folder)["training"]["source"]
    assert source["run"]["evaluation_share"] == 0.25 and source["run"]["intent"]["c_grid"] == [10.0]
    assert source["examples_sha256"] != examples_sha256(examples[:-1])
    assert read_manifest(folder)["version"] == result.version.version
    assert result.version.data_sha256 == source["examples_sha256"]  # no file hash: the examples' hash
    report = json.loads((folder / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["evaluation"]["macro_f1"] == pytest.approx(result.evaluation.macro_f1, abs=1e-4)
    # the gate scores the version on its own held-out file the way the run did
    promoted = registry.promote(result.version.version, evaluate=registry_evaluator(fake_embedder()))
    assert promoted.version == registry.active_version()


def test_examples_from_a_file_are_redacted_before_training_and_storage(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, "acme")
    examples = [
        Example(f"{e.text} mail me at jan.jansen@example.nl or call +31 6 12345678", e.label)
        for e in labelled_examples()
    ]
    result = run_training(registry, examples, fake_embedder(), OPTIONS, {})
    stored = (result.version.folder / HOLDOUT).read_text(encoding="utf-8")
    assert "jan.jansen@example.nl" not in stored and "12345678" not in stored
    assert "[EMAIL]" in stored and "[PHONE]" in stored
    redaction = read_manifest(result.version.folder)["training"]["source"]["redaction"]
    assert redaction["email"] == redaction["phone"] == len(examples)


def test_labels_too_rare_to_hold_out_are_one_clear_error(tmp_path: Path) -> None:
    examples = [Example("refund please", "refund"), Example("money back", "refund"), Example("hi", "hello")]
    examples.append(Example("hello there", "hello"))
    with pytest.raises(InputError, match="no example could be held out"):
        run_training(ModelRegistry(tmp_path, "acme"), examples, fake_embedder(), OPTIONS, {})


runner = CliRunner()


def write_csv(path: Path) -> Path:
    rows = ["text,intent", *(f"{e.text},{e.label or ''}" for e in labelled_examples())]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.usefixtures("fake_backend")
def test_cli_trains_a_tenant_version_and_promotes_it_on_request(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "tickets.csv")
    registry = ModelRegistry(get_settings().data_dir, "acme")
    first = runner.invoke(
        cli, ["train", "--tenant", "acme", "--data", str(data), "--evaluation-share", "0.25"]
    )
    assert first.exit_code == 0, first.output
    [version] = registry.versions()
    assert "held-out evaluation" in first.output and f"models promote {version.version}" in first.output
    assert registry.active_version() is None
    second = runner.invoke(cli, ["train", "--tenant", "acme", "--data", str(data), "--promote"])
    assert second.exit_code == 0, second.output
    assert registry.active_version() == registry.versions()[0].version != version.version


@pytest.mark.usefixtures("fake_backend")
def test_cli_accurate_mode_says_it_needs_the_real_model(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "tickets.csv")
    result = runner.invoke(cli, ["train", "--tenant", "acme", "--data", str(data), "--mode", "accurate"])
    assert result.exit_code != 0
    assert "fine-tunes the service's own model" in str(result.exception) + result.output
    assert ModelRegistry(get_settings().data_dir, "acme").versions() == []


@pytest.mark.usefixtures("fake_backend")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "acme", "--out", "x"], "exactly one of --tenant"),
        ([], "exactly one of --tenant"),
        (["--out", "x"], "--out needs --data"),
        (["--out", "x", "--data", "d.jsonl", "--mode", "accurate"], "use --tenant instead of --out"),
        (
            ["--tenant", "acme", "--data", "d.jsonl", "--self-training", "2"],
            "drop --data to train on the history",
        ),
    ],
)
def test_cli_train_refuses_unclear_targets(args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["train", *args])
    assert result.exit_code != 0
    assert message in str(result.exception) + result.output


def test_a_tenant_run_applies_the_tenants_own_redaction_rules(tmp_path: Path) -> None:
    from training.jobs.work import train_tenant

    folder = tmp_path / "tenants" / "acme"
    folder.mkdir(parents=True)
    (folder / "redaction.yaml").write_text('custom:\n  contract: "CT-\\\\d{6}"\n', encoding="utf-8")
    examples = [
        Example(f"{e.text} about contract CT-{i:06d}", e.label) for i, e in enumerate(labelled_examples())
    ]
    run = train_tenant(tmp_path, "acme", fake_embedder(), OPTIONS, lambda: (examples, {"history": "acme"}))
    stored = (run.run.version.folder / HOLDOUT).read_text(encoding="utf-8")
    assert "CT-0" not in stored and stored.count("[CONTRACT]") == run.run.evaluation.examples
