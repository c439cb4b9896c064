"""The tenant's model versions (admin scope), per kind (``/v1/models/{kind}``: intent, emotion,
escalation): list them, promote one through the gate, roll back, switch a head off. The suggest
route picks up the change on its next request (training/tenant_models.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Admin, actor
from api.deps import Runtime
from kb.store.tenants import Principal
from suggest.errors import NotReadyError
from training.emotion import support_only_model
from training.registry import DEFAULT_MARGIN, ModelRegistry, PromotionResult, VersionInfo, gate_for
from training.registry_files import KINDS

router = APIRouter(prefix="/v1/models/{kind}", tags=["models"])
KindPath = Annotated[str, Path(pattern=f"^({'|'.join(KINDS)})$", description=f"One of {', '.join(KINDS)}.")]


class VersionOut(BaseModel):
    version: str
    created_at: str
    metrics: dict[str, Any] = Field(
        description="examples, accuracy and the kind's gate figure (macro_f1, sentiment_macro_f1, f1), "
        "where recorded."
    )
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


def _registry(request: Request, who: Principal, kind: str) -> ModelRegistry:
    return ModelRegistry(request.app.state.settings.data_dir, who.tenant_id, kind)


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
def list_versions(kind: KindPath, request: Request, who: Admin) -> VersionsOut:
    versions = _registry(request, who, kind).versions()
    active = next((info.version for info in versions if info.active), None)
    return VersionsOut(active=active, versions=[_info(info) for info in versions])


@router.post("/{version}/promote")
def promote(
    kind: KindPath,
    version: str,
    *,
    request: Request,
    who: Admin,
    runtime: Runtime,
    body: PromoteIn | None = None,
) -> PromotionOut:
    """Make ``version`` active if the gate passes: its figure (intent macro-F1, sentiment
    macro-F1, escalation F1) on its held-out examples at least the active model's (for emotion
    without one: the shipped heads') on the same examples minus ``margin``, and the kind's own
    checks (emotion macro-F1; the escalation head's precision floor); 409 when not."""
    embedder = runtime.embedder
    if embedder is None:
        raise NotReadyError(
            f"the model is {runtime.status}; the gate needs it, try again once /readyz is ready"
        )
    options = body or PromoteIn()
    result = _registry(request, who, kind).promote_gated(
        version,
        gate_for(kind, embedder, support_only_model),
        margin=options.margin,
        force=options.force,
        actor=actor(who),
    )
    return _result(result)


@router.post("/rollback")
def rollback(kind: KindPath, request: Request, who: Admin) -> PromotionOut:
    """Back to the version active before the current one (no gate)."""
    return _result(_registry(request, who, kind).rollback(actor=actor(who)))


class DeactivatedOut(BaseModel):
    previous: str = Field(description="The version that was active.")
    active: None = Field(default=None, description="No version of this kind is active now.")


@router.post("/deactivate")
def deactivate(kind: KindPath, request: Request, who: Admin) -> DeactivatedOut:
    """Switch the tenant's emotion or escalation head off (the shipped heads, or no learned
    escalation, serve again); 422 for intent, which suggestions need, or when none is active."""
    return DeactivatedOut(previous=_registry(request, who, kind).deactivate(actor=actor(who)))
