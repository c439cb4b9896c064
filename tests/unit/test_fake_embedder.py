from __future__ import annotations

import numpy as np
import pytest

from suggest.embed.fake import HashingEmbedder
from tests.embedder_contract import EmbedderContract


class TestHashingEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> HashingEmbedder:
        return HashingEmbedder()


def test_shared_words_make_texts_closer() -> None:
    e = HashingEmbedder()
    a, b, c = e.embed(["where is my package", "my package is late", "reset the password"])
    assert a @ b > a @ c


def test_same_vectors_across_instances() -> None:
    np.testing.assert_array_equal(HashingEmbedder(64).embed(["abc"]), HashingEmbedder(64).embed(["abc"]))


def test_dimension_is_validated() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        HashingEmbedder(2)
