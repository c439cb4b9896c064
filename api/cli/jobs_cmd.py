"""``replykit jobs list|show|cancel`` (training jobs, read from the database) and ``replykit worker``
(a process that runs queued jobs, for deployments that set ``REPLYKIT_JOBS_WORKER=off`` on the API)."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli.history_cmd import open_store
from api.cli.progress import err_console
from kb.db.schema import TrainingJob
from kb.store import Store
from kb.store.jobs import STATUSES, get_job, list_jobs, request_cancel
from suggest.config import get_settings
from suggest.embed.loader import base_folder, load_embedder
from training.jobs import JobWorker

app = typer.Typer(help="Training jobs: list, show, cancel.", no_args_is_help=True)
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id.")]
JobId = Annotated[int, typer.Argument(help="The job's id (`replykit jobs list` shows them).")]


def _when(job: TrainingJob) -> str:
    return job.created_at.strftime("%Y-%m-%d %H:%M:%S")


@app.command("list")
def list_cmd(
    tenant: Tenant,
    status: Annotated[
        str | None, typer.Option(help=f"Only jobs with this status: {', '.join(STATUSES)}.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
) -> None:
    """The tenant's training jobs, newest first."""
    with open_store(tenant) as store, store.session() as session:
        rows, total = list_jobs(session, tenant, status=status, limit=limit)
        table = Table("id", "status", "progress", "stage", "version", "requested by", "created (UTC)")
        for job in rows:
            version = (job.result or {}).get("version", "")
            progress = f"{job.progress:.0%}"
            table.add_row(str(job.id), job.status, progress, job.stage, version, job.requested_by, _when(job))
    console.print(table)
    console.print(f"{len(rows)} of {total} job(s)")


@app.command()
def show(job_id: JobId, tenant: Tenant) -> None:
    """A job's status, result or error, and its log."""
    with open_store(tenant) as store, store.session() as session:
        job = get_job(session, tenant, job_id)
        console.print(f"job {job.id}: [bold]{job.status}[/bold], {job.progress:.0%} ({escape(job.stage)})")
        console.print(f"requested by {escape(job.requested_by)} at {_when(job)} UTC; attempts {job.attempts}")
        if job.cancel_requested and job.status == "running":
            console.print("cancel requested: it stops at its next check")
        if job.result:
            evaluation = job.result.get("evaluation", {})
            console.print(
                f"version {job.result.get('version')}: macro-F1 {evaluation.get('macro_f1')}, "
                f"accuracy {evaluation.get('accuracy')} on {evaluation.get('examples')} held-out examples"
            )
            promotion = job.result.get("promotion", {})
            if promotion.get("requested"):
                outcome = (
                    "promoted" if promotion.get("promoted") else f"not promoted: {promotion.get('refused')}"
                )
                console.print(escape(outcome))
        if job.error:
            console.print(f"[red]error:[/red] {escape(job.error)}")
        for line in job.logs:
            console.print(f"[dim]{escape(line['at'])}[/dim] {escape(line['message'])}", highlight=False)


@app.command()
def cancel(job_id: JobId, tenant: Tenant) -> None:
    """Cancel a queued job at once, or ask a running one to stop at its next check."""
    with open_store(tenant) as store, store.session() as session:
        job = request_cancel(session, tenant, job_id, "cli")
        state = job.status
    if state == "cancelled":
        console.print(f"job {job_id} cancelled")
    else:
        console.print(
            f"job {job_id} is {state}: asked to stop; `replykit jobs show {job_id} -t {tenant}` follows it"
        )


def worker() -> None:
    """Run queued training jobs in this process, one at a time, until Ctrl-C or SIGTERM.

    For deployments whose API runs with REPLYKIT_JOBS_WORKER=off. A running job that is stopped
    goes back to the queue; jobs left running by a worker that died are queued again at start."""
    from api.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    store = Store.from_settings(settings)
    embedder = load_embedder(settings)
    jobs = JobWorker(store, settings.data_dir, lambda: embedder, base_model=lambda: base_folder(settings))

    def stop(signum: int, _frame: FrameType | None) -> None:
        err_console.print(f"{signal.Signals(signum).name}: stopping after the running job's next check")
        jobs.ctx.stopping.set()
        jobs.queue.wake.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    err_console.print(f"training job worker started on {escape(str(settings.data_dir))}; Ctrl-C stops it")
    try:
        jobs.run()
    finally:
        jobs.queue.close()
        store.close()
