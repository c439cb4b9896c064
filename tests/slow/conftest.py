"""Fixtures for the slow tests, which run the real multilingual model end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from suggest.config import Settings, load_settings
from suggest.embed.loader import embedder_for
from suggest.models.prepare import PreparedModel, cache_root, prepare_model
from suggest.protocols import Embedder
from training.demo import ensure_demo_intent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    """The user's model cache (REPLYKIT_MODEL_CACHE_DIR or ~/.cache/replykit), the default model."""
    return load_settings(model_path=None, embed_backend="auto")


@pytest.fixture(scope="session")
def prepared(real_settings: Settings) -> PreparedModel:
    """Built once (about a minute) and then reused from the cache by later runs."""
    return prepare_model(real_settings)


@pytest.fixture(scope="session")
def prepared_root(real_settings: Settings, prepared: PreparedModel) -> Path:
    return cache_root(real_settings)


@pytest.fixture(scope="session")
def serving_embedder(prepared: PreparedModel) -> Embedder:
    return embedder_for(prepared, "auto")


@pytest.fixture(scope="session")
def demo_data(
    serving_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """A data directory with the demo intent model trained once per test session, and its report."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    report = ensure_demo_intent(data_dir, serving_embedder)
    assert report is not None
    return data_dir, report
