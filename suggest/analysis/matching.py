"""Find keyword patterns in customer text the way customers type it, and quote what matched.

Greek customers often drop accents and Dutch customers write "geelektrocuteerd" for
"geëlektrocuteerd", so text and patterns are compared casefolded and without accents (final
sigma folded too). An offset map turns a match in the folded text back into the customer's own
words, which become the escalation evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from suggest.folding import FoldTable

EVIDENCE_CONTEXT = 30
"""Characters of context on each side of a match in the evidence, cut at word boundaries."""


_TABLE = FoldTable()


def fold(text: str) -> str:
    """Casefold and strip accents; the form patterns are written in."""
    return _TABLE.fold(text)


@lru_cache(maxsize=4096)
def compile_terms(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation; every term must start at a word start and may end mid-word (stems)."""
    if not terms:
        return None
    return re.compile("|".join(f"(?<!\\w)(?:{fold_pattern(term)})" for term in terms))


def fold_pattern(pattern: str) -> str:
    """Fold a regular expression's literal text but not its escapes (``\\W`` must stay ``\\W``)."""
    parts = re.split(r"(\\.)", pattern)
    return "".join(part if part.startswith("\\") else fold(part) for part in parts)


@dataclass(frozen=True)
class FoldedText:
    original: str
    folded: str
    origin: list[int]

    @classmethod
    def of(cls, text: str) -> FoldedText:
        return cls(text, _TABLE.fold(text), _TABLE.origin(text))

    def find(self, pattern: re.Pattern[str]) -> str | None:
        """The first match as evidence: the customer's words with a little context."""
        match = pattern.search(self.folded)
        if match is None:
            return None
        start = self.origin[match.start()]
        end = self.origin[max(match.end() - 1, match.start())] + 1
        return self.quote(start, end)

    def quote(self, start: int, end: int) -> str:
        left = max(0, start - EVIDENCE_CONTEXT)
        right = min(len(self.original), end + EVIDENCE_CONTEXT)
        while left > 0 and not self.original[left - 1].isspace() and left < start:
            left += 1
        while right < len(self.original) and not self.original[right].isspace() and right > end:
            right -= 1
        snippet = " ".join(self.original[left:right].split())
        return f"{'…' if left > 0 else ''}{snippet}{'…' if right < len(self.original) else ''}"
