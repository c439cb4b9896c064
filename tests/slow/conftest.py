"""Fixtures for the slow tests, which run the real multilingual model end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from suggest.config import Settings, load_settings
from suggest.models.prepare import PreparedModel, cache_root, prepare_model


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
