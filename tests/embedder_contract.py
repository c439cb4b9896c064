"""One set of tests that every Embedder must pass; subclasses supply the ``embedder`` fixture."""

from __future__ import annotations

import numpy as np
import pytest

from suggest.errors import InputError
from suggest.protocols import Embedder

TEXTS = [
    "Where is my package? It has not been delivered yet.",
    "Hi",
    "I would like to cancel my subscription and get a refund for this month, please.",
    "Waar is mijn pakket?",
]


class EmbedderContract:
    def test_is_an_embedder(self, embedder: Embedder) -> None:
        assert isinstance(embedder, Embedder)
        assert embedder.dim > 0 and embedder.name

    def test_rows_are_unit_length_float32(self, embedder: Embedder) -> None:
        vectors = embedder.embed(TEXTS)
        assert vectors.shape == (len(TEXTS), embedder.dim) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_row_order_follows_input_whatever_the_lengths(self, embedder: Embedder) -> None:
        together = embedder.embed(TEXTS)
        alone = np.stack([embedder.embed([t])[0] for t in TEXTS])
        cosines = np.sum(together * alone, axis=1)
        assert cosines.min() >= 0.99, cosines

    def test_same_text_same_vector(self, embedder: Embedder) -> None:
        np.testing.assert_allclose(embedder.embed(TEXTS[:1]), embedder.embed(TEXTS[:1]), atol=1e-6)

    def test_query_and_passage_both_work(self, embedder: Embedder) -> None:
        q, p = embedder.embed(TEXTS[:1], "query"), embedder.embed(TEXTS[:1], "passage")
        assert q.shape == p.shape == (1, embedder.dim)

    def test_empty_batch(self, embedder: Embedder) -> None:
        assert embedder.embed([]).shape == (0, embedder.dim)

    @pytest.mark.parametrize("bad", ["", "   \n", "abc\udcff"])
    def test_bad_text_is_refused(self, embedder: Embedder, bad: str) -> None:
        with pytest.raises(InputError):
            embedder.embed(["fine", bad])

    @pytest.mark.parametrize("odd", ["🙂🙂🙂", "word " * 20_000, "漢字かな交じり文", "x"])
    def test_odd_but_valid_text_gives_a_sensible_vector(self, embedder: Embedder, odd: str) -> None:
        vector = embedder.embed([odd])[0]
        assert np.all(np.isfinite(vector))
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
