"""Runs one training job: claim it, train through the shared ``train_tenant``, record the outcome.

Progress, stage and log lines go to the job's row through ``JobReporter`` (a few writes a second at
most); each write also says whether someone asked to cancel, and the reporter then raises
``JobCancelled``. Cancelling is honoured until the version is committed: raising earlier makes
``run_training`` discard its staged folder, so a cancelled job leaves no version behind.

Errors are recorded as the exception's class and, for replykit's own errors (whose messages are
written never to quote ticket text), their message; anything else gets a fixed sentence, and the
log gets the traceback's frames without the message.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kb.db.schema import TrainingJob
from kb.store import Store, jobs
from suggest.errors import ReplykitError
from suggest.protocols import Embedder
from training.jobs.work import STAGES, TUNED, Hooks, Loader, TenantRun, history_loader, train_tenant
from training.run import TrainOptions

log = logging.getLogger(__name__)
WRITE_INTERVAL_S = 0.5
"""Progress from the embedding loop is written at most this often; stage changes always are."""
HEARTBEAT_S = 10.0
"""How often a running job's row is touched while the run has nothing to report (the model fit)."""
HOST = socket.gethostname()
_live: set[str] = set()
"""Worker ids running a job in this process right now (see ``recovery.is_dead``)."""


class JobCancelled(Exception):  # noqa: N818 (it is an outcome, not a failure)
    """Someone asked to cancel the job; raised from a hook to stop the run."""


class JobInterrupted(Exception):  # noqa: N818
    """The worker is shutting down; the job goes back to the queue, the attempt not counted (or is
    cancelled, when a cancel is pending: ``jobs.release_job``)."""


class JobLost(Exception):  # noqa: N818
    """The job is no longer this worker's (recovery judged it dead and queued the job again)."""


class TrainFn(Protocol):
    def __call__(
        self,
        data_dir: Path,
        tenant: str,
        embedder: Embedder,
        options: TrainOptions,
        load: Loader,
        *,
        promote: bool = False,
        actor: str = "cli",
        hooks: Hooks | None = None,
        base_model: Path | None = None,
    ) -> TenantRun: ...


def new_worker_id() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_live_here(worker: str) -> bool:
    return worker in _live


@dataclass
class JobContext:
    """What running a job needs; tests replace ``train`` with a double."""

    store: Store
    data_dir: Path
    embedder: Callable[[], Embedder]
    """The process's loaded model (the API's, never a second copy); raises when it cannot load."""
    base_model: Callable[[], Path | None] = lambda: None
    """The loaded model's sentence-transformers folder, which the accurate mode fine-tunes; None
    when the process embeds with something else (a test embedder)."""
    worker_id: str = field(default_factory=new_worker_id)
    stopping: threading.Event = field(default_factory=threading.Event)
    train: TrainFn = train_tenant
    running: int | None = None
    """The id of the job this context is running now."""


class JobReporter(Hooks):
    """Hooks that write to the job's row and stop the run on a cancel request or a shutdown."""

    def __init__(self, ctx: JobContext, job_id: int, also: Hooks | None = None) -> None:
        self._ctx, self._job_id, self._also = ctx, job_id, also or Hooks()
        self._last_write = 0.0
        self.stage_name = "starting"
        self.committed = False
        """After the commit, the run finishes: a version exists, so it is no longer cancellable."""
        self.progress = 0.0
        self._embedding_from = STAGES["embedding"]

    def stage(self, name: str, message: str) -> None:
        self._also.stage(name, message)
        self.stage_name = name
        self.committed = self.committed or name == "promoting"
        if name == "embedding":  # after fine-tuning, the embedding starts where the tuning ended
            self._embedding_from = max(STAGES[name], self.progress)
        self._write(max(STAGES[name], self.progress), stage=name, messages=[message], force=True)

    def embedded(self, done: int, total: int) -> None:
        self._also.embedded(done, total)
        start = self._embedding_from
        self._write(start + (STAGES["fitting"] - start) * done / max(total, 1))

    def tuned(self, done: int, total: int) -> None:
        self._also.tuned(done, total)
        self._write(STAGES["tuning"] + (TUNED - STAGES["tuning"]) * done / max(total, 1))

    def beat(self) -> None:
        """A heartbeat from the heartbeat thread: never raises (the run notices at its next hook)."""
        try:
            with self._ctx.store.session() as session:
                jobs.report(session, self._job_id, self._ctx.worker_id)
        except Exception as err:  # a busy database must not kill the heartbeat thread
            log.warning("training job %s: heartbeat failed (%s)", self._job_id, type(err).__name__)

    def _write(
        self, progress: float, *, stage: str | None = None, messages: Sequence[str] = (), force: bool = False
    ) -> None:
        now = time.monotonic()
        if not self.committed and self._ctx.stopping.is_set():
            raise JobInterrupted
        self.progress = progress
        if not force and now - self._last_write < WRITE_INTERVAL_S:
            return
        self._last_write = now
        with self._ctx.store.session() as session:
            beat = jobs.report(
                session, self._job_id, self._ctx.worker_id, progress=progress, stage=stage, messages=messages
            )
        if not beat.owned:
            raise JobLost
        if beat.cancel_requested and not self.committed:
            raise JobCancelled


class _Heartbeat:
    def __init__(self, reporter: JobReporter) -> None:
        self._reporter, self._stop = reporter, threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            self._reporter.beat()

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def safe_error(err: BaseException) -> str:
    if isinstance(err, ReplykitError):
        return f"{type(err).__name__}: {err}"
    return f"{type(err).__name__}: an unexpected error; the worker's log has where it happened"


def execute_job(
    ctx: JobContext,
    job_id: int,
    *,
    also: Hooks | None = None,
    reraise: bool = False,
    claimed: bool = False,
) -> TenantRun | None:
    """Run the job if this worker can claim it; record success, failure or cancellation. Returns the
    run when it succeeded. ``reraise`` (the CLI) raises the error or JobCancelled after recording it.
    ``claimed``: the job was created running and owned by this worker (``jobs.start_job``)."""
    _live.add(ctx.worker_id)  # before the claim: a recovery sweep must never see our job as orphaned
    try:
        return _execute(ctx, job_id, also, reraise=reraise, claimed=claimed)
    finally:
        ctx.running = None
        _live.discard(ctx.worker_id)


def _take(ctx: JobContext, job_id: int, *, claimed: bool) -> TrainingJob | None:
    """The job, now this worker's: claimed here, or ``claimed`` already; None when it is not ours."""
    with ctx.store.session() as session:
        if not claimed and not jobs.claim_job(session, job_id, ctx.worker_id):
            log.info("training job %s not run: another worker has it, or it is no longer queued", job_id)
            return None
        job = jobs.find_job(session, job_id)
        if job is None or job.status != "running" or job.worker != ctx.worker_id:
            log.warning("training job %s not run: it is not running for this worker", job_id)
            return None
        return job


def _execute(
    ctx: JobContext, job_id: int, also: Hooks | None, *, reraise: bool, claimed: bool
) -> TenantRun | None:
    job = _take(ctx, job_id, claimed=claimed)
    if job is None:
        return None
    ctx.running = job_id
    tenant, options, source, promote = job.tenant_id, job.options, job.source, job.promote
    actor = f"job {job_id} ({job.requested_by})"
    reporter = JobReporter(ctx, job_id, also)
    try:
        with _Heartbeat(reporter):
            run = ctx.train(
                ctx.data_dir,
                tenant,
                ctx.embedder(),
                TrainOptions.model_validate(options),
                history_loader(ctx.store, tenant, str(source.get("label_field", "intent"))),
                promote=promote,
                actor=actor,
                hooks=reporter,
                base_model=ctx.base_model() if options.get("mode") == "accurate" else None,
            )
    except JobCancelled:
        _finish(ctx, job_id, "cancelled", f"cancelled during {reporter.stage_name}; no version was kept")
        if reraise:
            raise
        return None
    except JobInterrupted:
        release(ctx, job_id, "the worker shut down")
        return None
    except KeyboardInterrupt:  # Ctrl-C: the CLI's own run is cancelled, a worker's goes back to the queue
        if reraise:
            _finish(ctx, job_id, "cancelled", f"interrupted (Ctrl-C) during {reporter.stage_name}")
        else:
            release(ctx, job_id, "the worker was interrupted")
        raise
    except JobLost:
        log.warning("training job %s was taken over while it ran; this run's result is dropped", job_id)
        return None
    except BaseException as err:  # SystemExit included: the record must not stay "running"
        _fail(ctx, job_id, err)
        if reraise or not isinstance(err, Exception):
            raise
        return None
    outcome = f"succeeded: {run.run.version.version}, macro-F1 {run.run.evaluation.macro_f1:.4f}"
    if promote:
        outcome += "; promoted" if run.promotion is not None else "; the gate refused promotion"
    _finish(ctx, job_id, "succeeded", outcome, result=run.summary(promote))
    return run


def _finish(
    ctx: JobContext,
    job_id: int,
    status: str,
    message: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with ctx.store.session() as session:
        if not jobs.finish_job(
            session, job_id, ctx.worker_id, status, message=message, result=result, error=error
        ):
            log.warning("training job %s: could not record %s; another worker has it now", job_id, status)


def release(ctx: JobContext, job_id: int, reason: str) -> None:
    """Back to the queue, or cancelled when a cancel is pending (``jobs.release_job``)."""
    with ctx.store.session() as session:
        outcome = jobs.release_job(session, job_id, ctx.worker_id, reason)
    if outcome == "cancelled":
        log.info("training job %s: %s; cancelled, as requested", job_id, reason)


def _fail(ctx: JobContext, job_id: int, err: BaseException) -> None:
    error = safe_error(err)
    if isinstance(err, ReplykitError):
        log.warning("training job %s failed: %s", job_id, error)
    else:  # the frames say where; the message is left out, it might quote data
        frames = "".join(traceback.format_tb(err.__traceback__))
        log.error("training job %s failed with %s at\n%s", job_id, type(err).__name__, frames)
    try:
        _finish(ctx, job_id, "failed", f"failed: {error}", error=error)
    except Exception as save_err:  # the database itself may be what failed; keep the first error
        log.warning("training job %s: could not record the failure (%s)", job_id, type(save_err).__name__)
