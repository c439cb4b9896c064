"""``replykit eval intent`` on tiny data the test writes: replykit and both baselines scored on the
same split, the report files, the out-of-scope threshold curve, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from eval.intent_eval import Split, recall_at_accuracy, run_intent_eval, threshold_curve
from tests.analysis_helpers import INTENT_EXAMPLES, OUT_OF_SCOPE_EXAMPLES, fake_embedder
from tests.cli_helpers import fake_backend  # noqa: F401
from training.data import Example
from training.intent import IntentTrainOptions, train_intent

runner = CliRunner()


def split() -> Split:
    """Per intent, six examples to train on and two to test; out-of-scope texts on both sides."""
    train, test = [], []
    for label, texts in INTENT_EXAMPLES.items():
        train += [Example(t, label) for t in texts[:6]]
        test += [Example(t, label) for t in texts[6:]]
    train += [Example(t, None) for t in OUT_OF_SCOPE_EXAMPLES[:3]]
    test += [Example(t, None) for t in OUT_OF_SCOPE_EXAMPLES[3:]]
    test.append(Example("my dog sings opera on sundays", None))
    return Split(train, test, {"train.csv": "a" * 64, "test.csv": "b" * 64})


def test_all_three_systems_are_scored_on_the_same_split_and_reported(tmp_path: Path) -> None:
    summary = run_intent_eval(split(), fake_embedder(), tmp_path, seed=3)
    assert set(summary["systems"]) == {"replykit", "tfidf_svm", "embedding_lr"}
    assert summary["test_examples"] == len(split().test) and summary["seed"] == 3
    for name, ratio in summary["ratios"].items():
        ours, theirs = summary["systems"]["replykit"]["macro_f1"], summary["systems"][name]["macro_f1"]
        assert ratio["macro_f1"] == pytest.approx(ours / theirs, abs=1e-3)
    assert all(0.0 <= s["accuracy"] <= 1.0 for s in summary["systems"].values())
    for name in ("tfidf_svm", "embedding_lr"):  # a baseline never abstains
        assert summary["systems"][name]["accuracy"] == summary["systems"][name]["accuracy_given"]
    names = {p.name for p in tmp_path.iterdir()}
    assert {"summary.md", "summary.json", "report.md", "confusion.png", "calibration.png"} <= names
    text = (tmp_path / "summary.md").read_text()
    assert "| tfidf_svm |" in text and "seed 3" in text and "aaaaaaaaaaaa" in text
    assert json.loads((tmp_path / "summary.json").read_text())["systems"] == summary["systems"]


def test_the_threshold_curve_trades_in_scope_accuracy_for_out_of_scope_recall() -> None:
    data = split()
    model = train_intent(data.train, fake_embedder(), IntentTrainOptions(c_grid=(10.0,), folds=3)).model
    curve = threshold_curve(model, fake_embedder().embed([e.text for e in data.test], "query"), data)
    assert len(curve) == 21
    recalls = [p["out_of_scope_recall"] for p in curve]
    accuracies = [p["in_scope_accuracy"] for p in curve]
    assert recalls == sorted(recalls) and accuracies == sorted(accuracies, reverse=True)
    assert curve[-1]["out_of_scope_recall"] == 1.0  # nothing clears a threshold of 1
    assert recall_at_accuracy(curve, 2.0) is None
    assert recall_at_accuracy(curve, 0.0) == 1.0


@pytest.mark.usefixtures("fake_backend")
def test_cli_runs_on_files_and_refuses_half_a_split(tmp_path: Path) -> None:
    data = split()
    for name, rows in (("train.csv", data.train), ("test.csv", data.test)):
        lines = ["text,intent", *(f"{e.text},{e.label or ''}" for e in rows)]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "report"
    done = runner.invoke(
        cli,
        [
            "eval",
            "intent",
            "--train",
            str(tmp_path / "train.csv"),
            "--test",
            str(tmp_path / "test.csv"),
            "--out",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "tfidf_svm: accuracy" in done.output and (out / "summary.md").is_file()
    half = runner.invoke(cli, ["eval", "intent", "--train", str(tmp_path / "train.csv")])
    assert half.exit_code != 0 and "both --train and --test" in str(half.exception) + half.output
    missing = runner.invoke(cli, ["eval", "intent", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0 and "BANKING77 is not under" in str(missing.exception) + missing.output
