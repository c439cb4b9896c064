"""Every embedder refuses the same bad input with the same clear message."""

from __future__ import annotations

import pytest

from suggest.embed.text import MAX_CHARS, validate_texts
from suggest.errors import InputError


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([""], "text 1 is empty"),
        (["ok", "  \n\t "], "text 2 is empty or only whitespace"),
        (["\x00\x00"], "text 1 is empty"),
        (["fine", 42], "text 2: expected a string, got int"),
        (["x" * (MAX_CHARS + 1)], "the limit is 200,000"),
        (["caf\udce9"], "not valid UTF-8"),
    ],
)
def test_bad_input_is_refused_with_a_reason(texts: list[object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        validate_texts(texts)  # type: ignore[arg-type]


def test_a_bare_string_is_not_mistaken_for_a_list() -> None:
    with pytest.raises(InputError, match="single string"):
        validate_texts("hello")


def test_good_input_passes_with_nul_removed() -> None:
    assert validate_texts(["hel\x00lo", "🙂", "x" * MAX_CHARS]) == ["hello", "🙂", "x" * MAX_CHARS]
    assert validate_texts([]) == []
