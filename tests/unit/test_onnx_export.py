"""Which pooling the exported graph must reproduce, read from a sentence-transformers folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suggest.errors import ModelFormatError
from suggest.models.onnx_export import _pooling_mode


@pytest.mark.parametrize(
    ("config", "mode"),
    [
        ({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}, "mean"),
        ({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}, "cls"),
        ({"pooling_mode": "cls"}, "cls"),
        ({"word_embedding_dimension": 384}, "mean"),
    ],
)
def test_supported_pooling(tmp_path: Path, config: dict[str, object], mode: str) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(config))
    assert _pooling_mode(tmp_path) == mode


@pytest.mark.parametrize(
    "config",
    [
        {"pooling_mode_max_tokens": True},
        {"pooling_mode": "lasttoken"},
        {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True},
    ],
)
def test_other_pooling_is_refused(tmp_path: Path, config: dict[str, object]) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match="mean or CLS pooling"):
        _pooling_mode(tmp_path)


def test_no_pooling_folder_means_mean(tmp_path: Path) -> None:
    assert _pooling_mode(tmp_path) == "mean"
