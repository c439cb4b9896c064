"""``replykit eval retrieval`` on a tiny FAQ the test writes in StackFAQ's shape: both systems rank
every query, the figures follow eval/metrics.py, and the CLI reports a missing dataset clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from eval.retrieval_eval import STACKFAQ, bm25_rankings, read_stackfaq, run_retrieval_eval
from tests.analysis_helpers import fake_embedder
from tests.cli_helpers import fake_backend  # noqa: F401

runner = CliRunner()
PAIRS = [
    (
        "How do I reset my router password",
        ["Hold the reset button."],
        ["reset router password", "forgot router password"],
    ),
    (
        "Where is my parcel delivery",
        ["Track it online."],
        ["parcel delivery status", "*", "track my parcel delivery"],
    ),
    (
        "How to cancel a subscription",
        ["Open settings, then billing."],
        ["cancel subscription now", "stop subscription"],
    ),
]


def write_faq(root: Path) -> Path:
    path = root / STACKFAQ
    path.parent.mkdir(parents=True)
    pairs = [{"question": q, "answer": a, "rephr": r} for q, a, r in PAIRS]
    path.write_text(json.dumps({"root": {"qapair": pairs}}), encoding="utf-8")
    return path


def test_the_faq_reads_as_articles_and_paraphrase_queries(tmp_path: Path) -> None:
    faq = read_stackfaq(write_faq(tmp_path))
    assert [a.id for a in faq.articles] == ["faq-000", "faq-001", "faq-002"]
    assert (
        len(faq.queries) == 6 and ("track my parcel delivery", "faq-001") in faq.queries
    )  # "*", None dropped
    assert faq.articles[2].body == "Open settings, then billing."  # a single answer given as a string
    assert bm25_rankings(faq, 10)[0][0] == "faq-000"  # shared words rank the right article first
    assert bm25_rankings(faq, 10)[5] == ["faq-002"]  # only one article shares a word with "stop subscription"


def test_both_systems_are_scored_on_the_same_queries(tmp_path: Path) -> None:
    summary = run_retrieval_eval(read_stackfaq(write_faq(tmp_path)), fake_embedder(), tmp_path / "out")
    assert set(summary["systems"]) == {"replykit", "bm25"} and summary["queries"] == 6
    for figures in summary["systems"].values():
        assert 0 <= figures["recall@1"] <= figures["recall@5"] <= figures["recall@10"] <= 1
        assert figures["recall@1"] <= figures["mrr"] <= figures["recall@10"]
    assert summary["systems"]["bm25"]["recall@1"] == 1.0  # every query shares a word with its article only
    assert "| bm25 |" in (tmp_path / "out" / "summary.md").read_text()


@pytest.mark.usefixtures("fake_backend")
def test_cli_runs_and_names_a_missing_dataset(tmp_path: Path) -> None:
    write_faq(tmp_path)
    done = runner.invoke(
        cli, ["eval", "retrieval", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]
    )
    assert done.exit_code == 0, done.output
    assert "bm25: recall@1 100.00%" in done.output
    (tmp_path / "bad" / STACKFAQ).parent.mkdir(parents=True)
    (tmp_path / "bad" / STACKFAQ).write_text('{"root": {"qapair": [{"question": "q"}]}}', encoding="utf-8")
    bad = runner.invoke(cli, ["eval", "retrieval", "--data-dir", str(tmp_path / "bad")])
    assert bad.exit_code != 0 and "is not StackFAQ's JSON" in str(bad.exception) + bad.output
    missing = runner.invoke(cli, ["eval", "retrieval", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0 and "StackFAQ is not at" in str(missing.exception) + missing.output
