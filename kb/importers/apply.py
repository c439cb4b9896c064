"""Writing imported records: idempotent by external id and content hash, committed in batches.

A record that fails validation or conflicts is reported with its location; the rest still import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kb.importers.common import Parsed, RowProblem
from kb.records import ArticleIn
from kb.store import Store
from kb.store.articles import save_article
from kb.store.canned import save_canned
from suggest.errors import ReplykitError

BATCH = 200


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    """created / updated / unchanged, per kind: e.g. ``article created``."""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(n for key, n in self.counts.items() if not key.endswith("unchanged"))


def apply_records(
    store: Store,
    tenant_id: str,
    parsed: Iterable[Parsed | RowProblem],
    *,
    source: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    batch: list[Parsed] = []

    def flush() -> None:
        with store.session() as session:
            for item in batch:
                try:
                    with session.begin_nested():  # a failing record rolls back alone
                        if isinstance(item.record, ArticleIn):
                            _, status = save_article(session, tenant_id, item.record)
                            report.counts[f"article {status}"] += 1
                        else:
                            _, status = save_canned(session, tenant_id, item.record, source=source)
                            report.counts[f"canned {status}"] += 1
                except ReplykitError as err:
                    report.problems.append(RowProblem(item.location, str(err)))
        if progress:
            progress(len(batch))
        batch.clear()

    for item in parsed:
        if isinstance(item, RowProblem):
            report.problems.append(item)
            if progress:
                progress(1)
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return report
