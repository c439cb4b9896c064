"""Suggestion quality on the demo's held-out tickets (``python -m eval.eval_suggest``): issue 5's targets.

- Top-3 hit rate: of the test tickets whose intent has a canned reply, how many get a reply mapped
  to that intent among the first three suggestions (target ≥ 95 %).
- Abstention: of the out-of-scope tickets, how many get no suggestion (target ≥ 80 %).
- Duplicates: suggestion lists holding the same reply twice (target 0).
Also reported: coverage (tickets with any suggestion) per kind of ticket, and the same figures
per language. ``--grid`` sweeps the ranker's thresholds and prints each setting's figures.

The demo content is loaded into a temporary library; the demo intent model is the one
``make run`` trains (it is trained here when missing).
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from eval.bench_embed import machine_facts
from kb.db.engine import make_engine
from kb.db.schema import CannedResponse
from kb.demo import DEMO_TENANT, load_demo
from kb.library import Library
from kb.store import Store
from suggest.analysis.intent import OUT_OF_SCOPE
from suggest.analysis.types import Ticket
from suggest.config import get_settings
from suggest.embed.loader import load_embedder
from suggest.protocols import Embedder
from suggest.suggestions.engine import SuggestionEngine
from suggest.suggestions.ranking import RankingOptions
from suggest.suggestions.retrieval import AGENT_CATEGORIES
from suggest.suggestions.types import SuggestRequest, SuggestResult
from training.demo import demo_tickets, ensure_demo_intent
from training.tenant_models import load_tenant_pipeline

console = Console()
TARGETS = {"top3": 0.95, "abstain_out_of_scope": 0.80, "duplicates": 0}
BATCH = 32


@contextmanager
def demo_engine(embedder: Embedder, options: RankingOptions | None = None) -> Iterator[SuggestionEngine]:
    """The demo tenant in a throw-away library, with the demo intent model of ``make run``."""
    settings = get_settings()
    ensure_demo_intent(settings.data_dir, embedder)
    pipeline = load_tenant_pipeline(settings.data_dir, DEMO_TENANT, embedder)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(make_engine(f"sqlite:///{Path(tmp) / 'kb.sqlite'}"))
        library = Library(store, embedder, Path(tmp) / "index")
        load_demo(library)
        yield SuggestionEngine(store, library.search, lambda _tenant: pipeline, options)
        store.close()


def answered_intents(engine: SuggestionEngine) -> dict[str, set[str]]:
    """Intent -> the canned replies an agent could answer it with (the gold standard)."""
    out: dict[str, set[str]] = defaultdict(set)
    with engine.store.session() as session:
        for row in session.scalars(select(CannedResponse).where(CannedResponse.tenant_id == DEMO_TENANT)):
            if row.category in AGENT_CATEGORIES:
                for intent in row.intents:
                    out[intent].add(row.external_id)
    return out


def run(engine: SuggestionEngine, rows: list[dict[str, Any]]) -> list[SuggestResult]:
    requests = [
        SuggestRequest(
            ticket=Ticket(id=f"t{i}", text=r["text"], subject=r.get("subject"), channel=r["channel"])
        )
        for i, r in enumerate(rows)
    ]
    results: list[SuggestResult] = []
    for start in range(0, len(requests), BATCH):
        for outcome in engine.suggest_many(DEMO_TENANT, requests[start : start + BATCH], "eval"):
            assert isinstance(outcome, SuggestResult), outcome
            results.append(outcome)
    return results


def score(
    rows: list[dict[str, Any]], results: list[SuggestResult], gold: dict[str, set[str]]
) -> dict[str, Any]:
    by_language: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    misses = []
    duplicates = 0
    for row, result in zip(rows, results, strict=True):
        ids = [(s.kind, s.source_id) for s in result.suggestions]
        duplicates += len(ids) != len(set(ids))
        canned = [s.source_id for s in result.suggestions[:3] if s.kind == "canned"]
        intent = row["intent"]
        for language in (row["language"], "all"):
            bucket = by_language[language]
            if intent in (OUT_OF_SCOPE, None):
                bucket["abstain_out_of_scope"].append(int(not result.suggestions))
            elif intent in gold:
                hit = bool(set(canned) & gold[intent])
                bucket["top3"].append(int(hit))
                if not hit and language == "all":
                    misses.append(
                        {
                            "intent": intent,
                            "language": row["language"],
                            "got": canned,
                            "why": result.abstained,
                        }
                    )
            else:
                bucket["covered_without_canned"].append(int(bool(result.suggestions)))
            bucket["suggested_any"].append(int(bool(result.suggestions)))
            if result.escalation.escalate:
                first = result.suggestions[0].explanation.escalation_first if result.suggestions else False
                bucket["escalated_ack_first"].append(int(first))
    figures = {
        language: {name: round(sum(v) / len(v), 4) for name, v in bucket.items()}
        | {"n": len(bucket["suggested_any"])}
        for language, bucket in by_language.items()
    }
    return {"figures": figures, "duplicates": duplicates, "misses": misses}


GRID = {
    "min_score": (0.225, 0.25, 0.275, 0.3, 0.325),
    "similarity_floor": (0.72, 0.75, 0.78),
    "intent_weight": (0.5, 0.6),
}


def main(
    grid: Annotated[bool, typer.Option(help="Sweep the ranker's thresholds.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
) -> None:
    embedder = load_embedder(get_settings())
    rows = demo_tickets("test")
    report: dict[str, Any] = {"date": datetime.now(UTC).date().isoformat(), "machine": machine_facts()}
    with demo_engine(embedder) as engine:
        gold = answered_intents(engine)
        started = time.perf_counter()
        results = run(engine, rows)
        report["seconds"] = round(time.perf_counter() - started, 1)
        report["options"] = engine.options.model_dump()
        report |= score(rows, results, gold)
        if grid:
            report["grid"] = []
            for values in itertools.product(*GRID.values()):
                engine.options = RankingOptions.model_validate(dict(zip(GRID, values, strict=True)))
                scored = score(rows, run(engine, rows), gold)
                report["grid"].append(
                    {"options": dict(zip(GRID, values, strict=True))} | scored["figures"]["all"]
                )
    _print(report)
    if out:
        out.write_text(json.dumps(report, indent=1, ensure_ascii=False))


def _print(report: dict[str, Any]) -> None:
    table = Table("language", "n", "top-3 hit", "abstain (out of scope)", "suggested (no canned intent)")
    for language, f in sorted(report["figures"].items()):
        table.add_row(
            language,
            str(f["n"]),
            f"{f.get('top3', 0):.1%}",
            f"{f.get('abstain_out_of_scope', 0):.1%}",
            f"{f.get('covered_without_canned', 0):.1%}",
        )
    console.print(table)
    n = report["figures"]["all"]["n"]
    console.print(f"duplicates: {report['duplicates']}; {report['seconds']} s for {n} tickets")
    for miss in report["misses"][:40]:
        console.print(f"  miss: {miss}")
    for row in report.get("grid", []):
        console.print(row)


if __name__ == "__main__":
    typer.run(main)
