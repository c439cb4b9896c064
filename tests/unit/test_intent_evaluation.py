"""Held-out evaluation of an intent model and its report, on a hand-made model whose every answer
is known: each test vector is a one-hot "prototype" whose logits are the logs of chosen probabilities."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from suggest.analysis.heads import LinearHead
from suggest.analysis.intent import OUT_OF_SCOPE, IntentModel
from suggest.embed.fake import HashingEmbedder
from suggest.errors import InputError
from training.data import Example
from training.evaluation import IntentEvaluation, evaluate_examples, evaluate_intent
from training.intent import embed_all
from training.report import most_confused, write_intent_report

LABELS = ("billing", "delivery", "refund", OUT_OF_SCOPE)
# Probabilities over LABELS for each prototype, and what the model answers (min_confidence 0.5).
PROTOTYPES = [
    [0.90, 0.05, 0.03, 0.02],  # 0: billing 0.90 -> "billing"
    [0.10, 0.70, 0.10, 0.10],  # 1: delivery 0.70 -> "delivery"
    [0.30, 0.42, 0.18, 0.10],  # 2: delivery 0.42 -> abstains (below 0.5)
    [0.15, 0.10, 0.05, 0.70],  # 3: out-of-scope class wins -> abstains; top intent billing 0.15
    [0.05, 0.05, 0.62, 0.28],  # 4: refund 0.62 -> "refund"
]
CASES: list[tuple[int, str | None]] = [  # (prototype, gold)
    (0, "billing"),  # top right, final right
    (0, "billing"),  # top right, final right
    (0, "refund"),  # top wrong, final "billing"
    (1, "delivery"),  # top right, final right
    (1, "billing"),  # top wrong, final "delivery"
    (2, "delivery"),  # top right, final abstains
    (3, None),  # out of scope, abstains: right
    (4, None),  # out of scope, given "refund": wrong
    (3, "cancel"),  # an intent the model does not know: always wrong
    (4, "refund"),  # top right, final right
]


def model(labels: tuple[str, ...] = LABELS, prototypes: list[list[float]] = PROTOTYPES) -> IntentModel:
    dim = len(prototypes)
    weight = np.log(np.asarray(prototypes, dtype=np.float32)).T  # (labels, dim): column k = log p_k
    head = LinearHead(labels, weight, np.zeros(len(labels), np.float32), np.zeros(dim, np.float32))
    return IntentModel(head, np.zeros((len(labels), dim), np.float32), 0.5, -1.0, "test")


def inputs(
    cases: Sequence[tuple[int, str | None]], dim: int = len(PROTOTYPES)
) -> tuple[np.ndarray, list[str], list[str | None]]:
    vectors = np.eye(dim, dtype=np.float32)[[k for k, _ in cases]]
    return vectors, [f"ticket {i}" for i in range(len(cases))], [gold for _, gold in cases]


@pytest.fixture(scope="module")
def evaluation() -> IntentEvaluation:
    return evaluate_intent(model(), *inputs(CASES))


def test_the_hand_made_model_answers_as_designed() -> None:
    vectors, texts, _ = inputs(CASES)
    assert [r.label for r in model().predict(vectors, texts)] == [
        "billing", "billing", "billing", "delivery", "delivery", None, None, "refund", None, "refund",
    ]  # fmt: skip


def test_accuracy_coverage_and_out_of_scope_recall(evaluation: IntentEvaluation) -> None:
    assert evaluation.examples == 10
    assert evaluation.accuracy == pytest.approx(5 / 8)  # in-scope: cases 1, 2, 4, 6, 10 right of 8
    assert evaluation.accuracy_with_abstention == pytest.approx(5 / 10)  # cases 1, 2, 4, 7, 10
    assert evaluation.coverage == pytest.approx(6 / 8)  # in-scope cases 6 and 9 got no label
    assert evaluation.out_of_scope_recall == pytest.approx(1 / 2)  # case 7 abstained, case 8 did not


def test_per_intent_and_macro_f1_include_unknown_and_out_of_scope_gold(evaluation: IntentEvaluation) -> None:
    expected = {  # precision, recall, support
        "billing": (2 / 3, 2 / 3, 3),
        "cancel": (0.0, 0.0, 1),
        "delivery": (1 / 2, 1 / 2, 2),
        "refund": (1 / 2, 1 / 2, 2),
        OUT_OF_SCOPE: (1 / 3, 1 / 2, 2),
    }
    assert set(evaluation.per_intent) == set(expected)
    for label, (precision, recall, support) in expected.items():
        row = evaluation.per_intent[label]
        assert row["precision"] == pytest.approx(precision), label
        assert row["recall"] == pytest.approx(recall), label
        assert row["support"] == support
    assert evaluation.per_intent[OUT_OF_SCOPE]["f1"] == pytest.approx(0.4)
    assert evaluation.macro_f1 == pytest.approx((2 / 3 + 0 + 1 / 2 + 1 / 2 + 0.4) / 5)


def test_confusion_matrix_rows_gold_columns_final_labels(evaluation: IntentEvaluation) -> None:
    assert evaluation.labels == ("billing", "cancel", "delivery", "refund", OUT_OF_SCOPE)
    assert evaluation.confusion == [
        [2, 0, 1, 0, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 1, 0, 1],
        [1, 0, 0, 1, 0],
        [0, 0, 0, 1, 1],
    ]


def test_calibration_error_and_reliability_bins(evaluation: IntentEvaluation) -> None:
    # In-scope top intents: 0.90 x3 (2 right), 0.70 x2 (1 right), 0.42 right, 0.15 wrong, 0.62 right.
    gaps = 3 * (0.90 - 2 / 3) + 2 * (0.70 - 1 / 2) + (1 - 0.42) + 0.15 + (1 - 0.62)
    assert evaluation.ece == pytest.approx(gaps / 8, abs=1e-4)
    bins = [(b["lo"], b["hi"], b["confidence"], b["accuracy"], b["count"]) for b in evaluation.reliability]
    expected = [
        (2, 0.15, 0.0, 1),
        (6, 0.42, 1.0, 1),
        (9, 0.62, 1.0, 1),
        (10, 0.70, 0.5, 2),
        (13, 0.90, 2 / 3, 3),
    ]
    assert len(bins) == len(expected)
    for (lo, hi, confidence, accuracy, count), (k, conf, acc, n) in zip(bins, expected, strict=True):
        assert lo == pytest.approx(k / 15) and hi == pytest.approx((k + 1) / 15)
        assert confidence == pytest.approx(conf, abs=1e-5)
        assert accuracy == pytest.approx(acc)
        assert count == n


def test_macro_f1_over_gold_classes_only_when_a_class_is_only_predicted() -> None:
    # No refund and no out-of-scope gold; the model says "refund" once, to a delivery ticket.
    result = evaluate_intent(model(), *inputs([(0, "billing"), (1, "delivery"), (4, "delivery")]))
    assert set(result.per_intent) == {"billing", "delivery"}
    assert result.per_intent["delivery"]["precision"] == pytest.approx(1.0)
    assert result.per_intent["delivery"]["recall"] == pytest.approx(0.5)
    assert result.macro_f1 == pytest.approx((1.0 + 2 / 3) / 2)  # refund has no F1 of its own
    assert result.labels == ("billing", "delivery", "refund")
    assert result.confusion == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert result.out_of_scope_recall is None


def test_out_of_scope_spelled_out_is_the_same_as_none(evaluation: IntentEvaluation) -> None:
    spelled = [(k, OUT_OF_SCOPE if gold is None else gold) for k, gold in CASES]
    assert evaluate_intent(model(), *inputs(spelled)) == evaluation


def test_a_model_without_an_out_of_scope_class() -> None:
    head_labels = ("billing", "delivery", "refund")
    prototypes = [[0.9, 0.05, 0.05], [0.2, 0.45, 0.35]]
    result = evaluate_intent(
        model(head_labels, prototypes), *inputs([(0, "billing"), (1, "delivery")], dim=2)
    )
    assert result.accuracy == pytest.approx(1.0)  # both top intents are right
    assert result.accuracy_with_abstention == pytest.approx(0.5)  # the second abstains at 0.45
    assert result.labels == ("billing", "delivery", OUT_OF_SCOPE)
    assert result.coverage == pytest.approx(0.5)


def test_as_dict_is_json_ready_and_rounded(evaluation: IntentEvaluation) -> None:
    data = json.loads(json.dumps(evaluation.as_dict()))
    assert data["macro_f1"] == round(evaluation.macro_f1, 4)
    assert data["per_intent"]["billing"]["precision"] == 0.6667
    assert data["labels"] == list(evaluation.labels)
    assert data["confusion"] == evaluation.confusion
    assert data["reliability"][0]["lo"] == 0.1333


def test_bad_input_is_refused_with_a_clear_error() -> None:
    vectors, texts, gold = inputs(CASES)
    with pytest.raises(InputError, match="empty"):
        evaluate_intent(model(), vectors[:0], [], [])
    with pytest.raises(InputError, match="one vector and one text per gold label"):
        evaluate_intent(model(), vectors, texts, gold[:-1])
    with pytest.raises(InputError, match=r"one vector and one text per gold label \(10\)"):
        evaluate_intent(model(), vectors, texts[:-1], gold)
    with pytest.raises(InputError, match="out of scope"):
        evaluate_intent(model(), vectors[:2], texts[:2], [None, OUT_OF_SCOPE])
    with pytest.raises(InputError, match="empty"):
        evaluate_examples(model(), HashingEmbedder(dim=16), [])


def test_evaluate_examples_embeds_and_reports_progress() -> None:
    embedder = HashingEmbedder(dim=8)
    rng = np.random.default_rng(0)
    labels = ("billing", "delivery", OUT_OF_SCOPE)
    head = LinearHead(
        labels, rng.normal(size=(3, 8)).astype(np.float32), np.zeros(3, np.float32), np.zeros(8)
    )
    fake = IntentModel(head, np.zeros((3, 8), np.float32), 0.0, -1.0, "test")
    examples = [
        Example(f"ticket about {w}", label) for w, label in [("bills", "billing"), ("parcels", None)] * 3
    ]
    calls: list[tuple[int, int]] = []
    result = evaluate_examples(fake, embedder, examples, lambda done, total: calls.append((done, total)))
    texts = [e.text for e in examples]
    assert result == evaluate_intent(fake, embed_all(embedder, texts), texts, [e.label for e in examples])
    assert calls == [(6, 6)]


# --- the report ---------------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.fixture(scope="module")
def report(evaluation: IntentEvaluation, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("report") / "nested" / "run"
    context = {"model": "20250101T000000Z", "data": Path("held_out.jsonl")}
    return folder, write_intent_report(folder, evaluation, title="Intent model", context=context)


def test_report_writes_four_files_with_valid_pngs(report: tuple[Path, list[str]]) -> None:
    folder, names = report
    assert sorted(names) == ["calibration.png", "confusion.png", "report.json", "report.md"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)
    for name in ("confusion.png", "calibration.png"):
        width, height = png_size(folder / name)
        assert width > 100 and height > 100


def test_report_json_round_trips(report: tuple[Path, list[str]], evaluation: IntentEvaluation) -> None:
    folder, _ = report
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert data == {
        "title": "Intent model",
        "context": {"model": "20250101T000000Z", "data": "held_out.jsonl"},
        "evaluation": json.loads(json.dumps(evaluation.as_dict())),
    }


def test_report_markdown_lists_weakest_intent_first_and_the_confused_pairs(
    report: tuple[Path, list[str]],
) -> None:
    folder, _ = report
    text = (folder / "report.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1].strip() for line in text.split("## Per intent")[1].splitlines()[4:9]]
    assert rows == ["cancel", OUT_OF_SCOPE, "delivery", "refund", "billing"]  # f1 0, .4, .5, .5, .667
    assert "| 0.000 | 0.000 | 0.000 | 1 |" in text
    assert "Macro-F1 (gold classes, abstention = out_of_scope): 0.4133" in text
    assert "(confusion.png)" in text and "(calibration.png)" in text
    assert "| billing | delivery | 1 |" in text


def test_most_confused_pairs_are_off_diagonal_and_ordered(evaluation: IntentEvaluation) -> None:
    assert most_confused(evaluation) == [
        ("billing", "delivery", 1),
        ("cancel", OUT_OF_SCOPE, 1),
        ("delivery", OUT_OF_SCOPE, 1),
        (OUT_OF_SCOPE, "refund", 1),
        ("refund", "billing", 1),
    ]
    assert most_confused(evaluation, top=2) == [("billing", "delivery", 1), ("cancel", OUT_OF_SCOPE, 1)]


def test_report_bytes_are_the_same_for_the_same_input(
    report: tuple[Path, list[str]], evaluation: IntentEvaluation, tmp_path: Path
) -> None:
    folder, names = report
    context = {"model": "20250101T000000Z", "data": Path("held_out.jsonl")}
    write_intent_report(tmp_path, evaluation, title="Intent model", context=context)
    for name in names:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_confusion_plot_grows_with_the_number_of_classes(
    report: tuple[Path, list[str]], tmp_path: Path
) -> None:
    n = 60
    labels = tuple(f"intent_{i:02d}" for i in range(n))
    confusion = np.eye(n, dtype=int).tolist()
    many = IntentEvaluation(n, 1.0, 1.0, 1.0, {}, labels, confusion, 0.0, [], 1.0, None)
    write_intent_report(tmp_path, many, title="many", context={})
    small_width, _ = png_size(report[0] / "confusion.png")
    width, height = png_size(tmp_path / "confusion.png")
    assert width > 2 * small_width and height > 1000
