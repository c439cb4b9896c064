"""Case- and accent-folded text with a map back to the original offsets.

Names are compared folded ("Μαρία" = "μαρια", "Zoë" = "zoe"). Folding one character at a time
through a cached table keeps this in C for the common case; the offset map is built only when some
character folds to more or fewer than one character (ß -> ss, a stray combining accent).
"""

from __future__ import annotations

import unicodedata


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", char.casefold()) if not unicodedata.combining(c)
        )
        folded = folded.replace("’", "'")
        if len(folded) != 1:
            self.irregular.add(char)
        self[codepoint] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Casefolded, without accents; Greek final sigma becomes σ (casefold does that)."""
    return text.lower() if text.isascii() else text.translate(_TABLE)


class Folded:
    """A text's folded form; the map back to original offsets is built on the first match only."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.text = fold(original)
        self._regular = len(self.text) == len(original) and (
            original.isascii() or _TABLE.irregular.isdisjoint(original)
        )
        self._origin: list[int] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the folded span ``[start, end)`` (``end > start``)."""
        if self._regular:
            return start, end
        if self._origin is None:
            self._origin = [i for i, char in enumerate(self.original) for _ in _TABLE[ord(char)]]
        return self._origin[start], self._origin[end - 1] + 1
