"""Training jobs: the record of truth for every background run (the queue only carries ids).

Every change of state is one conditional ``UPDATE ... WHERE status = ...`` whose row count says
whether it happened, so two workers can never both claim a job, and a cancel never races a finish
into an impossible state. Writes that read the row first (appending a log line) take the row's write
lock with an UPDATE before they read, so SQLite's WAL snapshot is the newest one and no line is lost.

A running job whose attempt ends without an outcome (a shutdown, a dead worker) goes back to the
queue, unless a cancel is pending: then it is cancelled, since a claim refuses a job with a pending
cancel and it would otherwise wait in the queue for ever.

Log lines and errors are written by replykit's own code and never quote ticket text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from kb.db.schema import TrainingJob
from kb.store.common import owned, page_of
from suggest.errors import ConflictError, InputError

J = TrainingJob
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = ("succeeded", "failed", "cancelled")
MAX_LOG_LINES = 200
MAX_MESSAGE = 300


def now() -> datetime:
    return datetime.now(UTC)


def _line(message: str, at: datetime | None = None) -> dict[str, Any]:
    return {"at": (at or now()).isoformat(timespec="seconds"), "message": message[:MAX_MESSAGE]}


@dataclass(frozen=True)
class Heartbeat:
    """What a running job's worker learns on each write: whether it still owns the job, and
    whether someone asked to cancel it."""

    owned: bool
    cancel_requested: bool


def create_job(
    session: Session,
    tenant_id: str,
    *,
    options: dict[str, Any],
    source: dict[str, Any],
    promote: bool,
    requested_by: str,
    kind: str = "intent",
) -> TrainingJob:
    """A queued job, for a worker to claim."""
    return _add_job(
        session,
        J(tenant_id=tenant_id, kind=kind, options=options, source=source, promote=promote),
        requested_by,
        status="queued",
        stage="queued",
        logs=[_line(f"queued by {requested_by}")],
        attempts=0,
    )


def start_job(
    session: Session,
    tenant_id: str,
    worker: str,
    *,
    options: dict[str, Any],
    source: dict[str, Any],
    promote: bool,
    requested_by: str,
    kind: str = "intent",
) -> TrainingJob:
    """A job created already running and owned by ``worker``, for a run in the foreground
    (``replykit train``): it is never queued, so no worker can claim it before its caller runs it."""
    at = now()
    return _add_job(
        session,
        J(tenant_id=tenant_id, kind=kind, options=options, source=source, promote=promote),
        requested_by,
        status="running",
        stage="starting",
        logs=[_line(f"started by {requested_by} in the foreground (attempt 1)", at)],
        attempts=1,
        started_at=at,
        heartbeat_at=at,
        worker=worker,
    )


def _add_job(session: Session, job: TrainingJob, requested_by: str, **state: Any) -> TrainingJob:
    """Give a new job the fields every new job starts with, plus ``state`` (queued or running), and
    insert it, so that ``create_job`` and ``start_job`` cannot drift apart on the shared ones."""
    job.progress = 0.0
    job.cancel_requested = False
    job.requested_by = requested_by[:200]
    for name, value in state.items():
        setattr(job, name, value)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, tenant_id: str, job_id: int) -> TrainingJob:
    """The job as stored now, or NotFoundError when it does not exist *or belongs to another tenant*."""
    hint = f"`replykit jobs list --tenant {tenant_id}` lists them"
    return owned(session, J, tenant_id, job_id, hint=hint, fresh=True)


def find_job(session: Session, job_id: int) -> TrainingJob | None:
    """Any tenant's job, for the worker: the queue hands it an id, not a tenant."""
    return session.get(J, job_id, populate_existing=True)


def list_jobs(
    session: Session, tenant_id: str, *, status: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[TrainingJob], int]:
    """A page of the tenant's jobs, newest first, and how many there are in all."""
    where: list[ColumnElement[bool]] = [J.tenant_id == tenant_id]
    if status is not None:
        if status not in STATUSES:
            raise InputError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
        where.append(J.status == status)
    return page_of(session, J, where, order=[J.id.desc()], offset=offset, limit=limit)


def _changed(session: Session, job_id: int, where: Sequence[ColumnElement[bool]], **values: Any) -> bool:
    result = session.execute(update(J).where(J.id == job_id, *where).values(**values))
    return bool(getattr(result, "rowcount", 0))


def _append(session: Session, job_id: int, messages: Sequence[str]) -> None:
    """Append log lines, keeping the last MAX_LOG_LINES. Call only after an UPDATE of the row in the
    same transaction (it holds the row's write lock, so the read below is the newest one)."""
    if not messages:
        return
    logs = session.scalar(select(J.logs).where(J.id == job_id)) or []
    at = now()
    logs = [*logs, *(_line(m, at) for m in messages)][-MAX_LOG_LINES:]
    session.execute(update(J).where(J.id == job_id).values(logs=logs))


def _cancel_pending(
    session: Session, job_id: int, where: Sequence[ColumnElement[bool]], message: str
) -> bool:
    """Cancel the job if a cancel is pending and ``where`` holds."""
    cancelled = _changed(
        session,
        job_id,
        [*where, J.cancel_requested.is_(True)],
        status="cancelled",
        stage="cancelled",
        finished_at=now(),
        heartbeat_at=None,
    )
    if cancelled:
        _append(session, job_id, [message])
    return cancelled


def _end_attempt(
    session: Session,
    job_id: int,
    where: Sequence[ColumnElement[bool]],
    values: dict[str, Any],
    *,
    message: str,
    cancelled: str,
) -> Literal["ended", "cancelled"] | None:
    """A running attempt that ends without an outcome: ``values`` (queued again, or failed), or
    cancelled when a cancel is pending. None when ``where`` no longer holds.

    A cancel may land between the two UPDATEs (where a database does not lock the row for the
    first); ``cancel_requested`` is only ever switched on, so trying the cancel once more settles it."""
    if _cancel_pending(session, job_id, where, cancelled):
        return "cancelled"
    if _changed(session, job_id, [*where, J.cancel_requested.is_(False)], **values):
        _append(session, job_id, [message])
        return "ended"
    return "cancelled" if _cancel_pending(session, job_id, where, cancelled) else None


def claim_job(session: Session, job_id: int, worker: str) -> bool:
    """queued → running for ``worker``; False when another worker has it or it was cancelled.

    A queued job with a pending cancel (left so by an older version) is cancelled here."""
    at = now()
    claimed = _changed(
        session,
        job_id,
        [J.status == "queued", J.cancel_requested.is_(False)],
        status="running",
        attempts=J.attempts + 1,
        started_at=at,
        heartbeat_at=at,
        worker=worker,
        stage="starting",
        progress=0.0,
    )
    if claimed:
        attempt = session.scalar(select(J.attempts).where(J.id == job_id))
        _append(session, job_id, [f"started (attempt {attempt})"])
    else:
        _cancel_pending(
            session, job_id, [J.status == "queued"], "a cancel was requested before it could run; cancelled"
        )
    return claimed


def report(
    session: Session,
    job_id: int,
    worker: str,
    *,
    progress: float | None = None,
    stage: str | None = None,
    messages: Sequence[str] = (),
) -> Heartbeat:
    """Progress, stage and log lines from the job's worker, with a heartbeat."""
    values: dict[str, Any] = {"heartbeat_at": now()}
    if progress is not None:
        values["progress"] = min(max(progress, 0.0), 1.0)
    if stage is not None:
        values["stage"] = stage[:32]
    if not _changed(session, job_id, [J.status == "running", J.worker == worker], **values):
        return Heartbeat(owned=False, cancel_requested=False)
    _append(session, job_id, messages)
    cancel = session.scalar(select(J.cancel_requested).where(J.id == job_id))
    return Heartbeat(owned=True, cancel_requested=bool(cancel))


def finish_job(
    session: Session,
    job_id: int,
    worker: str,
    status: str,
    *,
    message: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """running → succeeded, failed or cancelled; False when ``worker`` no longer owns the job."""
    if status not in FINISHED:
        raise InputError(f"a job finishes as one of {', '.join(FINISHED)}; got {status!r}")
    values: dict[str, Any] = {"status": status, "stage": status, "finished_at": now(), "heartbeat_at": None}
    values |= {"result": result, "error": None if error is None else error[:MAX_MESSAGE]}
    if status == "succeeded":
        values["progress"] = 1.0
    if not _changed(session, job_id, [J.status == "running", J.worker == worker], **values):
        return False
    _append(session, job_id, [message])
    return True


def release_job(
    session: Session, job_id: int, worker: str, reason: str
) -> Literal["queued", "cancelled"] | None:
    """running → queued, the attempt not counted: the worker was stopped on purpose (a shutdown),
    the job itself did nothing wrong. With a cancel pending it is cancelled instead. ``reason`` starts
    the log line; None when ``worker`` no longer owns the job."""
    queued = {
        "status": "queued",
        "stage": "queued",
        "progress": 0.0,
        "attempts": J.attempts - 1,
        "worker": None,
        "heartbeat_at": None,
    }
    ended = _end_attempt(
        session,
        job_id,
        [J.status == "running", J.worker == worker],
        queued,
        message=f"{reason}; queued again",
        cancelled=f"{reason}; cancelled, as requested, instead of queued again",
    )
    return None if ended is None else "queued" if ended == "ended" else "cancelled"


def request_cancel(session: Session, tenant_id: str, job_id: int, who: str) -> TrainingJob:
    """A queued job is cancelled at once; a running one is asked to stop (its worker checks; asking
    again changes nothing); a finished one is a ConflictError."""
    mine = [J.tenant_id == tenant_id]
    acted = _changed(
        session,
        job_id,
        [*mine, J.status == "queued"],
        status="cancelled",
        stage="cancelled",
        finished_at=now(),
    )
    if acted:
        _append(session, job_id, [f"cancelled by {who} before it started"])
    elif _changed(
        session, job_id, [*mine, J.status == "running", J.cancel_requested.is_(False)], cancel_requested=True
    ):
        acted = True
        _append(session, job_id, [f"cancel requested by {who}; the run stops at its next check"])
    job = get_job(session, tenant_id, job_id)
    if acted or job.status == "running":
        return job
    raise ConflictError(
        f"training job {job_id} has already finished ({job.status}); only queued or running jobs "
        "can be cancelled"
    )


def queued_ids(session: Session) -> list[int]:
    """Every tenant's queued jobs, oldest first: what the queue should hold."""
    return list(session.scalars(select(J.id).where(J.status == "queued").order_by(J.id)))


def recover_jobs(
    session: Session, is_dead: Callable[[TrainingJob], bool], *, max_attempts: int
) -> dict[int, str]:
    """Running jobs whose worker ``is_dead``: cancelled when a cancel is pending, else queued again
    while they have attempts left, else failed. Returns ``{job id: "requeued" | "failed" |
    "cancelled"}``."""
    done: dict[int, str] = {}
    for job in list(session.scalars(select(J).where(J.status == "running"))):
        if not is_dead(job):
            continue
        same = [J.status == "running", J.worker == job.worker]
        lost = f"the worker running attempt {job.attempts} stopped without finishing"
        values: dict[str, Any] = {"worker": None, "heartbeat_at": None}
        if job.attempts < max_attempts:
            values |= {"status": "queued", "stage": "queued", "progress": 0.0}
            message, outcome = f"{lost}; queued again (at most {max_attempts} attempts)", "requeued"
        else:
            values |= {"status": "failed", "stage": "failed", "finished_at": now()}
            values["error"] = f"WorkerLost: the worker stopped during each of {job.attempts} attempts"
            message = f"the worker stopped during attempt {job.attempts} of {max_attempts}; failed"
            outcome = "failed"
        ended = _end_attempt(
            session, job.id, same, values, message=message, cancelled=f"{lost}; cancelled, as requested"
        )
        if ended is not None:
            done[job.id] = outcome if ended == "ended" else "cancelled"
    return done
