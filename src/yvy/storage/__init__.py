"""Storage adapters: the SQLite store (default) and, with the ``[postgis]`` extra, PostGIS.

``open_store(url)`` picks the adapter from the URL scheme.
"""

from __future__ import annotations

from ..errors import InputError

__all__ = ["open_store"]


def open_store(url: str, *, create: bool = False):
    """Open the store at ``url`` (``sqlite:///PATH``), applying pending migrations."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        return SQLiteStore(url[len("sqlite:///") :], create=create)
    if url.startswith(("postgresql://", "postgres://")):
        raise InputError("YVY_DATABASE_URL", "PostgreSQL/PostGIS store is not available yet in this version")
    raise InputError("YVY_DATABASE_URL", f"unsupported database URL {url!r}; use sqlite:///PATH")
