"""The accurate mode with the real model: a short fine-tuning run on part of the demo's tickets
becomes a version whose int8 encoder passed its agreement check, and the tenant's pipeline then
labels held-out English, Dutch and Greek tickets through that encoder. (Its quality on BANKING77
is measured by eval/bench_accurate.py, not here.)"""

from __future__ import annotations

from pathlib import Path

from suggest.analysis.types import Analysis, Ticket
from suggest.models.prepare import PreparedModel
from suggest.protocols import Embedder
from training.demo import demo_examples, demo_tickets, ticket_text
from training.finetune import AccurateOptions
from training.registry import ModelRegistry, registry_evaluator
from training.run import TrainOptions, run_training
from training.tenant_models import load_tenant_pipeline

INTENTS = ("order_status", "account_access", "refund_request", "invoice_question", "cancel_order")


def test_a_short_accurate_run_serves_its_own_encoder(
    prepared: PreparedModel, serving_embedder: Embedder, tmp_path: Path
) -> None:
    examples = [e for e in demo_examples("train") if e.label in INTENTS]
    registry = ModelRegistry(tmp_path, "acme")
    options = TrainOptions(mode="accurate", accurate=AccurateOptions(max_steps=24))
    result = run_training(
        registry, examples, serving_embedder, options, {"demo": True}, base_model=prepared.folder
    )
    tuning = result.report["tuning"]
    assert tuning["steps"] == 24 and tuning["encoder"].startswith(f"{prepared.folder.name}+tuned-")
    assert result.evaluation.accuracy >= 0.9  # the held-out split of the same intents

    registry.promote(result.version.version, evaluate=registry_evaluator(serving_embedder), force=True)
    pipeline = load_tenant_pipeline(tmp_path, "acme", serving_embedder)
    assert pipeline.intent is not None and pipeline.intent.encoder is not None
    rows = [r for r in demo_tickets("test") if r["intent"] in INTENTS]
    assert {r["language"] for r in rows} == {"en", "nl", "el"}
    results = pipeline.analyze_many([Ticket(text=ticket_text(r)) for r in rows])
    right = 0
    for analysis, row in zip(results, rows, strict=True):
        assert isinstance(analysis, Analysis) and analysis.intent is not None
        right += analysis.intent.top[0].label == row["intent"]
    assert right / len(rows) >= 0.8
