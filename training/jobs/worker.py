"""The job worker: takes job ids from the queue and runs them, one at a time (training uses every
core it is given; two at once would only slow both down).

It runs in a thread inside the API (``REPLYKIT_JOBS_WORKER=thread``, the default) or in the
foreground of its own process (``replykit worker``). Either way it first recovers what a crash left
behind (``recovery.recover``) and sweeps again every ``SWEEP_S`` while it runs. The loop is huey's
``dequeue`` and ``execute``, without huey's consumer: that one installs signal handlers, which only
the main thread may do and which would take Ctrl-C away from the API server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kb.store import Store
from suggest.protocols import Embedder
from training.jobs.queue import JobQueue
from training.jobs.recovery import recover
from training.jobs.runner import JobContext, execute_job, release

log = logging.getLogger(__name__)
POLL_S = 1.0
"""How often an idle worker looks at the queue; a job enqueued in the same process wakes it at once."""
SWEEP_S = 30.0


class JobWorker:
    """Owns the queue and what running a job needs. ``start``/``stop`` run it in a thread;
    ``run`` runs it in the caller's thread until ``stop``."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        embedder: Callable[[], Embedder],
        *,
        ready: Callable[[], bool] = lambda: True,
        immediate: bool = False,
        base_model: Callable[[], Path | None] = lambda: None,
    ) -> None:
        self.queue = JobQueue(data_dir, immediate=immediate)
        self.ctx = JobContext(store, data_dir, embedder, base_model=base_model)
        self._ready = ready
        """False while the model loads: jobs wait in the queue rather than fail."""
        self.queue.bind(self._execute)
        self._thread: threading.Thread | None = None

    def _execute(self, job_id: int) -> None:
        execute_job(self.ctx, job_id)

    def recover(self) -> dict[int, str]:
        return recover(self.ctx.store, self.queue)

    def run(self) -> None:
        stopping, wake = self.ctx.stopping, self.queue.wake
        next_sweep = 0.0
        while not stopping.is_set():
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + SWEEP_S
                try:
                    self.recover()
                except Exception as err:  # a locked database now is no reason to stop the worker
                    log.warning("training job recovery failed (%s); trying again later", type(err).__name__)
            if not self._ready():
                stopping.wait(POLL_S)
                continue
            wake.clear()
            try:
                ran = self.queue.run_next()
            except Exception as err:  # an unreadable message: the sweep re-enqueues its job
                log.warning("could not take a training job from the queue (%s)", type(err).__name__)
                ran = False
            if not ran:
                wake.wait(POLL_S)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="training-jobs", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop taking jobs; a running one stops at its next check and goes back to the queue (or is
        cancelled, when a cancel is pending).
        One that does not stop within ``timeout`` (a long fit has no checks) is put back in the
        queue from here; its run, should the process outlive it, finds the job gone and keeps
        nothing. False in that case."""
        self.ctx.stopping.set()
        self.queue.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                job_id = self.ctx.running
                log.warning("the training job worker did not stop within %ss (job %s)", timeout, job_id)
                if job_id is not None:
                    release(self.ctx, job_id, "the worker shut down during a step it cannot stop")
                return False
        self.queue.close()
        return True
