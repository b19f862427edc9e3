"""Rich progress bars implementing the ``progress(done, total, label)`` callbacks of the domain."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["progress_bar"]


@contextlib.contextmanager
def progress_bar(description: str, *, quiet: bool = False) -> Iterator:
    """Yield a ``progress(done, total, label)`` callable drawing a rich bar on stderr."""
    if quiet:
        yield lambda done, total, label="": None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[label]}", style="dim"),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None, label="")

        def update(done: int, total: int, label: str = "") -> None:
            bar.update(task, completed=done, total=total, label=str(label)[-50:])

        yield update
