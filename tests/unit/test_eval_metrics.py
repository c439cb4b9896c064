"""eval/metrics.py against values computed by hand, and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from eval.metrics import expected_calibration_error, macro_f1, mean_reciprocal_rank, recall_at_k
from suggest.errors import InputError

RANKED = [["a", "b", "c"], ["x", "y", "a"], ["q"], []]
RELEVANT = [{"a"}, {"a", "y"}, {"z"}, {"a"}]


def test_recall_at_k_counts_queries_with_a_relevant_item_in_the_top_k() -> None:
    assert recall_at_k(RANKED, RELEVANT, 1) == 0.25  # only the first query hits at rank 1
    assert recall_at_k(RANKED, RELEVANT, 2) == 0.5  # the second finds "y" at rank 2
    assert recall_at_k(RANKED, RELEVANT, 10) == 0.5  # "z" is never ranked; an empty ranking misses


def test_mrr_is_the_mean_of_one_over_the_first_relevant_rank() -> None:
    assert mean_reciprocal_rank(RANKED, RELEVANT) == pytest.approx((1 + 1 / 2 + 0 + 0) / 4)


def test_macro_f1_scores_missing_and_predicted_only_classes_as_zero() -> None:
    gold = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "d"]
    # a: tp1 fn1 -> 2/3; b: tp1 fp1 -> 2/3; c: never predicted -> 0; d: only predicted -> 0
    assert macro_f1(gold, predicted) == pytest.approx((2 / 3 + 2 / 3 + 0 + 0) / 4)
    assert macro_f1(gold, predicted, labels=["a", "b"]) == pytest.approx(2 / 3)
    assert macro_f1(gold, predicted, labels=["a", "b", "e"]) == pytest.approx((2 / 3 + 2 / 3) / 3)
    assert macro_f1(["a"], ["a"]) == 1.0


def test_ece_weights_each_bins_gap_by_its_share() -> None:
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    y = np.array([0, 1, 0, 1])
    # 15 bins: (0.867, 0.933] holds the two 0.9s, one right: |0.5 - 0.9| x 2/4;
    # (0.533, 0.6] holds the two 0.6s (classes 0 and 1), both right: |1.0 - 0.6| x 2/4
    assert expected_calibration_error(probs, y) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert expected_calibration_error(np.array([[1.0, 0.0]]), np.array([0])) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: recall_at_k([], [], 1),
        lambda: mean_reciprocal_rank([], []),
        lambda: macro_f1([], []),
        lambda: expected_calibration_error(np.zeros((0, 2)), np.zeros(0)),
    ],
)
def test_no_examples_is_an_error_that_says_so(call: object) -> None:
    with pytest.raises(InputError, match="at least one example"):
        call()  # type: ignore[operator]


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(InputError, match="one ranking per query"):
        recall_at_k([["a"]], [{"a"}, {"b"}], 1)
    with pytest.raises(InputError, match="k must be at least 1"):
        recall_at_k([["a"]], [{"a"}], 0)
    with pytest.raises(InputError, match="one prediction per gold label"):
        macro_f1(["a"], [])
    with pytest.raises(InputError, match="one label per row"):
        expected_calibration_error(np.zeros((2, 2)), np.zeros(3))
