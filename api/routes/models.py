"""The tenant's intent model versions (admin scope): list them, promote one through the gate, roll
back. The suggest route picks up the change on its next request (training/tenant_models.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Admin, actor
from api.deps import Runtime
from kb.store.tenants import Principal
from suggest.errors import NotReadyError
from training.registry import DEFAULT_MARGIN, ModelRegistry, PromotionResult, VersionInfo, registry_evaluator

router = APIRouter(prefix="/v1/models/intent", tags=["models"])


class VersionOut(BaseModel):
    version: str
    created_at: str
    metrics: dict[str, Any] = Field(description="examples, accuracy, macro_f1 where the run recorded them.")
    active: bool
    data_sha256: str | None = Field(description="The training data's sha256.")
    has_holdout: bool = Field(description="Whether the version keeps held-out examples for the gate.")


class VersionsOut(BaseModel):
    active: str | None
    versions: list[VersionOut] = Field(description="Newest first.")


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    margin: float = Field(
        default=DEFAULT_MARGIN, ge=0.0, le=1.0, description="Allowed macro-F1 drop (0.01 = 1 point)."
    )
    force: bool = Field(default=False, description="Promote even if the gate refuses (recorded).")


class PromotionOut(BaseModel):
    version: str = Field(description="The version now active.")
    previous: str | None
    candidate_f1: float | None
    current_f1: float | None
    margin: float | None
    forced: bool
    examples: int = Field(description="Held-out examples the gate compared the two models on.")


def _registry(request: Request, who: Principal) -> ModelRegistry:
    return ModelRegistry(request.app.state.settings.data_dir, who.tenant_id)


def _info(info: VersionInfo) -> VersionOut:
    return VersionOut(
        version=info.version,
        created_at=info.created_at,
        metrics=info.metrics,
        active=info.active,
        data_sha256=info.data_sha256,
        has_holdout=info.has_holdout,
    )


def _result(result: PromotionResult) -> PromotionOut:
    return PromotionOut.model_validate(asdict(result))


@router.get("")
def list_versions(request: Request, who: Admin) -> VersionsOut:
    versions = _registry(request, who).versions()
    active = next((info.version for info in versions if info.active), None)
    return VersionsOut(active=active, versions=[_info(info) for info in versions])


@router.post("/{version}/promote")
def promote(
    version: str, request: Request, who: Admin, runtime: Runtime, body: PromoteIn | None = None
) -> PromotionOut:
    """Make ``version`` active if the gate passes: its macro-F1 on its held-out examples at least
    the active model's on the same examples minus ``margin``; 409 with the figures when not."""
    embedder = runtime.embedder
    if embedder is None:
        raise NotReadyError(
            f"the model is {runtime.status}; the gate needs it, try again once /readyz is ready"
        )
    options = body or PromoteIn()
    result = _registry(request, who).promote(
        version,
        evaluate=registry_evaluator(embedder),
        margin=options.margin,
        force=options.force,
        actor=actor(who),
    )
    return _result(result)


@router.post("/rollback")
def rollback(request: Request, who: Admin) -> PromotionOut:
    """Back to the version active before the current one (no gate)."""
    return _result(_registry(request, who).rollback(actor=actor(who)))
