"""Prometheus metrics at ``/metrics``: request latency (by route), what the engine did, and which
model and index versions answer each tenant. One registry per app, so tests can build many apps."""

from __future__ import annotations

import secrets

from fastapi import FastAPI, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Info, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import SecretStr

from suggest.suggestions.types import SuggestResult


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.tickets = Counter(
            "replykit_tickets", "Tickets given suggestions.", ["endpoint"], registry=self.registry
        )
        self.suggestions = Counter(
            "replykit_suggestions", "Suggestions served, by kind.", ["kind"], registry=self.registry
        )
        self.abstentions = Counter(
            "replykit_abstentions", "Tickets for which nothing was suggested.", registry=self.registry
        )
        self.escalations = Counter(
            "replykit_escalations", "Escalated tickets, by trigger.", ["reason"], registry=self.registry
        )
        self.feedback = Counter(
            "replykit_feedback", "New feedback events, by action.", ["action"], registry=self.registry
        )
        self.versions = Info(
            "replykit_versions",
            "Model and index versions last used, per tenant.",
            ["tenant"],
            registry=self.registry,
        )

    def observe(self, tenant_id: str, endpoint: str, results: list[SuggestResult]) -> None:
        for result in results:
            self.tickets.labels(endpoint).inc()
            for suggestion in result.suggestions:
                self.suggestions.labels(suggestion.kind).inc()
            if result.abstained:
                self.abstentions.inc()
            for reason in result.escalation.reasons:
                self.escalations.labels(reason.code).inc()
        if results:
            self.versions.labels(tenant_id).info(results[-1].versions)

    def install(self, app: FastAPI, token: SecretStr | None) -> None:
        """Latency by route, and ``/metrics``; with ``token``, scrapes must send it as a bearer token,
        since the metrics name every tenant."""
        Instrumentator(registry=self.registry, excluded_handlers=["/metrics"]).instrument(
            app, metric_namespace="replykit"
        )

        @app.get("/metrics", include_in_schema=False)
        def metrics(request: Request) -> Response:
            if token is not None:
                sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                if not secrets.compare_digest(sent.encode(), token.get_secret_value().encode()):
                    raise HTTPException(401, "/metrics needs the REPLYKIT_METRICS_TOKEN as a bearer token")
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
