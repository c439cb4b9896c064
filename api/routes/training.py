"""Training jobs (admin scope): start one, follow its progress and logs, cancel it.

A job is a row in the database and an id in the queue; the worker (a thread in this process, or
``replykit worker``) runs it with the model this process already loaded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Admin, actor
from api.deps import StoreDep
from api.routes.kb_common import Limit, Offset, Page
from api.runtime import ModelRuntime
from kb.db.schema import TrainingJob
from kb.store import Store, jobs
from kb.store.tenants import Principal
from suggest.config import Settings
from suggest.embed.loader import base_folder
from suggest.errors import InputError, NotReadyError
from suggest.protocols import Embedder
from training.jobs import JobWorker, has_labelled_history, no_history_message
from training.run import TrainOptions

router = APIRouter(prefix="/v1/training/jobs", tags=["training"])
Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label_field: str = Field(
        default="intent",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="The imported history's field that holds each ticket's intent.",
    )
    options: TrainOptions = Field(default_factory=TrainOptions)
    promote: bool = Field(default=False, description="Make the new version active if it passes the gate.")


class LogLine(BaseModel):
    at: str
    message: str


class JobSummary(BaseModel):
    id: int
    kind: str
    status: Status
    progress: float = Field(description="0 to 1.")
    stage: str
    promote: bool
    source: dict[str, Any]
    options: dict[str, Any]
    result: dict[str, Any] | None = Field(
        description="Version, evaluation figures, promotion; once succeeded."
    )
    error: str | None
    cancel_requested: bool
    attempts: int
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobOut(JobSummary):
    logs: list[LogLine] = Field(description="The last 200 lines, oldest first.")


def make_worker(settings: Settings, store: Store, runtime: ModelRuntime) -> JobWorker:
    """The app's worker, on the model the runtime loads (never a second copy of it)."""

    def embedder() -> Embedder:
        if runtime.embedder is None:
            raise NotReadyError(f"the model is {runtime.status}; training needs it loaded")
        return runtime.embedder

    return JobWorker(
        store,
        settings.data_dir,
        embedder,
        ready=lambda: runtime.status != "loading",
        base_model=lambda: base_folder(settings),
    )


def _summary(job: TrainingJob) -> dict[str, Any]:
    return {name: getattr(job, name) for name in JobSummary.model_fields}


def _out(job: TrainingJob) -> JobOut:
    return JobOut.model_validate(_summary(job) | {"logs": job.logs})


def _worker(request: Request) -> JobWorker:
    worker: JobWorker = request.app.state.jobs
    return worker


@router.post("", status_code=202)
def submit(body: JobIn, request: Request, who: Admin, store: StoreDep) -> JobOut:
    """Queue a training run on the tenant's imported history; 202 with the job to follow."""
    with store.session() as session:
        if not has_labelled_history(session, who.tenant_id, body.label_field):
            raise InputError(no_history_message(who.tenant_id, body.label_field))
        job = jobs.create_job(
            session,
            who.tenant_id,
            options=body.options.model_dump(mode="json"),
            source={"history": who.tenant_id, "label_field": body.label_field},
            promote=body.promote,
            requested_by=actor(who),
        )
        job_id = job.id
    _worker(request).queue.enqueue(job_id)  # after the commit: the worker must find the row
    return _read(store, who, job_id)


def _read(store: Store, who: Principal, job_id: int) -> JobOut:
    with store.session() as session:
        return _out(jobs.get_job(session, who.tenant_id, job_id))


@router.get("")
def list_jobs(
    who: Admin,
    store: StoreDep,
    offset: Offset = 0,
    limit: Limit = 50,
    status: Annotated[Status | None, Query(description="Only jobs with this status.")] = None,
) -> Page[JobSummary]:
    """The tenant's jobs, newest first."""
    with store.session() as session:
        rows, total = jobs.list_jobs(session, who.tenant_id, status=status, offset=offset, limit=limit)
        items = [JobSummary.model_validate(_summary(job)) for job in rows]
    return Page[JobSummary](items=items, total=total, offset=offset, limit=limit)


@router.get("/{job_id}")
def get_job(job_id: int, who: Admin, store: StoreDep) -> JobOut:
    return _read(store, who, job_id)


@router.post("/{job_id}/cancel")
def cancel(job_id: int, who: Admin, store: StoreDep) -> JobOut:
    """A queued job is cancelled at once; a running one stops at its next check (see ``stage`` and
    ``cancel_requested``); a finished one answers 409."""
    with store.session() as session:
        return _out(jobs.request_cancel(session, who.tenant_id, job_id, actor(who)))
