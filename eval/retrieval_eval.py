"""``replykit eval retrieval``: question → FAQ article, through replykit's own knowledge base (import,
passages, index, search) and a BM25 baseline (bm25s) on the same articles and queries (issue 7).

The articles are imported into a temporary library exactly as a tenant's KB would be; each query
is a user's paraphrase of one article's question, and that article is the one right answer.
recall@1/5/10 and MRR come from eval/metrics.py.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import mean_reciprocal_rank, recall_at_k
from suggest.errors import InputError
from suggest.protocols import Embedder

STACKFAQ = Path("stackfaq") / "StackFAQ" / "stackExchange-FAQ.json"
TENANT = "eval"
K_VALUES = (1, 5, 10)
SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str


@dataclass(frozen=True)
class FaqSet:
    articles: list[Article]
    queries: list[tuple[str, str]]
    """(query text, id of the one right article)."""
    sha256: str


def read_stackfaq(path: Path) -> FaqSet:
    """StackFAQ's JSON: each ``qapair`` is an article (question, answers) with user paraphrases."""
    if not path.is_file():
        raise InputError(f"StackFAQ is not at {path}; give --data-dir, the folder that holds stackfaq/.")
    raw = path.read_bytes()
    try:
        articles, queries = _parse(json.loads(raw)["root"]["qapair"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(
            f'{path} is not StackFAQ\'s JSON: expected {{"root": {{"qapair": [{{"question", "answer", '
            '"rephr"}, ...]}}; check the file.'
        ) from None
    return FaqSet(articles, queries, hashlib.sha256(raw).hexdigest())


def _parse(pairs: list[dict[str, Any]]) -> tuple[list[Article], list[tuple[str, str]]]:
    articles, queries = [], []
    for n, pair in enumerate(pairs):
        answers = pair["answer"] if isinstance(pair["answer"], list) else [pair["answer"]]
        article = Article(f"faq-{n:03d}", str(pair["question"]).strip(), "\n\n".join(map(str, answers)))
        articles.append(article)
        queries += [
            (q.strip(), article.id)
            for q in pair["rephr"]
            if isinstance(q, str) and sum(c.isalpha() for c in q) >= 3  # StackFAQ has "*" and nulls
        ]
    return articles, queries


def replykit_rankings(faq: FaqSet, embedder: Embedder, k: int) -> list[list[str]]:
    """Each query's top ``k`` article ids from replykit's KB search over a fresh library."""
    from kb.db.engine import make_engine
    from kb.library import Library
    from kb.store import Store

    with tempfile.TemporaryDirectory(prefix="replykit-eval-") as tmp:
        source = Path(tmp) / "faq.jsonl"
        lines = [
            json.dumps(
                {"type": "article", "external_id": a.id, "language": "en", "title": a.title, "body": a.body}
            )
            for a in faq.articles
        ]
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        library = Library(Store(make_engine(f"sqlite:///{tmp}/kb.db")), embedder, Path(tmp) / "index")
        try:
            report, _ = library.import_path(TENANT, source)
            if report.problems:
                raise InputError(f"the FAQ did not import cleanly: {report.problems[:3]}")
            return [
                [hit.external_id for hit in library.search.search(TENANT, q, k=k).hits]
                for q, _ in faq.queries
            ]
        finally:
            library.close()


def bm25_rankings(faq: FaqSet, k: int) -> list[list[str]]:
    """BM25 (bm25s, English stop words) over title and body; a zero score is no match."""
    import bm25s

    corpus = [f"{a.title}\n{a.body}" for a in faq.articles]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
    queries = bm25s.tokenize([q for q, _ in faq.queries], stopwords="en", show_progress=False)
    found, scores = retriever.retrieve(queries, k=min(k, len(corpus)), show_progress=False)
    return [
        [faq.articles[int(i)].id for i, s in zip(row, row_scores, strict=True) if s > 0]
        for row, row_scores in zip(found, scores, strict=True)
    ]


def _figures(ranked: Sequence[Sequence[str]], right: list[set[str]]) -> dict[str, float]:
    figures = {f"recall@{k}": round(recall_at_k(ranked, right, k), 4) for k in K_VALUES}
    return {**figures, "mrr": round(mean_reciprocal_rank(ranked, right), 4)}


def run_retrieval_eval(faq: FaqSet, embedder: Embedder, out: Path) -> dict[str, Any]:
    """Rank with both systems, score, and write summary.json and summary.md into ``out``."""
    if not faq.queries:
        raise InputError("the FAQ set has no queries; nothing to evaluate.")
    right = [{article} for _, article in faq.queries]
    systems: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    ranked = replykit_rankings(faq, embedder, max(K_VALUES))
    systems["replykit"] = {**_figures(ranked, right), "seconds": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    ranked = bm25_rankings(faq, max(K_VALUES))
    systems["bm25"] = {**_figures(ranked, right), "seconds": round(time.perf_counter() - started, 2)}
    summary = {
        "articles": len(faq.articles),
        "queries": len(faq.queries),
        "data_sha256": faq.sha256,
        "embedder": embedder.name,
        "systems": systems,
        "ratios": {
            metric: round(systems["replykit"][metric] / systems["bm25"][metric], 3)
            if systems["bm25"][metric]
            else None
            for metric in ("recall@1", "recall@5", "recall@10", "mrr")
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_JSON).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / SUMMARY_MD).write_text(_markdown(summary), encoding="utf-8")
    return summary


def _markdown(summary: dict[str, Any]) -> str:
    header = "| system | recall@1 | recall@5 | recall@10 | MRR | seconds |"
    rows = [header, "|---|---|---|---|---|---|"]
    for name, f in summary["systems"].items():
        rows.append(
            f"| {name} | {f['recall@1']} | {f['recall@5']} | {f['recall@10']} | {f['mrr']} | {f['seconds']} |"
        )
    ratios = ", ".join(f"{metric} {value}" for metric, value in summary["ratios"].items())
    lines = [
        "# Retrieval evaluation: replykit and BM25",
        "",
        f"{summary['articles']} articles, {summary['queries']} queries; embedder {summary['embedder']}; "
        f"data sha256 {summary['data_sha256'][:12]}.",
        "",
        *rows,
        "",
        f"replykit ÷ BM25: {ratios}.",
    ]
    return "\n".join(lines) + "\n"
