"""Background training jobs: a row per job in the database (``kb/store/jobs.py``), a huey queue
that carries job ids, a worker that runs them one at a time, and the training path it shares with
``replykit train``. See docs/training-jobs.md."""

from training.jobs.queue import JobQueue
from training.jobs.recovery import MAX_ATTEMPTS, recover
from training.jobs.runner import JobCancelled, JobContext, execute_job
from training.jobs.work import (
    Hooks,
    TenantRun,
    has_labelled_history,
    history_loader,
    no_history_message,
    train_tenant,
)
from training.jobs.worker import JobWorker

__all__ = [
    "MAX_ATTEMPTS",
    "Hooks",
    "JobCancelled",
    "JobContext",
    "JobQueue",
    "JobWorker",
    "TenantRun",
    "execute_job",
    "has_labelled_history",
    "history_loader",
    "no_history_message",
    "recover",
    "train_tenant",
]
