"""Validation shared by every embedder, so bad input fails the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence

from suggest.errors import InputError

MAX_CHARS = 200_000
"""Longer texts are refused; models read only the first 512 tokens (roughly 2,000 characters) anyway."""


def _first_undecodable(text: str) -> int:
    """Index of the first lone surrogate (how Python carries invalid UTF-8 bytes), or -1."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return err.start
    return -1


def validate_texts(texts: Sequence[str]) -> list[str]:
    """Check each text and return them with NUL characters removed.

    Raises InputError for non-strings, empty or whitespace-only text, text over MAX_CHARS,
    and text that carries undecodable bytes (lone surrogates from invalid UTF-8).
    """
    if isinstance(texts, str):
        raise InputError("expected a list of texts, got a single string; wrap it in a list")
    cleaned: list[str] = []
    for n, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise InputError(f"text {n}: expected a string, got {type(text).__name__}")
        cleaned_text = text.replace("\x00", "")
        if not cleaned_text.strip():
            raise InputError(f"text {n} is empty or only whitespace; give some words to embed")
        if len(cleaned_text) > MAX_CHARS:
            raise InputError(
                f"text {n} has {len(cleaned_text):,} characters, the limit is {MAX_CHARS:,}; "
                "split it or send only the part that matters (the model reads ~2,000 characters)"
            )
        bad = _first_undecodable(cleaned_text)
        if bad >= 0:
            raise InputError(
                f"text {n} is not valid UTF-8 (undecodable byte at character {bad}); re-encode it as UTF-8"
            )
        cleaned.append(cleaned_text)
    return cleaned
