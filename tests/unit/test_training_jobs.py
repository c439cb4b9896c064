"""Training jobs below the API: the store's atomic transitions, the runner (progress, logs,
cancellation, failures), the JSON queue, recovery after a crash, and the CLI.

No test here uses huey's immediate mode: the runner tests call ``execute_job`` directly (no queue),
and the queue tests use the real SQLite queue file.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from kb.db.engine import make_engine
from kb.db.schema import TrainingJob
from kb.store import Store
from kb.store import jobs as store_jobs
from kb.store.history import TicketRecord, start_import, upsert_tickets
from kb.store.tenants import ensure_tenant
from suggest.config import get_settings
from suggest.errors import ConflictError, NotFoundError
from suggest.protocols import Embedder
from tests.analysis_helpers import SMALL_OPTIONS, fake_embedder, labelled_examples
from tests.cli_helpers import fake_backend  # noqa: F401
from training.data import Example
from training.jobs import Hooks, JobContext, JobQueue, TenantRun, execute_job, recover, train_tenant
from training.jobs.runner import HOST
from training.registry import ModelRegistry
from training.run import TrainOptions

TENANT = "acme"
OPTIONS = TrainOptions(intent=SMALL_OPTIONS)


def add_history(store: Store, tenant: str = TENANT, examples: Sequence[Example] | None = None) -> None:
    """A tiny labelled history, stored the way an import stores it."""
    rows = [
        TicketRecord(
            "jsonl", str(i), None, e.text, "en", [], [], {"intent": e.label or "none"}, None, None, None, None
        )
        for i, e in enumerate(examples if examples is not None else labelled_examples())
    ]
    with store.session() as session:
        ensure_tenant(session, tenant)
        record = start_import(session, tenant, file_name="t.jsonl", source="jsonl", sha256="0" * 64)
        upsert_tickets(session, tenant, rows, import_id=record.id)


def new_job(
    store: Store, tenant: str = TENANT, *, promote: bool = False, options: TrainOptions = OPTIONS
) -> int:
    with store.session() as session:
        ensure_tenant(session, tenant)
        job = store_jobs.create_job(
            session,
            tenant,
            options=options.model_dump(mode="json"),
            source={"history": tenant, "label_field": "intent"},
            promote=promote,
            requested_by="test",
        )
        return job.id


def read_job(store: Store, job_id: int, tenant: str = TENANT) -> dict[str, Any]:
    with store.session() as session:
        job = store_jobs.get_job(session, tenant, job_id)
        return {
            c: getattr(job, c) for c in ("status", "progress", "stage", "logs", "result", "error", "attempts")
        }


def messages(job: dict[str, Any]) -> list[str]:
    return [line["message"] for line in job["logs"]]


def dead_pid() -> int:
    """The id of a process that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(done.stdout)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(make_engine(f"sqlite:///{tmp_path / 'replykit.db'}"))


def context(store: Store, tmp_path: Path, embedder: Embedder | None = None) -> JobContext:
    chosen = embedder or fake_embedder()
    return JobContext(store, tmp_path, lambda: chosen)


# --- the store ------------------------------------------------------------------------------------


def test_only_one_of_two_racing_workers_claims_a_job(store: Store) -> None:
    job_id = new_job(store)
    barrier, won = threading.Barrier(2), []

    def claim(worker: str) -> None:
        barrier.wait()
        with store.session() as session:
            if store_jobs.claim_job(session, job_id, worker):
                won.append(worker)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    with store.session() as session:
        job = store_jobs.get_job(session, TENANT, job_id)
        assert (job.status, job.worker, job.attempts) == ("running", won[0], 1)
        # the loser's writes are refused: it does not own the job
        loser = "w1" if won[0] == "w0" else "w0"
        assert not store_jobs.report(session, job_id, loser, progress=0.5).owned
        assert not store_jobs.finish_job(session, job_id, loser, "succeeded", message="x")


def test_logs_keep_the_last_200_lines_and_jobs_are_tenant_scoped(store: Store) -> None:
    job_id = new_job(store)
    with store.session() as session:
        store_jobs.claim_job(session, job_id, "w")
        for n in range(250):
            store_jobs.report(session, job_id, "w", messages=[f"line {n}"])
    logs = messages(read_job(store, job_id))
    assert len(logs) == store_jobs.MAX_LOG_LINES and logs[-1] == "line 249" and logs[0] == "line 50"
    other = new_job(store, "globex")
    with store.session() as session, pytest.raises(NotFoundError):
        store_jobs.get_job(session, TENANT, other)
    with store.session() as session:
        rows, total = store_jobs.list_jobs(session, TENANT)
    assert [r.id for r in rows] == [job_id] and total == 1


def test_cancel_is_immediate_when_queued_a_request_when_running_a_conflict_when_finished(
    store: Store,
) -> None:
    queued, running = new_job(store), new_job(store)
    with store.session() as session:
        store_jobs.claim_job(session, running, "w")
        assert store_jobs.request_cancel(session, TENANT, queued, "admin").status == "cancelled"
        job = store_jobs.request_cancel(session, TENANT, running, "admin")
        assert (job.status, job.cancel_requested) == ("running", True)
        assert store_jobs.report(session, running, "w").cancel_requested
        assert not store_jobs.claim_job(session, queued, "w")  # a cancelled job is never claimed
    with store.session() as session, pytest.raises(ConflictError, match="already finished"):
        store_jobs.request_cancel(session, TENANT, queued, "admin")


def test_a_released_job_with_a_pending_cancel_is_cancelled_not_queued_again(store: Store) -> None:
    """A claim refuses a job with a pending cancel: queued again, it would wait there for ever."""
    job_id = new_job(store)
    with store.session() as session:
        store_jobs.claim_job(session, job_id, "w")
        store_jobs.request_cancel(session, TENANT, job_id, "admin")
        assert store_jobs.release_job(session, job_id, "w", "the worker shut down") == "cancelled"
        assert store_jobs.queued_ids(session) == []
    job = read_job(store, job_id)
    assert (job["status"], job["stage"], job["attempts"]) == ("cancelled", "cancelled", 1)
    assert messages(job)[-1] == "the worker shut down; cancelled, as requested, instead of queued again"
    other = new_job(store)
    with store.session() as session:  # without a cancel it goes back to the queue, the attempt not counted
        store_jobs.claim_job(session, other, "w")
        assert store_jobs.release_job(session, other, "w", "the worker shut down") == "queued"
        assert store_jobs.release_job(session, other, "w", "again") is None  # no longer w's
    assert (read_job(store, other)["status"], read_job(store, other)["attempts"]) == ("queued", 0)


def test_a_queued_job_left_with_a_pending_cancel_is_cancelled_by_the_next_claim(store: Store) -> None:
    """Rows that an older version left queued with a pending cancel are settled, not skipped."""
    job_id = new_job(store)
    with store.session() as session:
        session.get_one(TrainingJob, job_id).cancel_requested = True
    with store.session() as session:
        assert not store_jobs.claim_job(session, job_id, "w")
    job = read_job(store, job_id)
    assert job["status"] == "cancelled" and "a cancel was requested before it could run" in messages(job)[-1]


def test_start_job_creates_a_running_job_that_no_worker_can_claim(store: Store) -> None:
    with store.session() as session:
        ensure_tenant(session, TENANT)
        job = store_jobs.start_job(
            session, TENANT, "cli-worker", options={}, source={}, promote=False, requested_by="cli"
        )
        job_id = job.id
    with store.session() as session:
        assert store_jobs.queued_ids(session) == []  # a recovery sweep has nothing to enqueue
        assert not store_jobs.claim_job(session, job_id, "rival")
        assert store_jobs.report(session, job_id, "cli-worker", progress=0.5).owned
    job_row = read_job(store, job_id)
    assert (job_row["status"], job_row["attempts"]) == ("running", 1)
    assert messages(job_row) == ["started by cli in the foreground (attempt 1)"]


# --- the runner -----------------------------------------------------------------------------------


def test_a_job_trains_commits_a_version_and_records_figures_progress_and_stages(
    store: Store, tmp_path: Path
) -> None:
    add_history(store)
    job_id = new_job(store)
    run = execute_job(context(store, tmp_path), job_id)
    assert run is not None
    job = read_job(store, job_id)
    assert (job["status"], job["progress"], job["error"], job["attempts"]) == ("succeeded", 1.0, None, 1)
    [version] = ModelRegistry(tmp_path, TENANT).versions()
    assert job["result"]["version"] == version.version and not version.active
    assert job["result"]["evaluation"]["macro_f1"] == pytest.approx(run.run.evaluation.macro_f1, abs=1e-4)
    assert job["result"]["evaluation"]["examples"] > 0 and job["result"]["promotion"]["requested"] is False
    logs = " | ".join(messages(job))
    stages = ["started", "loading", f"embedding {len(labelled_examples())} examples", "fitting", "committing"]
    positions = [logs.index(s) for s in stages]
    assert positions == sorted(positions) and "succeeded: " + version.version in logs
    assert not any(e.text in logs for e in labelled_examples())  # no ticket text in the log


def test_a_promoting_job_makes_its_version_active(store: Store, tmp_path: Path) -> None:
    add_history(store)
    job_id = new_job(store, promote=True)
    execute_job(context(store, tmp_path), job_id)
    job = read_job(store, job_id)
    assert job["result"]["promotion"]["promoted"] is True
    assert ModelRegistry(tmp_path, TENANT).active_version() == job["result"]["version"]


def test_a_cancel_before_the_commit_discards_the_staged_version(store: Store, tmp_path: Path) -> None:
    """An admin cancels while the model fits: the run stops at the commit, nothing is kept."""
    add_history(store)
    job_id = new_job(store)
    ctx = context(store, tmp_path)

    def cancelled_while_fitting(*args: Any, hooks: Hooks | None = None, **kwargs: Any) -> TenantRun:
        assert hooks is not None
        inner = hooks

        class Clicks(Hooks):
            def stage(self, name: str, message: str) -> None:
                inner.stage(name, message)
                if name == "fitting":
                    with store.session() as session:
                        store_jobs.request_cancel(session, TENANT, job_id, "admin")

            def embedded(self, done: int, total: int) -> None:
                inner.embedded(done, total)

        return train_tenant(*args, hooks=Clicks(), **kwargs)

    ctx.train = cancelled_while_fitting
    assert execute_job(ctx, job_id) is None
    job = read_job(store, job_id)
    assert job["status"] == "cancelled" and "cancelled during committing" in messages(job)[-1]
    registry = ModelRegistry(tmp_path, TENANT)
    assert registry.versions() == [] and not any((registry.root / ".staging").iterdir())


def test_a_shutdown_after_a_cancel_request_cancels_the_job(store: Store, tmp_path: Path) -> None:
    """The reporter sees the shutdown before it reads the cancel flag; the job still ends cancelled."""
    add_history(store)
    job_id = new_job(store)
    ctx = context(store, tmp_path)

    def cancelled_then_shut_down(*_args: Any, hooks: Hooks | None = None, **_kwargs: Any) -> TenantRun:
        assert hooks is not None
        with store.session() as session:
            store_jobs.request_cancel(session, TENANT, job_id, "admin")
        ctx.stopping.set()
        hooks.stage("embedding", "embedding")
        raise AssertionError("the shutdown did not stop the run")

    ctx.train = cancelled_then_shut_down
    assert execute_job(ctx, job_id) is None
    job = read_job(store, job_id)
    assert job["status"] == "cancelled" and "cancelled, as requested" in messages(job)[-1]
    with store.session() as session:
        assert store_jobs.queued_ids(session) == []


def test_a_failure_records_the_error_class_but_never_the_exception_text(store: Store, tmp_path: Path) -> None:
    add_history(store)
    job_id = new_job(store)
    ctx = context(store, tmp_path)

    def broken(*_args: Any, **_kwargs: Any) -> TenantRun:
        raise ValueError("could not parse 'my IBAN is NL91ABNA0417164300'")

    ctx.train = broken
    assert execute_job(ctx, job_id) is None
    job = read_job(store, job_id)
    assert job["status"] == "failed" and job["error"].startswith("ValueError")
    assert "IBAN" not in job["error"] and not any("IBAN" in m for m in messages(job))


def test_a_tenant_without_labelled_history_fails_with_how_to_import(store: Store, tmp_path: Path) -> None:
    job_id = new_job(store)
    execute_job(context(store, tmp_path), job_id)
    job = read_job(store, job_id)
    assert job["status"] == "failed" and "replykit history import" in job["error"]


# --- the queue and recovery -----------------------------------------------------------------------


def test_the_queue_carries_job_ids_as_json_not_pickle(tmp_path: Path) -> None:
    queue = JobQueue(tmp_path)
    ran: list[int] = []
    queue.bind(ran.append)
    queue.enqueue(7)
    queue.enqueue(9)
    assert queue.pending_ids() == {7, 9}
    with sqlite3.connect(tmp_path / "queue" / "huey.db") as db:
        raw = [bytes(row[0]) for row in db.execute("select data from task order by id")]
    assert all(data.startswith(b'{"message": ') for data in raw)
    assert queue.run_next() and queue.run_next() and not queue.run_next()
    assert ran == [7, 9]
    queue.close()


def test_recovery_requeues_a_dead_workers_job_once_then_fails_it(store: Store, tmp_path: Path) -> None:
    live_job, dead_job, worn_job, lost_job = (new_job(store) for _ in range(4))
    dead = f"{HOST}:{dead_pid()}:cafe0001"
    with store.session() as session:
        store_jobs.claim_job(session, live_job, f"{HOST}:1:init")  # pid 1 is alive (and not ours)
        store_jobs.claim_job(session, dead_job, dead)
        store_jobs.claim_job(session, worn_job, dead)
    with store.session() as session:  # the worn job is on its second attempt already
        session.get_one(TrainingJob, worn_job).attempts = 2
    queue = JobQueue(tmp_path)
    outcome = recover(store, queue)
    assert outcome == {dead_job: "requeued", worn_job: "failed", lost_job: "enqueued"}
    assert queue.pending_ids() == {dead_job, lost_job}
    assert read_job(store, live_job)["status"] == "running"
    requeued, failed = read_job(store, dead_job), read_job(store, worn_job)
    assert requeued["status"] == "queued" and "queued again" in messages(requeued)[-1]
    assert failed["status"] == "failed" and failed["error"].startswith("WorkerLost")
    assert recover(store, queue) == {}  # nothing left to do: the queue holds both
    queue.close()


def test_recovery_cancels_a_dead_workers_job_that_has_a_pending_cancel(store: Store, tmp_path: Path) -> None:
    fresh_job, worn_job = new_job(store), new_job(store)
    dead = f"{HOST}:{dead_pid()}:cafe0002"
    with store.session() as session:
        for job_id in (fresh_job, worn_job):
            store_jobs.claim_job(session, job_id, dead)
            store_jobs.request_cancel(session, TENANT, job_id, "admin")
        session.get_one(TrainingJob, worn_job).attempts = 2
    queue = JobQueue(tmp_path)
    assert recover(store, queue) == {fresh_job: "cancelled", worn_job: "cancelled"}
    assert queue.pending_ids() == set()
    for job_id in (fresh_job, worn_job):
        job = read_job(store, job_id)
        assert job["status"] == "cancelled" and job["error"] is None
        assert messages(job)[-1].endswith("stopped without finishing; cancelled, as requested")
    assert recover(store, queue) == {}  # not re-enqueued on the next sweep
    queue.close()


# --- the CLI --------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.usefixtures("fake_backend")
def test_cli_train_runs_as_a_recorded_job_and_jobs_lists_shows_and_cancels() -> None:
    settings = get_settings()
    store = Store.from_settings(settings)
    add_history(store)
    trained = runner.invoke(cli, ["train", "--tenant", TENANT])
    assert trained.exit_code == 0, trained.output
    [version] = ModelRegistry(settings.data_dir, TENANT).versions()
    listed = runner.invoke(cli, ["jobs", "list", "--tenant", TENANT])
    assert listed.exit_code == 0 and "succeeded" in listed.output and version.version in listed.output
    with store.session() as session:
        [job], _ = store_jobs.list_jobs(session, TENANT)
        assert job.requested_by == "cli"
    shown = runner.invoke(cli, ["jobs", "show", str(job.id), "-t", TENANT])
    assert shown.exit_code == 0 and "committing" in shown.output and "macro-F1" in shown.output
    queued = new_job(store)
    assert runner.invoke(cli, ["jobs", "cancel", str(queued), "-t", TENANT]).exit_code == 0
    assert read_job(store, queued)["status"] == "cancelled"
    again = runner.invoke(cli, ["jobs", "cancel", str(queued), "-t", TENANT])
    assert again.exit_code != 0 and "already finished" in str(again.exception)
    store.close()


@pytest.mark.usefixtures("fake_backend")
def test_cli_train_job_cannot_be_taken_by_a_worker_before_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's recovery sweep enqueues every queued job, and its worker claims them: a CLI run
    recorded as queued could be taken (and run in the API) before the CLI claimed it."""
    store = Store.from_settings(get_settings())
    add_history(store)
    rival: list[bool] = []

    def a_sweep_runs_first(*args: Any, **kwargs: Any) -> TenantRun | None:
        with store.session() as session:
            rival.extend(
                store_jobs.claim_job(session, i, "api-worker") for i in store_jobs.queued_ids(session)
            )
        return execute_job(*args, **kwargs)

    monkeypatch.setattr("api.cli.train_cmd.execute_job", a_sweep_runs_first)
    trained = runner.invoke(cli, ["train", "--tenant", TENANT])
    assert trained.exit_code == 0, trained.output
    assert rival == []
    with store.session() as session:
        [job], _ = store_jobs.list_jobs(session, TENANT)
        assert (job.status, job.attempts, job.requested_by) == ("succeeded", 1, "cli")
        assert job.worker is not None and job.worker.startswith(f"{HOST}:")
    store.close()


@pytest.mark.usefixtures("fake_backend")
def test_cli_train_without_history_says_how_to_import_it() -> None:
    store = Store.from_settings(get_settings())
    with store.session() as session:
        ensure_tenant(session, TENANT)
    result = runner.invoke(cli, ["train", "--tenant", TENANT])
    assert result.exit_code != 0 and "replykit history import" in str(result.exception)
    with store.session() as session:
        assert store_jobs.list_jobs(session, TENANT)[1] == 0  # no job recorded for a run that cannot start
    store.close()
