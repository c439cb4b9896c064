"""The nearest-example votes beside the intent head: shares, k, temperature and loading."""

from __future__ import annotations

import numpy as np
import pytest

from suggest.analysis.neighbours import FLOOR, Neighbours
from suggest.errors import ModelFormatError


def unit(rows: list[list[float]]) -> np.ndarray:
    x = np.array(rows, dtype=np.float32)
    out: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


VECTORS = unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1]])
LABELS = np.array([0, 0, 1, 1, 2])


def shares(neighbours: Neighbours, query: list[list[float]]) -> np.ndarray:
    out: np.ndarray = np.exp(neighbours.log_votes(unit(query))) - FLOOR
    return out


def test_the_closest_examples_win_the_vote_and_shares_sum_to_one() -> None:
    votes = shares(Neighbours(VECTORS, LABELS, 3, k=3, temperature=0.05), [[1, 0.05, 0], [0, 0.2, 1]])
    assert votes.argmax(axis=1).tolist() == [0, 2]
    np.testing.assert_allclose(votes.sum(axis=1), 1.0, atol=1e-3)


def test_only_the_k_nearest_vote() -> None:
    votes = shares(Neighbours(VECTORS, LABELS, 3, k=2, temperature=1.0), [[1, 0.05, 0]])
    assert votes[0, 0] == pytest.approx(1.0, abs=1e-3)  # both nearest are label 0; 1 and 2 get none
    assert votes[0, 2] == pytest.approx(0.0, abs=1e-6)


def test_a_higher_temperature_spreads_the_vote() -> None:
    query = [[0.7, 0.6, 0]]
    sharp = shares(Neighbours(VECTORS, LABELS, 3, k=5, temperature=0.01), query)
    flat = shares(Neighbours(VECTORS, LABELS, 3, k=5, temperature=1.0), query)
    assert sharp.max() > flat.max()
    assert flat.min() > sharp.min()


def test_k_larger_than_the_examples_uses_them_all() -> None:
    votes = shares(Neighbours(VECTORS[:2], LABELS[:2], 3, k=10, temperature=0.05), [[0, 1, 0]])
    assert votes[0].tolist() == pytest.approx([1.0, 0.0, 0.0], abs=1e-3)


def test_saved_tensors_load_back_with_their_settings() -> None:
    neighbours = Neighbours(VECTORS, LABELS, 3, k=4, temperature=0.1, weight=0.35)
    loaded = Neighbours.load(neighbours.tensors(), neighbours.meta(), n_labels=3, dim=3)
    assert (loaded.k, loaded.temperature, loaded.weight) == (4, 0.1, 0.35)
    np.testing.assert_array_equal(loaded.labels, LABELS)
    np.testing.assert_allclose(loaded.vectors, VECTORS, atol=1e-3)  # stored as float16


@pytest.mark.parametrize(
    ("n_labels", "dim", "meta", "message"),
    [
        (3, 4, {"k": 1, "temperature": 0.1, "weight": 0.2}, "do not fit a 4-d head"),
        (2, 3, {"k": 1, "temperature": 0.1, "weight": 0.2}, "outside the head's 2 labels"),
        (3, 3, {"k": 0, "temperature": 0.1, "weight": 0.2}, "k ≥ 1"),
        (3, 3, {"temperature": 0.1, "weight": 0.2}, "incomplete"),
    ],
)
def test_inconsistent_neighbours_are_refused(
    n_labels: int, dim: int, meta: dict[str, float], message: str
) -> None:
    tensors = Neighbours(VECTORS, LABELS, 3).tensors()
    with pytest.raises(ModelFormatError, match=message):
        Neighbours.load(tensors, meta, n_labels=n_labels, dim=dim)
