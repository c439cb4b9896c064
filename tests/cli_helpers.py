"""Running the ``replykit`` entry point in-process, as a user would, exit code and stderr included."""

from __future__ import annotations

import sys

import pytest

from api.cli.main import main


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """(exit code, stderr) of ``replykit ARGS``; replykit's errors exit 2 with one line on stderr."""
    monkeypatch.setattr(sys, "argv", ["replykit", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code or 0), capsys.readouterr().err
