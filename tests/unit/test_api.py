"""The app factory, lifespan loading and the health probes, with a fake model."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from suggest.config import load_settings
from suggest.embed.fake import HashingEmbedder
from suggest.protocols import Embedder


def _app(tmp_path: Path, factory: object) -> TestClient:
    settings = load_settings(data_dir=tmp_path, embed_backend="fake")
    return TestClient(create_app(settings, embedder_factory=factory))  # type: ignore[arg-type]


def test_healthz_answers_while_the_model_is_still_loading(tmp_path: Path) -> None:
    release = threading.Event()

    def slow_factory() -> Embedder:
        release.wait(10)
        return HashingEmbedder()

    with _app(tmp_path, slow_factory) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        loading = client.get("/readyz")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        release.set()
        assert client.app.state.runtime.wait(10)  # type: ignore[attr-defined]
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["model"] == "hashing-fake-384" and ready.json()["dim"] == 384


def test_model_is_loaded_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def factory() -> Embedder:
        calls.append(1)
        return HashingEmbedder()

    with _app(tmp_path, factory) as client:
        client.app.state.runtime.wait(10)  # type: ignore[attr-defined]
        for _ in range(3):
            assert client.get("/readyz").status_code == 200
    assert calls == [1]


def test_a_failed_load_is_reported_not_hidden(tmp_path: Path) -> None:
    def broken() -> Embedder:
        raise RuntimeError("weights unreadable")

    with _app(tmp_path, broken) as client:
        client.app.state.runtime.wait(10)  # type: ignore[attr-defined]
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "failed" and "RuntimeError" in body["error"]
        assert "weights unreadable" not in body["error"], "internal details must stay in the log"
        assert client.get("/healthz").status_code == 200
