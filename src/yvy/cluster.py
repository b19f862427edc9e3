"""Dask distributed execution of chunk work: a scheduler address or a local cluster.

``chunk_executor(scheduler=..., workers=...)`` is a context manager yielding a function
``run(fn, plan, indices) -> iterator of (i, result)`` that yields each chunk's result as it
completes. Without a scheduler or workers it runs the chunks in this process, in order. With
Dask, the plan is scattered once, every chunk is one task (retried on another worker when a
worker dies), and results come back to the caller, which alone writes them: a killed worker
loses and duplicates nothing.

Must not import: click, rich, yvy.cli, yvy.storage.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator

from .errors import InputError, MissingDependencyError

__all__ = ["SCHEDULER_ENV", "chunk_executor", "resolve_scheduler"]

SCHEDULER_ENV = "YVY_DASK_SCHEDULER"

ChunkRunner = Callable[[Callable, object, Iterable[int]], Iterator[tuple[int, object]]]


def resolve_scheduler(scheduler: str | None) -> str | None:
    """The scheduler address: the argument, else ``$YVY_DASK_SCHEDULER``, else None."""
    addr = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if addr and "://" not in addr:
        raise InputError("scheduler", f"{addr!r} is not a scheduler address like tcp://HOST:8786")
    return addr


def _serial(fn, plan, indices):
    for i in indices:
        yield i, fn(plan, i)


@contextlib.contextmanager
def chunk_executor(*, scheduler: str | None = None, workers: int | None = None,
                   client=None) -> Iterator[ChunkRunner]:
    """Yield a chunk runner: in-process, on a Dask scheduler, or on a local Dask cluster.

    Parameters
    ----------
    scheduler
        ``tcp://HOST:PORT`` of a running Dask scheduler (default ``$YVY_DASK_SCHEDULER``).
    workers
        Start a local cluster of this many single-threaded worker processes.
    client
        An existing ``distributed.Client`` to use as it is (tests, notebooks).
    """
    addr = resolve_scheduler(scheduler)
    if client is None and addr is None and not workers:
        yield _serial
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a base dependency
        raise MissingDependencyError("dask", "install dask[distributed] to run on a cluster") from exc
    with contextlib.ExitStack() as stack:
        if client is None:
            if addr is not None:
                try:
                    client = stack.enter_context(Client(addr, timeout="10s"))
                except OSError as exc:
                    raise InputError(addr, f"cannot reach the Dask scheduler ({exc})") from exc
            else:
                cluster = stack.enter_context(LocalCluster(
                    n_workers=int(workers), threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=40))
                client = stack.enter_context(Client(cluster))
        yield _dask_runner(client)


def _one_thread(fn, arg, i):
    """Run ``fn(arg, i)`` with numba's kernels on one thread: a worker is one core."""
    import numba

    numba.set_num_threads(1)  # per calling thread
    return fn(arg, i)


def _dask_runner(client) -> ChunkRunner:
    from distributed import as_completed

    def run(fn, arg, indices):
        indices = list(indices)
        if not indices:
            return
        shared = client.scatter(arg, broadcast=True, hash=False)
        futures = {client.submit(_one_thread, fn, shared, i, pure=False, retries=3): i for i in indices}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()

    return run
