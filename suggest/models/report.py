"""How long-running model work reports progress without knowing who is listening (CLI, server log)."""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[str], None]
"""Called with one human-readable line: a step that starts, or a warning."""


def silent(_message: str) -> None:
    """A Report that says nothing."""
