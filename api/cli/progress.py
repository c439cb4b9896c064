"""Progress display for slow steps: a spinner while a step runs, a tick and its time when done."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

err_console = Console(stderr=True)


class StepReporter:
    """Pass ``reporter.step`` and ``reporter.warn`` to code that reports progress by callback."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("Starting", total=None)
        self._current: str | None = None
        self._started = time.perf_counter()

    def _finish_current(self) -> None:
        if self._current is not None:
            took = time.perf_counter() - self._started
            self._progress.console.print(f"[green]✓[/green] {escape(self._current)} [dim]({took:.1f}s)[/dim]")

    def step(self, message: str) -> None:
        self._finish_current()
        self._current, self._started = message, time.perf_counter()
        self._progress.reset(self._task, description=escape(message))

    def warn(self, message: str) -> None:
        self._progress.console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)

    def close(self) -> None:
        self._finish_current()
        self._current = None


@contextmanager
def steps() -> Iterator[StepReporter]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        reporter = StepReporter(progress)
        try:
            yield reporter
        finally:
            reporter.close()
