"""PostGIS store: the workspace database in PostgreSQL (``[postgis]`` extra, psycopg 3).

All the logic is in :class:`yvy.storage.store.Store`; the PostgreSQL engine gives it
``geometry(…, 4326)`` columns with GiST indexes (spatial filters done with ``&&`` and
``ST_Intersects`` in SQL), an append-only audit log enforced by triggers, and write
transactions serialised by an advisory lock (read committed; readers never wait).

The database must exist and have PostGIS (``CREATE EXTENSION postgis`` as a superuser);
``yvy init`` with ``YVY_DATABASE_URL=postgresql://…`` then creates yvy's tables in it.
"""

from __future__ import annotations

from ._engine import PostgresEngine, migration_files
from .store import Store

__all__ = ["PostGISStore", "migrations"]


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every packaged PostgreSQL migration, in order."""
    return migration_files(PostgresEngine.migrations_package)


class PostGISStore(Store):
    """The workspace database in PostgreSQL/PostGIS.

    Parameters
    ----------
    url
        ``postgresql://USER:PASSWORD@HOST:PORT/DBNAME`` (any libpq URL).
    create
        Create yvy's schema when the database has none (otherwise that is a WorkspaceError).
    """

    def __init__(self, url: str, *, create: bool = False):
        super().__init__(PostgresEngine(url), create=create)
