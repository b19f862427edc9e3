"""Storage adapters: the SQLite store (default) and, with the ``[postgis]`` extra, PostGIS.

``open_store(url)`` picks the adapter from the URL scheme. Both are :class:`Store` over an
engine (:mod:`yvy.storage._engine`); the alert, user and feed stores wrap either.
"""

from __future__ import annotations

from ._engine import display_url, engine_for_url
from .store import Store

__all__ = ["Store", "display_url", "open_store"]


def open_store(url: str, *, create: bool = False) -> Store:
    """Open the store at ``url`` (``sqlite:///PATH`` or ``postgresql://…``), applying pending
    migrations; ``create`` makes the database (SQLite) or its schema (PostgreSQL) if missing."""
    engine = engine_for_url(url)
    if engine.name == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(engine.path, create=create)
    from .postgis import PostGISStore

    return PostGISStore(engine.url, create=create)
