"""An immutable, loaded index build plus the arrays its filters run on.

Searches hold a reference to one snapshot for their whole duration, so a rebuild that swaps in a
new snapshot can never hand a reader a half-built index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from kb.index.vectors import VectorIndex
from kb.store.items import IndexItem, Kind


@dataclass(frozen=True)
class Filters:
    language: str | None = None
    kinds: tuple[Kind, ...] = ()
    category: str | None = None
    intent: str | None = None
    exclude_groups: frozenset[str] = frozenset()
    """``kind:group`` keys, e.g. ``passage:warranty-overview``, to leave out."""


@dataclass
class Snapshot:
    build_id: str
    model: str
    content_digest: str
    index: VectorIndex
    items: list[IndexItem]
    _masks: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        return {
            "language": np.array([i.language for i in self.items], dtype=object),
            "kind": np.array([i.kind for i in self.items], dtype=object),
            "category": np.array([i.category for i in self.items], dtype=object),
            "group": np.array([f"{i.kind}:{i.group}" for i in self.items], dtype=object),
        }

    def _mask(self, column: str, value: str) -> np.ndarray:
        key = (column, value)
        if key not in self._masks:
            if column == "intent":
                self._masks[key] = np.array([value in i.intents for i in self.items], dtype=bool)
            else:
                self._masks[key] = self._columns[column] == value
        return self._masks[key]

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Rows that pass ``filters``; None when nothing is filtered."""
        masks: list[np.ndarray] = []
        if filters.language:
            masks.append(self._mask("language", filters.language))
        if filters.kinds:
            masks.append(np.logical_or.reduce([self._mask("kind", k) for k in filters.kinds]))
        if filters.category:
            # the category and intent filters apply to canned responses; passages pass through
            masks.append(self._mask("category", filters.category) | self._mask("kind", "passage"))
        if filters.intent:
            masks.append(self._mask("intent", filters.intent) | self._mask("kind", "passage"))
        if filters.exclude_groups:
            masks.append(~np.isin(self._columns["group"], list(filters.exclude_groups)))
        return np.logical_and.reduce(masks) if masks else None

    def languages(self) -> set[str]:
        return {i.language for i in self.items}
