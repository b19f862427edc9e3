"""Rich progress bars implementing the ``progress(done, total, label)`` callbacks of the domain.

The bar's description and the domain's stage names (texts marked with ``N_``) are shown in the
CLI's language; labels that are values (file names, scene ids) pass unchanged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["progress_bar"]


def _gettext():
    from ..i18n import translator
    from ._help_i18n import speaking_language

    lang = speaking_language()
    return translator(lang).gettext if lang else str


def _label(gettext, label) -> str:
    """A stage name in the CLI's language; ``"tile 5/3/2"``: its words translated, the value not."""
    if not isinstance(label, str):
        return str(label)
    text = gettext(label)
    if text == label:
        head, _, tail = label.rpartition(" ")
        if head and gettext(head) != head:
            text = f"{gettext(head)} {tail}"
    return text


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

    gettext = _gettext()
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
        task = bar.add_task(gettext(description), total=None, label="")

        def update(done: int, total: int, label: str = "") -> None:
            bar.update(task, completed=done, total=total, label=_label(gettext, label)[-50:])

        yield update
