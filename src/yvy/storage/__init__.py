"""Storage adapters: the workspace database on SQLite (default) or PostgreSQL/PostGIS
(``[postgis]`` extra), through SQLAlchemy Core.

``open_store(url)`` opens :class:`Store` (catalog, jobs, leases) at a ``sqlite:///PATH`` or
``postgresql://…`` URL, applying pending Alembic migrations; :class:`SQLAlertStore`,
:class:`SQLUserStore` and :class:`SQLFeedStore` wrap it. The schema is :mod:`.schema`; every
query of the project lives in this package. See ``docs/storage.md``.
"""

from __future__ import annotations

from .db import display_url
from .store import Store

__all__ = ["Store", "display_url", "open_store"]


def open_store(url: str, *, create: bool = False) -> Store:
    """Open the store at ``url`` (``sqlite:///PATH`` or ``postgresql://…``), applying pending
    migrations; ``create`` makes the database (SQLite) or its schema (PostgreSQL) if missing."""
    return Store(url, create=create)
