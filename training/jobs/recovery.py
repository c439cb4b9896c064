"""After a crash: which running jobs lost their worker, and which queued jobs the queue lost.

A job's row names its worker as ``host:pid:token``. A worker is dead when it ran in this process
and is no longer running a job here, when it ran on this host and its process is gone, or, wherever
it ran, when it has not touched the row for ``LEASE_S`` (another machine sharing the database).
A dead worker's job is queued again while it has attempts left, else failed; one with a pending
cancel is cancelled.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from kb.db.schema import TrainingJob
from kb.store import Store, jobs
from training.jobs.queue import JobQueue
from training.jobs.runner import HEARTBEAT_S, HOST, is_live_here

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 2
LEASE_S = 6 * HEARTBEAT_S


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def is_dead(job: TrainingJob, now: datetime | None = None) -> bool:
    if job.worker is None:
        return True
    stale = job.heartbeat_at is None or (now or datetime.now(UTC)) - job.heartbeat_at > timedelta(
        seconds=LEASE_S
    )
    host, _, rest = job.worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return stale
    pid = int(pid_text)
    if pid == os.getpid():
        return not is_live_here(job.worker)
    return stale or not _process_alive(pid)


def recover(store: Store, queue: JobQueue) -> dict[int, str]:
    """Requeue or fail the jobs of dead workers, and enqueue every queued job the queue does not
    hold. Returns ``{job id: "requeued" | "failed" | "cancelled" | "enqueued"}``; safe to run at any
    time."""
    with store.session() as session:
        done = jobs.recover_jobs(session, is_dead, max_attempts=MAX_ATTEMPTS)
    pending = queue.pending_ids()
    with store.session() as session:
        missing = [job_id for job_id in jobs.queued_ids(session) if job_id not in pending]
    for job_id in missing:
        queue.enqueue(job_id)
        done.setdefault(job_id, "enqueued")
    if done:
        log.info("training jobs recovered: %s", ", ".join(f"{k} {v}" for k, v in sorted(done.items())))
    return done
