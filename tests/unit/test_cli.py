"""The command line, with the fake embedder: output shapes and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from suggest.config import get_settings
from tests.cli_helpers import run_main

runner = CliRunner()


@pytest.fixture(autouse=True)
def fake_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPLYKIT_EMBED_BACKEND", "fake")
    monkeypatch.setenv("REPLYKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()


def test_embed_prints_a_cosine_table_with_the_closest_pair() -> None:
    result = runner.invoke(app, ["embed", "my package is late", "where is my package", "reset password"])
    assert result.exit_code == 0, result.output
    assert "Cosine similarity" in result.output
    assert "closest pair: #1 and #2" in result.output
    assert "hashing-fake-384" in result.output


def test_embed_json_has_model_dim_and_vectors() -> None:
    result = runner.invoke(app, ["embed", "--json", "one text", "another text"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["model"] == "hashing-fake-384" and payload["dim"] == 384
    assert len(payload["vectors"]) == 2 and len(payload["vectors"][0]) == 384


def test_embed_reads_lines_from_a_file(tmp_path: Path) -> None:
    source = tmp_path / "tickets.txt"
    source.write_text("first ticket\n\nsecond ticket\n", encoding="utf-8")
    result = runner.invoke(app, ["embed", "--json", "--file", str(source)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["vectors"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["embed"], "nothing to embed"),
        (["embed", "   "], "text 1 is empty or only whitespace"),
        (["embed", "ok", "bad\udcffbyte"], "text 2 is not valid UTF-8"),
        ([*(["embed"] + [f"text {i}" for i in range(13)])], "at most 12 texts"),
    ],
)
def test_bad_embed_input_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, err = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert message in " ".join(err.split())
    assert "Traceback" not in err


@pytest.mark.parametrize(("option", "value"), [("--kind", "document"), ("--backend", "gpu")])
def test_unknown_choice_is_a_usage_error(option: str, value: str) -> None:
    result = runner.invoke(app, ["embed", option, value, "x"])
    assert result.exit_code == 2 and "Invalid value" in result.output


def test_backend_choices_match_the_settings() -> None:
    from typing import get_args

    from api.cli.embed_cmd import Backend
    from suggest.config import EmbedBackend

    assert [b.value for b in Backend] == list(get_args(EmbedBackend))


def test_customer_text_is_not_read_as_markup() -> None:
    result = runner.invoke(app, ["embed", "[red]refund[/red] now", "[/broken"])
    assert result.exit_code == 0, result.output
    assert "[red]refund[/red] now" in result.output and "[/broken" in result.output


def test_invalid_utf8_file_names_the_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "latin1.txt"
    source.write_bytes(b"fine\ncaf\xe9\n")
    code, err = run_main(monkeypatch, capsys, "embed", "--file", str(source))
    assert code == 2 and "not valid UTF-8" in err and "line 2" in err


def test_invalid_setting_stops_with_what_to_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REPLYKIT_PORT", "0")
    code, err = run_main(monkeypatch, capsys, "config")
    assert code == 2 and "REPLYKIT_PORT='0'" in err


def test_config_lists_every_setting() -> None:
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    for var in ("REPLYKIT_DATA_DIR", "REPLYKIT_MODEL_PATH", "REPLYKIT_PORT", "REPLYKIT_LOG_LEVEL"):
        assert var in result.output
    assert "fake" in result.output


def test_language_command() -> None:
    result = runner.invoke(app, ["language", "Waar is mijn pakket? Het is nog niet bezorgd."])
    assert result.exit_code == 0 and result.output.startswith("nl")
    short = runner.invoke(app, ["language", "ok", "--fallback", "el"])
    assert "el" in short.output and "fallback" in short.output
