"""SQLite store: the default, one file per workspace in WAL mode with busy handling.

All the logic is in :class:`yvy.storage.store.Store`; this module chooses the SQLite engine and
keeps the names other modules import (``SQLiteStore``, ``migrations``).
"""

from __future__ import annotations

from pathlib import Path

from ._engine import BUSY_TIMEOUT_MS, SQLiteEngine, migration_files
from .store import Store, _norm_dt, _now  # noqa: F401 - _norm_dt, _now: older imports

__all__ = ["BUSY_TIMEOUT_MS", "SQLiteStore", "migrations"]


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every packaged SQLite migration, in order."""
    return migration_files(SQLiteEngine.migrations_package)


class SQLiteStore(Store):
    """The default store: one SQLite file in WAL mode.

    Parameters
    ----------
    path
        Database file.
    create
        Create the file if missing (otherwise a missing file is a WorkspaceError).
    """

    def __init__(self, path: str | Path, *, create: bool = False):
        super().__init__(SQLiteEngine(path), create=create)

    @property
    def path(self) -> Path:
        """The database file."""
        return self.engine.path

    def migrations(self) -> list[tuple[int, str, str]]:
        """The packaged SQLite migrations (looked up through this module's ``migrations``)."""
        return migrations()
