"""A progress bar that training and batch commands drive through a ``(done, total)`` callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from api.cli.progress import err_console

Update = Callable[[int, int], None]


@contextmanager
def progress_bars() -> Iterator[Callable[[str], Update]]:
    """Yields ``bar(description)``: the update callback of the bar with that description, which
    appears when first asked for (a training run shows fine-tuning only in the accurate mode)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def bar(description: str) -> Update:
            task = tasks.get(description)
            if task is None:
                task = tasks[description] = bars.add_task(description, total=None)

            def update(done: int, total: int) -> None:
                bars.update(task, completed=done, total=total or None)  # 0: total unknown

            return update

        yield bar


@contextmanager
def embedding_bar(description: str = "Embedding") -> Iterator[Update]:
    with progress_bars() as bar:
        yield bar(description)
