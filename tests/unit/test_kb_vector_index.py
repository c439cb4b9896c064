"""Contract tests: every VectorIndex agrees with the numpy brute-force reference."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from kb.index.vectors import SUBSET_LIMIT, FaissIndex, NumpyIndex, VectorIndex

Factory = Callable[[np.ndarray], VectorIndex]
EXACT: dict[str, Factory] = {
    "numpy": NumpyIndex,
    "faiss-exact": lambda v: FaissIndex.build(v, "exact"),
}


def unit(rows: np.ndarray) -> np.ndarray:
    out: np.ndarray = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return out


def clustered(n: int, seed: int, dim: int = 384, topics: int = 500) -> np.ndarray:
    """Unit vectors around random topic centres, shaped like sentence embeddings (not isotropic).

    The centres depend only on ``dim`` and ``topics``, so documents and queries drawn with
    different seeds are about the same topics."""
    centres = unit(np.random.default_rng(dim * 1_000 + topics).standard_normal((topics, dim)))
    rng = np.random.default_rng(seed)
    return unit(centres[rng.integers(0, topics, n)] + 0.35 * unit(rng.standard_normal((n, dim))))


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k (ignoring -1 padding) that the index found."""
    shares = [
        len(set(f) & set(e[e >= 0])) / max(1, (e >= 0).sum()) for f, e in zip(found, exact, strict=True)
    ]
    return float(np.mean(shares))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    vectors = clustered(3_000, seed=1, dim=64, topics=60)
    return vectors, clustered(20, seed=2, dim=64, topics=60)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_exact_indexes_match_the_reference(name: str, data: tuple[np.ndarray, np.ndarray]) -> None:
    vectors, queries = data
    ref_scores, ref_rows = NumpyIndex(vectors).search(queries, 10)
    scores, rows = EXACT[name](vectors).search(queries, 10)
    assert (rows == ref_rows).mean() > 0.99  # ties may swap
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    assert (np.diff(scores, axis=1) <= 1e-6).all(), "best first"


@pytest.mark.parametrize("name", [*sorted(EXACT), "faiss-hnsw"])
@pytest.mark.parametrize("kept", [7, SUBSET_LIMIT + 500])
def test_filters_return_only_allowed_rows(name: str, kept: int, data: tuple[np.ndarray, np.ndarray]) -> None:
    vectors, queries = data
    index = FaissIndex.build(vectors, "hnsw") if name == "faiss-hnsw" else EXACT[name](vectors)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[np.random.default_rng(3).choice(len(vectors), kept, replace=False)] = True
    _, rows = index.search(queries, 10, allowed)
    assert allowed[rows[rows >= 0]].all()
    _, ref_rows = NumpyIndex(vectors).search(queries, 10, allowed)
    assert recall(rows, ref_rows) >= 0.95


@pytest.mark.parametrize("name", [*sorted(EXACT), "faiss-hnsw"])
def test_asking_for_more_than_there_is_pads_with_minus_one(name: str) -> None:
    vectors = clustered(5, seed=4, dim=16, topics=2)
    index = FaissIndex.build(vectors, "hnsw") if name == "faiss-hnsw" else EXACT[name](vectors)
    scores, rows = index.search(vectors[:1], 8)
    assert sorted(rows[0][:5].tolist()) == [0, 1, 2, 3, 4]
    assert rows[0][5:].tolist() == [-1, -1, -1] and np.isneginf(scores[0][5:]).all()


def test_size_decides_between_exact_and_hnsw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kb.index.vectors.EXACT_LIMIT", 100)
    assert FaissIndex.build(clustered(100, seed=5, dim=16)).kind == "exact"
    assert FaissIndex.build(clustered(101, seed=5, dim=16)).kind == "hnsw"


def test_hnsw_recall_at_10_is_at_least_095_against_exact_search() -> None:
    vectors = clustered(30_000, seed=6)
    queries = clustered(200, seed=7)
    _, exact = NumpyIndex(vectors).search(queries, 10)
    _, approx = FaissIndex.build(vectors, "hnsw").search(queries, 10)
    assert recall(approx, exact) >= 0.95
