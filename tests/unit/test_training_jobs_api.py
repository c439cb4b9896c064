"""``/v1/training/jobs`` over HTTP, and the worker inside the API: submit, follow, cancel, scopes,
tenants, validation; and what a restart does with the jobs the previous instance left behind.

Where a test is about the route and not the queue, the app runs huey in immediate mode (the job runs
inside the POST, so the 202 already shows it finished): ``immediate_client``. Every other test runs
the real SQLite queue and the API's worker thread.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from kb.db.schema import ApiKey
from kb.store import Store
from kb.store import jobs as store_jobs
from tests.kb_helpers import bearer, make_app, tenant_keys
from tests.unit.test_training_jobs import TENANT, add_history, dead_pid
from training.jobs import Hooks, TenantRun
from training.jobs.runner import HOST
from training.registry import ModelRegistry

SMALL = {"intent": {"c_grid": [10.0], "folds": 3}}
WAIT_S = 10.0


def keys(app: FastAPI, tenant: str = TENANT) -> dict[str, dict[str, str]]:
    return {scope: bearer(key) for scope, key in tenant_keys(app, tenant)[tenant].items()}


def key_id(app: FastAPI, name: str = "admin") -> int:
    with app.state.store.session() as session:
        found: int = session.scalars(select(ApiKey.id).where(ApiKey.name == name)).one()
        return found


def started(app: FastAPI) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    assert app.state.runtime.wait(WAIT_S)
    return client


@pytest.fixture
def immediate_client(tmp_path: Path) -> Iterator[TestClient]:
    app = make_app(tmp_path, jobs_worker="off")
    app.state.jobs.queue.huey.immediate = True
    with TestClient(app) as client:
        assert app.state.runtime.wait(WAIT_S)
        yield client


def wait_for(client: TestClient, headers: dict[str, str], job_id: int, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/v1/training/jobs/{job_id}", headers=headers).json()
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is {job['status']}, not {statuses}, after {WAIT_S}s")


def endless(*_args: Any, hooks: Hooks, **_kwargs: Any) -> TenantRun:
    """A training run that embeds until a hook stops it (a cancel or a shutdown)."""
    hooks.stage("embedding", "embedding forever")
    for done in range(100_000):
        hooks.embedded(done, 100_000)
        time.sleep(0.01)
    raise AssertionError("the run was never stopped")


# --- routes (immediate mode) ----------------------------------------------------------------------


def test_a_submitted_job_succeeds_promotes_and_is_listed(
    immediate_client: TestClient, tmp_path: Path
) -> None:
    admin = keys(immediate_client.app)["admin"]  # type: ignore[arg-type]
    add_history(immediate_client.app.state.store)  # type: ignore[attr-defined]
    created = immediate_client.post(
        "/v1/training/jobs", headers=admin, json={"options": SMALL, "promote": True}
    )
    assert created.status_code == 202, created.text
    job = created.json()
    who = f"api:key {key_id(immediate_client.app)}"  # type: ignore[arg-type]
    assert (job["status"], job["progress"], job["requested_by"]) == ("succeeded", 1.0, who)
    history = (ModelRegistry(tmp_path, TENANT).root / "history.jsonl").read_text().splitlines()
    [promoted] = [e for e in map(json.loads, history) if e["action"] == "promote"]
    assert promoted["actor"] == f"job {job['id']} ({who})"
    assert job["result"]["promotion"]["promoted"] is True and job["options"]["intent"]["c_grid"] == [10.0]
    assert ModelRegistry(tmp_path, TENANT).active_version() == job["result"]["version"]
    stages = [line["message"].split(" ")[0] for line in job["logs"]]
    assert stages[:4] == ["queued", "started", "loading", "embedding"] and "promoting" in stages
    page = immediate_client.get("/v1/training/jobs", headers=admin).json()
    assert page["total"] == 1 and page["items"][0]["id"] == job["id"] and "logs" not in page["items"][0]
    finished = immediate_client.post(f"/v1/training/jobs/{job['id']}/cancel", headers=admin)
    assert finished.status_code == 409 and "already finished" in finished.json()["detail"]


def test_an_accurate_job_on_the_test_embedder_fails_with_what_to_do(immediate_client: TestClient) -> None:
    admin = keys(immediate_client.app)["admin"]  # type: ignore[arg-type]
    add_history(immediate_client.app.state.store)  # type: ignore[attr-defined]
    created = immediate_client.post(
        "/v1/training/jobs", headers=admin, json={"options": {**SMALL, "mode": "accurate"}}
    )
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["status"] == "failed" and "fine-tunes the service's own model" in job["error"]
    refused = immediate_client.post(
        "/v1/training/jobs", headers=admin, json={"options": {"mode": "accurate", "accurate": {"epochs": 0}}}
    )
    assert refused.status_code == 422 and "epochs" in refused.text


def test_bad_options_and_missing_history_are_422_that_say_what_to_fix(immediate_client: TestClient) -> None:
    admin = keys(immediate_client.app)["admin"]  # type: ignore[arg-type]
    bad = immediate_client.post(
        "/v1/training/jobs", headers=admin, json={"options": {"evaluation_share": 0.9}}
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "options.evaluation_share"
    unknown = immediate_client.post("/v1/training/jobs", headers=admin, json={"options": {"epochs": 3}})
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["field"] == "options.epochs"
    empty = immediate_client.post("/v1/training/jobs", headers=admin, json={})
    assert empty.status_code == 422 and "replykit history import" in empty.json()["detail"]
    assert immediate_client.get("/v1/training/jobs", headers=admin).json()["total"] == 0


def test_agent_keys_get_403_and_other_tenants_jobs_are_404(immediate_client: TestClient) -> None:
    app = immediate_client.app
    mine, theirs = keys(app)["agent"], keys(app, "globex")["admin"]  # type: ignore[arg-type]
    store: Store = app.state.store  # type: ignore[attr-defined]
    with store.session() as session:
        job = store_jobs.create_job(
            session, TENANT, options={}, source={"history": TENANT}, promote=False, requested_by="x"
        )
        job_id = job.id
    assert immediate_client.post("/v1/training/jobs", headers=mine, json={}).status_code == 403
    assert immediate_client.get("/v1/training/jobs", headers=mine).status_code == 403
    assert immediate_client.get(f"/v1/training/jobs/{job_id}", headers=mine).status_code == 403
    assert immediate_client.post(f"/v1/training/jobs/{job_id}/cancel", headers=mine).status_code == 403
    assert immediate_client.get(f"/v1/training/jobs/{job_id}", headers=theirs).status_code == 404
    assert immediate_client.post(f"/v1/training/jobs/{job_id}/cancel", headers=theirs).status_code == 404
    assert immediate_client.get("/v1/training/jobs", headers=theirs).json()["total"] == 0
    with store.session() as session:
        assert store_jobs.get_job(session, TENANT, job_id).status == "queued"


# --- the worker thread and restarts (the real queue) ----------------------------------------------


def test_cancel_while_queued_and_while_running_in_the_worker_thread(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.state.jobs.ctx.train = endless
    client = started(app)
    try:
        admin = keys(app)["admin"]
        add_history(app.state.store)
        first = client.post("/v1/training/jobs", headers=admin, json={}).json()
        second = client.post("/v1/training/jobs", headers=admin, json={}).json()
        wait_for(client, admin, first["id"], "running")
        queued = client.post(f"/v1/training/jobs/{second['id']}/cancel", headers=admin).json()
        assert queued["status"] == "cancelled" and queued["started_at"] is None
        assert queued["logs"][-1]["message"] == f"cancelled by api:key {key_id(app)} before it started"
        asked = client.post(f"/v1/training/jobs/{first['id']}/cancel", headers=admin).json()
        assert asked["status"] == "running" and asked["cancel_requested"] is True
        job = wait_for(client, admin, first["id"], "cancelled", "failed")
        assert job["status"] == "cancelled" and 0 < job["progress"] < 1
        assert "cancelled during embedding" in job["logs"][-1]["message"]
        assert ModelRegistry(tmp_path, TENANT).versions() == []
    finally:
        client.__exit__(None, None, None)


def test_a_clean_shutdown_requeues_the_running_job_and_the_next_instance_runs_it(tmp_path: Path) -> None:
    first = make_app(tmp_path)
    first.state.jobs.ctx.train = endless
    client = started(first)
    admin = keys(first)["admin"]
    add_history(first.state.store)
    job_id = client.post("/v1/training/jobs", headers=admin, json={"options": SMALL}).json()["id"]
    wait_for(client, admin, job_id, "running")
    client.__exit__(None, None, None)  # the lifespan stops the worker: the run stops at its next write

    second = make_app(tmp_path)
    with TestClient(second) as client:
        job = wait_for(client, admin, job_id, "succeeded", "failed")
    assert job["status"] == "succeeded" and job["attempts"] == 1  # the interrupted attempt is not counted
    notes = [line["message"] for line in job["logs"]]
    assert "the worker shut down; queued again" in notes and notes.count("started (attempt 1)") == 2


def test_a_restart_requeues_a_job_whose_worker_died_and_enqueues_jobs_the_queue_lost(tmp_path: Path) -> None:
    first = make_app(tmp_path, jobs_worker="off")  # accepts jobs; nobody runs them
    with TestClient(first) as client:
        admin = keys(first)["admin"]
        add_history(first.state.store)
        crashed = client.post("/v1/training/jobs", headers=admin, json={"options": SMALL}).json()["id"]
        lost = client.post("/v1/training/jobs", headers=admin, json={"options": SMALL}).json()["id"]
        with first.state.store.session() as session:  # a worker process claimed it, then died
            assert store_jobs.claim_job(session, crashed, f"{HOST}:{dead_pid()}:0badc0de")
    shutil.rmtree(tmp_path / "queue")  # and the queue's file is gone too

    second = make_app(tmp_path)
    with TestClient(second) as client:
        done = [wait_for(client, admin, job_id, "succeeded", "failed") for job_id in (crashed, lost)]
    assert [job["status"] for job in done] == ["succeeded", "succeeded"]
    assert done[0]["attempts"] == 2 and any("queued again" in line["message"] for line in done[0]["logs"])
    assert done[1]["attempts"] == 1
    assert len(ModelRegistry(tmp_path, TENANT).versions()) == 2


def test_two_workers_on_one_queue_run_each_job_once(tmp_path: Path) -> None:
    """Two API instances share a data dir; every job is enqueued twice; each still runs once."""
    apps = [make_app(tmp_path), make_app(tmp_path)]
    runs: list[int] = []
    lock = threading.Lock()

    def counted(*_args: Any, hooks: Hooks, **_kwargs: Any) -> TenantRun:
        with lock:
            runs.append(1)
        hooks.stage("embedding", "pretending")
        raise RuntimeError("stop here")  # the outcome does not matter, the number of runs does

    for app in apps:
        app.state.jobs.ctx.train = counted
    clients = [started(app) for app in apps]
    try:
        admin = keys(apps[0])["admin"]
        add_history(apps[0].state.store)
        ids = [clients[0].post("/v1/training/jobs", headers=admin, json={}).json()["id"] for _ in range(3)]
        for job_id in ids:
            apps[1].state.jobs.queue.enqueue(job_id)  # a duplicate message for the other worker
        finished = [wait_for(clients[1], admin, job_id, "failed", "succeeded") for job_id in ids]
        deadline = time.monotonic() + WAIT_S
        while apps[0].state.jobs.queue.pending_ids() and time.monotonic() < deadline:
            time.sleep(0.05)  # the duplicates reach a worker, which finds their jobs taken
        time.sleep(0.2)
        assert apps[0].state.jobs.queue.pending_ids() == set()
        assert [job["attempts"] for job in finished] == [1, 1, 1] and len(runs) == 3
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def test_a_run_that_cannot_stop_in_time_is_queued_again_and_its_late_end_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.app.JOBS_STOP_S", 0.2)
    fitting, release = threading.Event(), threading.Event()
    late: list[str] = []

    def long_fit(*_args: Any, hooks: Hooks, **_kwargs: Any) -> TenantRun:
        hooks.stage("fitting", "fitting")
        fitting.set()
        release.wait(WAIT_S)  # a model fit: no hook is called for a while
        try:
            hooks.stage("committing", "committing")
        except Exception as err:
            late.append(type(err).__name__)
            raise
        raise AssertionError("the late run went on to commit")

    app = make_app(tmp_path)
    app.state.jobs.ctx.train = long_fit
    client = started(app)
    admin = keys(app)["admin"]
    add_history(app.state.store)
    job_id = client.post("/v1/training/jobs", headers=admin, json={}).json()["id"]
    assert fitting.wait(WAIT_S)
    client.__exit__(None, None, None)
    release.set()
    app.state.jobs._thread.join(WAIT_S)  # the late run ends: stopped at its next hook, before any commit
    assert late in (["JobInterrupted"], ["JobLost"]) and ModelRegistry(tmp_path, TENANT).versions() == []
    with Store.from_settings(app.state.settings).session() as session:
        job = store_jobs.get_job(session, TENANT, job_id)
        assert (job.status, job.attempts, job.worker) == ("queued", 0, None)
        assert "cannot stop; queued again" in job.logs[-1]["message"]
