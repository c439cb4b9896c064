"""``RedactionReport``: what an import redacted, by type, for the admin and the audit log (counts only)."""

from __future__ import annotations

from collections import Counter

from training.redact.rules import PLACEHOLDERS


class RedactionReport:
    """Accumulates ``Redacted.counts`` over a whole import; holds numbers, never text."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self.texts = 0
        """Texts added."""
        self.texts_redacted = 0
        """Texts in which at least one span was replaced."""

    def add(self, counts: Counter[str]) -> None:
        positive = {kind: n for kind, n in counts.items() if n > 0}
        self._counts.update(positive)
        self.texts += 1
        self.texts_redacted += bool(positive)

    def as_dict(self) -> dict[str, int]:
        """Every type present, sorted; the built-in types always, with zeros."""
        kinds = sorted(set(PLACEHOLDERS) | set(self._counts))
        return {kind: self._counts[kind] for kind in kinds}

    @property
    def total(self) -> int:
        return sum(self._counts.values())
