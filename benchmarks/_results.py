"""Record what a benchmark prints into ``benchmarks/results/<name>.md`` with the command line,
the date, the machine and the number of runs behind each figure (README figures quote these
files). Not collected by pytest."""

from __future__ import annotations

import contextlib
import io
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self):
        for s in self.streams:
            s.flush()


@contextlib.contextmanager
def recorded(name: str, runs: int, note: str = "", script: str | None = None):
    """Print as usual and also write the output to ``results/<name>.md`` (when it completes);
    ``script``: the benchmark's file name when it is not ``<name>.py``."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, buf)):
        yield
    RESULTS.mkdir(exist_ok=True)
    head = [
        f"# {name}",
        "",
        f"- command: `python benchmarks/{script or name + '.py'} {' '.join(sys.argv[1:])}`",
        f"- runs: {runs} (each figure is the median of {runs} runs unless the line says otherwise)",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; machine: {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}",
    ]
    if note:
        head.append(f"- note: {note}")
    (RESULTS / f"{name}.md").write_text("\n".join([*head, "", "```", buf.getvalue().rstrip(), "```", ""]))
