"""A progress bar that training and batch commands drive through a ``(done, total)`` callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.progress import err_console


@contextmanager
def embedding_bar(description: str = "Embedding") -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bars:
        task = bars.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bars.update(task, completed=done, total=total or None)  # 0: total unknown

        yield update
