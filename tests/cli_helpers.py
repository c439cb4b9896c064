"""Running the ``replykit`` entry point in-process, as a user would, exit code and stderr included."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli.main import main
from suggest.config import get_settings


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """(exit code, stderr) of ``replykit ARGS``; replykit's errors exit 2 with one line on stderr."""
    monkeypatch.setattr(sys, "argv", ["replykit", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code or 0), capsys.readouterr().err


@pytest.fixture
def fake_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The CLI on the fake embedder with a private data folder; settings re-read around the test."""
    monkeypatch.setenv("REPLYKIT_EMBED_BACKEND", "fake")
    monkeypatch.setenv("REPLYKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REPLYKIT_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
