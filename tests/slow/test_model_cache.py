"""A damaged model cache is detected by checksum and rebuilt, byte for byte the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from suggest.config import Settings
from suggest.errors import ModelCacheError
from suggest.models.prepare import PreparedModel, cache_root, load_prepared, prepare_model


def test_prepared_model_records_its_checks(prepared: PreparedModel) -> None:
    checks = prepared.manifest["checks"]
    for lang in ("nl", "el"):
        assert checks["cross_lingual"][lang]["translation"] > checks["cross_lingual"][lang]["unrelated"]
    assert checks["onnx_int8"]["passed"] is True and checks["onnx_int8"]["min_cosine"] >= 0.99
    assert prepared.manifest["serving_backend"] == "onnx-int8"
    assert prepared.manifest["dim"] == 384
    assert {"model.safetensors", "tokenizer.json", "onnx/model.int8.onnx"} <= set(prepared.manifest["files"])


def test_corrupt_cache_is_rebuilt(real_settings: Settings, prepared_root: Path, tmp_path: Path) -> None:
    settings = real_settings.model_copy(update={"model_cache_dir": tmp_path})
    root = cache_root(settings)
    shutil.copytree(prepared_root, root)
    original = load_prepared(settings).manifest["files"]

    with (root / "tokenizer.json").open("ab") as fh:
        fh.write(b" ")
    with pytest.raises(ModelCacheError, match=r"tokenizer\.json has \d+ bytes"):
        load_prepared(settings)

    warnings: list[str] = []
    rebuilt = prepare_model(settings, warn=warnings.append)
    assert any("unusable" in w and "rebuilt" in w for w in warnings), warnings
    assert load_prepared(settings).manifest["files"] == rebuilt.manifest["files"]
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert rebuilt.manifest["files"][name] == original[name], f"{name} differs after rebuild"
    assert not list(tmp_path.glob(".*building*")), "the temporary build folder was left behind"


def test_missing_cache_is_reported(real_settings: Settings, tmp_path: Path) -> None:
    settings = real_settings.model_copy(update={"model_cache_dir": tmp_path})
    with pytest.raises(ModelCacheError, match="never fully prepared"):
        load_prepared(settings)
