"""Case- and accent-folded text with a map back to the original offsets (suggest/folding.py).

Names are compared folded ("Μαρία" = "μαρια", "Zoë" = "zoe"); the offset map is built only when
some character folds to more or fewer than one character (ß -> ss, a stray combining accent).
"""

from __future__ import annotations

from suggest.folding import FoldTable

_TABLE = FoldTable(replace={"’": "'"})


def fold(text: str) -> str:
    """Casefolded, without accents, typographic apostrophes plain; Greek final sigma becomes σ."""
    return _TABLE.fold(text)


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
            self._origin = _TABLE.origin(self.original)
        return self._origin[start], self._origin[end - 1] + 1
