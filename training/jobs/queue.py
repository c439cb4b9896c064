"""The queue that carries training job ids to a worker: huey on SQLite, at ``data_dir/queue/huey.db``.

Only ids travel, and as JSON: huey pickles messages by default, and replykit loads no pickle. The
job's row in the database is the record of truth, so the queue may lose or repeat a message without
harm: a worker claims a job with a conditional UPDATE (a repeat finds it taken and does nothing),
and a worker starting up enqueues again every queued job the queue no longer holds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import SqliteHuey
from huey.registry import Message
from huey.serializer import Serializer

from suggest.errors import ConfigError

log = logging.getLogger(__name__)
QUEUE_FILE = Path("queue") / "huey.db"
TASK_NAME = "run_training_job"


def _refuse(value: object) -> Any:
    raise TypeError(f"only JSON values travel through the job queue; got {type(value).__name__}")


class JsonSerializer(Serializer):  # type: ignore[misc]
    """huey's messages as JSON instead of pickle: a message is a tuple of plain values here (no
    schedules, chains or results are used)."""

    def _serialize(self, data: object) -> bytes:
        payload = {"message": list(data)} if isinstance(data, Message) else {"value": data}
        return json.dumps(payload, default=_refuse).encode()

    def _deserialize(self, data: bytes) -> object:
        payload = json.loads(data)
        if "message" in payload:
            return Message(*payload["message"])
        return payload["value"]


class JobQueue:
    """Enqueue job ids; run the next one. ``execute(job_id)`` is what a dequeued message runs.

    ``immediate=True`` runs each job in the caller's thread as it is enqueued (huey's immediate
    mode, in memory): for tests that are not about the queue."""

    def __init__(self, data_dir: Path, *, immediate: bool = False) -> None:
        path = data_dir / QUEUE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self.huey = SqliteHuey(
            name="replykit-jobs",
            filename=str(path),
            results=False,
            serializer=JsonSerializer(),
            immediate=immediate,
        )
        self._execute: Callable[[int], None] | None = None
        self.task = self.huey.task(name=TASK_NAME)(self._run)
        self.wake = threading.Event()
        """Set on every enqueue in this process, so a worker here need not wait for its next poll."""

    def bind(self, execute: Callable[[int], None]) -> None:
        self._execute = execute

    def _run(self, job_id: int) -> None:
        if self._execute is None:
            raise ConfigError("the job queue has no worker bound; call JobQueue.bind(execute) first")
        self._execute(int(job_id))

    def enqueue(self, job_id: int) -> None:
        self.task(job_id)
        self.wake.set()

    def pending_ids(self) -> set[int]:
        """The job ids waiting in the queue."""
        return {int(task.args[0]) for task in self.huey.pending()}

    def run_next(self) -> bool:
        """Take the next message and run its job; False when the queue is empty."""
        task = self.huey.dequeue()
        if task is None:
            return False
        self.huey.execute(task)
        return True

    def close(self) -> None:
        self.huey.storage.close()
