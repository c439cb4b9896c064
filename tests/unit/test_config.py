from __future__ import annotations

from pathlib import Path

import pytest

from suggest.config import load_settings
from suggest.errors import ConfigError


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPLYKIT_PORT", "9001")
    monkeypatch.setenv("REPLYKIT_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("REPLYKIT_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert (settings.port, settings.log_level, settings.data_dir) == (9001, "debug", tmp_path)


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("REPLYKIT_PORT", "70000", "REPLYKIT_PORT='70000'"),
        ("REPLYKIT_PORT", "eighty", "REPLYKIT_PORT='eighty'"),
        ("REPLYKIT_LOG_LEVEL", "loud", "REPLYKIT_LOG_LEVEL='loud'"),
        ("REPLYKIT_EMBED_BACKEND", "gpu", "REPLYKIT_EMBED_BACKEND='gpu'"),
        ("REPLYKIT_MODEL_PATH", "/nonexistent/model", "not a sentence-transformers folder"),
    ],
)
def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert message in str(err.value)
    assert "Fix the variables above" in str(err.value)


def test_model_path_needs_a_config_and_safetensors(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(ConfigError, match=r"no \.safetensors weights"):
        load_settings(model_path=tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert load_settings(model_path=tmp_path).model_path == tmp_path


def test_the_cli_switches_hugging_face_offline_before_it_loads() -> None:
    """Checked in a fresh interpreter: huggingface_hub reads the switch once, at import."""
    import subprocess
    import sys

    code = (
        "import os; [os.environ.pop(k, None) for k in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE')];"
        "import api.cli, suggest.embed.st_embedder, huggingface_hub.constants as c;"
        "print(c.HF_HUB_OFFLINE, os.environ['TRANSFORMERS_OFFLINE'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "1"]
