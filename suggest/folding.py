"""Case- and accent-folding, one character at a time through a cached table.

Keyword matching (suggest/analysis/matching.py), the intent head's n-grams and redaction
(training/redact/fold.py) all compare text folded: "Μαρία" = "μαρια", "geëlektrocuteerd" =
"geelektrocuteerd", final sigma = σ. ``str.translate`` over a table filled on first sight of each
character keeps this in C; the map back to original offsets is built only when asked for.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping


class FoldTable(dict[int, str]):
    """``str.translate`` table: each character casefolded, decomposed, without combining marks,
    then passed through ``replace`` (e.g. typographic apostrophes to plain ones)."""

    def __init__(self, replace: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.replace = dict(replace or {})
        self._ascii_lower = all(not old.isascii() for old in self.replace)
        """ASCII text only needs lowercasing unless ``replace`` rewrites ASCII characters."""
        self.irregular: set[str] = set()
        """Characters that fold to more or fewer than one character (ß -> ss, a lone accent)."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", char.casefold()) if not unicodedata.combining(c)
        )
        for old, new in self.replace.items():
            folded = folded.replace(old, new)
        if len(folded) != 1:
            self.irregular.add(char)
        self[codepoint] = folded
        return folded

    def fold(self, text: str) -> str:
        return text.lower() if self._ascii_lower and text.isascii() else text.translate(self)

    def origin(self, text: str) -> list[int]:
        """For each folded character, the index of the original character it came from."""
        return [i for i, char in enumerate(text) for _ in self[ord(char)]]
