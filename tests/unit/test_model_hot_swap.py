"""A running API swaps intent models under load: 8 threads send /v1/suggest while the main thread
promotes and rolls back, and no request fails or sees anything but one of the two versions."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.library import Library
from kb.store.tenants import create_key, ensure_tenant
from suggest.analysis.emotion import EmotionModel
from suggest.config import load_settings
from suggest.embed.fake import HashingEmbedder
from suggest.protocols import Embedder
from suggest.suggestions.engine import SuggestionEngine
from tests.analysis_helpers import (
    SMALL_OPTIONS,
    fake_embedder,
    labelled_examples,
    support_emotion_model,
    trained_intent,
)
from tests.kb_helpers import add
from tests.suggest_helpers import FAKE_OPTIONS, MONDAY_9, REPLIES, TENANT
from training.intent import IntentTrainOptions, TrainedIntent, save_intent, train_intent
from training.registry import ModelRegistry
from training.tenant_models import TenantPipelines

WORKERS = 8
SWAPS = 24
REFUND = {"ticket": {"text": "I want a refund for my order, please refund my money"}}


def emotion(_embedder: Embedder) -> EmotionModel:
    return support_emotion_model()


def commit(registry: ModelRegistry, trained: TrainedIntent, options: IntentTrainOptions) -> str:
    staged = registry.stage()
    save_intent(staged.folder, trained, fake_embedder(), options, {"sha256": "0" * 64})
    return registry.commit(staged).version


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app on the fake embedder, its engine on the tenant's own model registry."""
    settings = load_settings(data_dir=tmp_path, embed_backend="fake")
    app = create_app(settings, embedder_factory=HashingEmbedder)
    with TestClient(app) as client:
        assert app.state.runtime.wait(10)
        embedder = app.state.runtime.embedder
        library = Library(app.state.store, embedder, tmp_path / "index")
        with app.state.store.session() as session:
            ensure_tenant(session, TENANT)
        add(library, TENANT, *REPLIES)
        library.index.refresh(TENANT)
        pipelines = TenantPipelines(tmp_path, embedder, emotion_fallback=emotion)
        app.state.library = library
        app.state.engine = SuggestionEngine(
            library.store, library.search, pipelines, FAKE_OPTIONS, clock=lambda: MONDAY_9
        )
        yield client


@dataclass
class Load:
    """What the request threads saw: the intent version and label of each answer, or the failure."""

    answers: list[tuple[str, str | None]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def send(self, client: TestClient, headers: dict[str, str]) -> None:
        while not self.stop.is_set():
            try:
                response = client.post("/v1/suggest", json=REFUND, headers=headers)
                body: dict[str, Any] = response.json()
                if response.status_code != 200:
                    self.failures.append(f"{response.status_code}: {body}")
                    continue
                self.answers.append((body["versions"]["intent"], body["analysis"]["intent"]["label"]))
            except Exception as err:  # any failure of a request is what this test looks for
                self.failures.append(repr(err))

    def wait_for_more(self, seen: int, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.answers) <= seen and time.monotonic() < deadline:
            time.sleep(0.005)


def test_promotions_and_rollbacks_under_load_fail_no_request(client: TestClient, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, TENANT)
    other_options = IntentTrainOptions(c_grid=(1.0,), folds=3)
    first = commit(registry, trained_intent(), SMALL_OPTIONS)
    second = commit(
        registry, train_intent(labelled_examples(), fake_embedder(), other_options), other_options
    )
    registry.promote(first, evaluate=lambda _model, _holdout: 1.0)
    with client.app.state.store.session() as session:  # type: ignore[attr-defined]
        headers = {"Authorization": f"Bearer {create_key(session, TENANT, 'load', ['agent'])}"}

    load = Load()
    threads = [threading.Thread(target=load.send, args=(client, headers)) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    try:
        for swap in range(SWAPS):
            load.wait_for_more(len(load.answers))  # traffic between every two swaps
            if swap % 2 == 0:  # the second has no held-out file: promoted with force, as recorded
                registry.promote(second, evaluate=lambda _model, _holdout: 1.0, force=True, actor="test")
            else:
                registry.rollback(actor="test")
        load.wait_for_more(len(load.answers))
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=10)

    assert load.failures == []
    versions = {version for version, _label in load.answers}
    assert versions == {first, second}, versions
    assert {label for _version, label in load.answers} == {"refund"}
    assert len(load.answers) > 2 * SWAPS
    # the next request after the last swap (a rollback) is answered by the active version
    after = client.post("/v1/suggest", json=REFUND, headers=headers).json()
    assert after["versions"]["intent"] == registry.active_version() == first
