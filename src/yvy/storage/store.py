"""The workspace store: catalog (collections, items), jobs, migrations, one writer at a time.

One class for both engines: :class:`Store` talks to its :class:`~yvy.storage._engine.Engine`
through ``conn.execute(sql, params)`` with ``?`` placeholders and ``transaction()``; the few
places where SQLite and PostGIS differ (spatial index and filters, LIMIT syntax) go through the
engine's dialect hooks. :class:`~yvy.storage.sqlite.SQLiteStore` and
:class:`~yvy.storage.postgis.PostGISStore` only choose the engine.

Implements :class:`yvy.catalog.ports.CatalogStore`. Item bbox filters use the R*Tree
(SQLite) or a GiST index on ``bbox_geom`` (PostGIS); ``intersects`` is exact: shapely after the
index on SQLite, ``ST_Intersects`` in SQL on PostGIS.

Must not import: click, fastapi, yvy.cli, yvy.api.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from ..catalog.ports import ItemQuery
from ..errors import NotFoundError, WorkspaceError
from ._engine import Engine, in_clause

__all__ = ["Store"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Store:
    """The workspace database on one :class:`~yvy.storage._engine.Engine`.

    Parameters
    ----------
    engine
        SQLite or PostgreSQL engine.
    create
        Create the database schema where there is none (otherwise a missing SQLite file or a
        PostgreSQL database without yvy's schema is a WorkspaceError).
    """

    def __init__(self, engine: Engine, *, create: bool = False):
        self.engine = engine
        self._local = threading.local()
        if not create and not engine.exists():
            raise WorkspaceError(engine.label, "catalog database not found; run `yvy init`")
        try:
            if not create and engine.name != "sqlite" and not engine.has_table(self.conn, "schema_migrations"):
                raise WorkspaceError(engine.label, "this database has no yvy schema; run `yvy init` "
                                                   "with YVY_DATABASE_URL pointing at it")
            self.applied_at_open: list[int] = self.migrate()
            """Versions of the migrations opening this store applied."""
        except engine.Error as exc:
            raise WorkspaceError(engine.label, f"not a usable {engine.title} database ({exc})") from exc

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.name

    @property
    def url(self) -> str:
        """The database URL (may hold a password; see :func:`~yvy.storage.display_url`)."""
        return self.engine.url

    @property
    def Error(self) -> type[Exception]:  # noqa: N802 - a class, as in DB-API modules
        """The driver's base exception class."""
        return self.engine.Error

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.engine.label!r})"

    # -- connections -------------------------------------------------------------------
    @property
    def conn(self):
        """This thread's connection (autocommit; transactions are explicit)."""
        c = getattr(self._local, "conn", None)
        if c is None or getattr(c, "closed", False):
            c = self.engine.connect()
            self._local.conn = c
            self._local.depth = 0
        return c

    def close(self) -> None:
        """Close this thread's connection."""
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator:
        """One writer at a time: ``BEGIN IMMEDIATE`` on SQLite, ``BEGIN`` plus the writer lock
        on PostgreSQL; ``COMMIT`` at the end, ``ROLLBACK`` on any exception. Re-entrant (an
        inner block joins the outer transaction)."""
        c = self.conn
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield c
            finally:
                self._local.depth = depth
            return
        self.engine.begin(c)
        self._local.depth = 1
        try:
            yield c
        except BaseException:
            with contextlib.suppress(self.engine.Error):
                c.execute("ROLLBACK")
            raise
        else:
            c.execute("COMMIT")
        finally:
            self._local.depth = 0

    # -- schema ----------------------------------------------------------------------
    def migrations(self) -> list[tuple[int, str, str]]:
        """(version, name, sql) of the migrations this yvy ships for this engine."""
        return self.engine.migrations()

    def _bookkeeping(self) -> None:
        if not self.engine.has_table(self.conn, "schema_migrations"):
            with self.transaction() as c:
                c.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                          "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)")

    def schema_version(self) -> int:
        """Highest applied migration version (0 for an empty database)."""
        self._bookkeeping()
        row = self.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def applied_migrations(self) -> set[int]:
        """Versions of the migrations already applied."""
        self._bookkeeping()
        return {int(r[0]) for r in self.conn.execute("SELECT version FROM schema_migrations")}

    def migrate(self) -> list[int]:
        """Apply every packaged migration not yet applied (in version order), each in its own
        transaction; return the versions applied. A database with a migration this yvy does
        not know is refused. Safe when several processes open the database at once."""
        known = self.migrations()
        done = self.applied_migrations()
        unknown = done - {v for v, _, _ in known}
        if unknown:
            raise WorkspaceError(
                self.engine.label,
                f"schema version {max(unknown)} is newer than this yvy "
                f"({known[-1][0] if known else 0}); upgrade yvy",
            )
        applied = []
        if any(v not in done for v, _, _ in known):
            self.engine.prepare(self.conn)
        for version, name, sql in known:
            if version in done:
                continue
            with self.transaction() as c:
                if c.execute("SELECT 1 FROM schema_migrations WHERE version=?", (version,)).fetchone():
                    continue  # another process applied it while we waited for the lock
                for stmt in self.engine.split_sql(sql):
                    c.execute(stmt)
                c.execute("INSERT INTO schema_migrations(version, name, applied) VALUES (?,?,?)",
                          (version, name, _now()))
            applied.append(version)
        return applied

    # -- collections -----------------------------------------------------------------
    def upsert_collection(self, collection: dict) -> None:
        """Insert or replace a STAC Collection (dict)."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO collections(id, doc, updated) VALUES (?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET doc=excluded.doc, updated=excluded.updated",
                (collection["id"], json.dumps(collection), _now()),
            )

    def get_collection(self, collection_id: str) -> dict:
        """The Collection dict, or NotFoundError."""
        row = self.conn.execute("SELECT doc FROM collections WHERE id=?", (collection_id,)).fetchone()
        if row is None:
            raise NotFoundError(collection_id, "no such collection")
        return json.loads(row[0])

    def has_collection(self, collection_id: str) -> bool:
        """Whether the collection exists."""
        q = "SELECT 1 FROM collections WHERE id=?"
        return self.conn.execute(q, (collection_id,)).fetchone() is not None

    def list_collections(self) -> list[dict]:
        """All collections, by id."""
        rows = self.conn.execute("SELECT doc FROM collections ORDER BY id").fetchall()
        return [json.loads(r[0]) for r in rows]

    def collection_extent(self, collection_id: str) -> dict:
        """Spatial and temporal extent of the items of a collection (STAC extent dict)."""
        row = self.conn.execute(
            "SELECT MIN(minx), MIN(miny), MAX(maxx), MAX(maxy), MIN(start_dt), MAX(end_dt), COUNT(*) "
            "FROM items WHERE collection=?",
            (collection_id,),
        ).fetchone()
        bbox = [row[0], row[1], row[2], row[3]] if row[6] and row[0] is not None else [-180, -90, 180, 90]
        return {
            "spatial": {"bbox": [bbox]},
            "temporal": {"interval": [[row[4], row[5]]]},
            "count": row[6],
        }

    # -- items -------------------------------------------------------------------------
    def upsert_item(self, item: dict) -> bool:
        """Insert or replace a STAC Item (dict); True if it was new."""
        props = item.get("properties", {})
        start = props.get("start_datetime") or props.get("datetime")
        end = props.get("end_datetime") or props.get("datetime")
        bbox = item.get("bbox") or [None] * 4
        if len(bbox) == 6:  # 3D bbox
            bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
        minx, miny, maxx, maxy = (None if v is None else float(v) for v in bbox)
        cloud = props.get("eo:cloud_cover")
        now = _now()
        coll = item["collection"]
        with self.transaction() as c:
            old = c.execute("SELECT pk FROM items WHERE collection=? AND id=?", (coll, item["id"])).fetchone()
            values = (
                _norm_dt(start), _norm_dt(end), None if cloud is None else float(cloud),
                minx, miny, maxx, maxy, json.dumps(item.get("geometry")), json.dumps(item), now,
            )
            if old is None:
                pk = c.execute(
                    "INSERT INTO items(collection, id, start_dt, end_dt, cloud_cover, minx, miny, maxx, maxy,"
                    " geometry, doc, updated, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING pk",
                    (coll, item["id"], *values, now),
                ).fetchone()[0]
            else:
                pk = old[0]
                c.execute(
                    "UPDATE items SET start_dt=?, end_dt=?, cloud_cover=?, minx=?, miny=?, maxx=?, maxy=?,"
                    " geometry=?, doc=?, updated=? WHERE pk=?",
                    (*values, pk),
                )
                self.engine.unindex(c, "items", "pk=?", (pk,))
            if minx is not None:
                self.engine.index_bounds(c, "items", pk, (minx, miny, maxx, maxy))
        return old is None

    def get_item(self, collection_id: str, item_id: str) -> dict:
        """The Item dict, or NotFoundError."""
        row = self.conn.execute(
            "SELECT doc FROM items WHERE collection=? AND id=?", (collection_id, item_id)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{collection_id}/{item_id}", "no such item")
        return json.loads(row[0])

    def find_item(self, item_id: str) -> dict:
        """The Item with this id in any collection, or NotFoundError."""
        row = self.conn.execute("SELECT doc FROM items WHERE id=? ORDER BY collection LIMIT 1",
                                (item_id,)).fetchone()
        if row is None:
            raise NotFoundError(item_id, "no such item")
        return json.loads(row[0])

    def delete_item(self, collection_id: str, item_id: str) -> None:
        """Remove an item (NotFoundError if absent)."""
        with self.transaction() as c:
            row = c.execute("SELECT pk FROM items WHERE collection=? AND id=?",
                            (collection_id, item_id)).fetchone()
            if row is None:
                raise NotFoundError(f"{collection_id}/{item_id}", "no such item")
            self.engine.unindex(c, "items", "pk=?", (row[0],))
            c.execute("DELETE FROM items WHERE pk=?", (row[0],))

    def _where(self, q: ItemQuery) -> tuple[str, list]:
        clauses, args = [], []
        for column, values in (("i.collection", q.collections), ("i.id", q.ids)):
            if values:
                sql, vals = in_clause(column, values)
                clauses.append(sql)
                args += vals
        exact = self._exact(q)
        if exact is not None and self.engine.exact_spatial:
            sql, a = self.engine.intersects_clause("i", "items", exact)
            clauses.append(sql)
            args += a
        elif exact is not None or q.bbox is not None:
            box = exact.bounds if exact is not None else q.bbox
            sql, a = self.engine.bbox_clause("i", "items", box)
            clauses.append(sql)
            args += a
        if q.start:
            clauses.append("(i.end_dt IS NULL OR i.end_dt >= ?)")
            args.append(_norm_dt(q.start))
        if q.end:
            clauses.append("(i.start_dt IS NULL OR i.start_dt <= ?)")
            args.append(_norm_dt(q.end))
        if q.max_cloud is not None:
            clauses.append("(i.cloud_cover IS NULL OR i.cloud_cover <= ?)")
            args.append(float(q.max_cloud))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    @staticmethod
    def _exact(q: ItemQuery):
        if q.intersects is None:
            return None
        from shapely.geometry import shape

        return shape(q.intersects)

    def iter_items(self, query: ItemQuery | None = None) -> Iterator[dict]:
        """Items matching ``query``, ordered by start datetime, collection and id."""
        q = query or ItemQuery()
        where, args = self._where(q)
        sql = (f"SELECT i.doc, i.geometry FROM items i{where} "
               "ORDER BY i.start_dt NULLS FIRST, i.collection, i.id")
        exact = None if self.engine.exact_spatial else self._exact(q)
        if exact is None:
            lim, a = self.engine.limit_clause(q.limit, q.offset)
            sql += lim
            args = [*args, *a]
        rows = self.conn.execute(sql, args)
        if exact is None:
            yield from (json.loads(doc) for doc, _ in rows)
            return
        from shapely.geometry import shape

        hits = (doc for doc, geom in rows if geom and shape(json.loads(geom)).intersects(exact))
        yield from (json.loads(doc) for doc in page(hits, q.offset, q.limit))

    def search_items(self, query: ItemQuery | None = None) -> list[dict]:
        """List of items matching ``query``."""
        return list(self.iter_items(query))

    def count_items(self, query: ItemQuery | None = None) -> int:
        """Number of items matching ``query`` (ignoring limit/offset)."""
        q = query or ItemQuery()
        if q.intersects is not None and not self.engine.exact_spatial:
            from dataclasses import replace

            return sum(1 for _ in self.iter_items(replace(q, limit=None, offset=0)))
        where, args = self._where(q)
        return int(self.conn.execute(f"SELECT COUNT(*) FROM items i{where}", args).fetchone()[0])


def page(rows: Iterable, offset: int = 0, limit: int | None = None) -> Iterator:
    """``rows[offset:offset + limit]`` of an iterator (paging after a filter done in Python)."""
    return itertools.islice(rows, offset, None if limit is None else offset + limit)


def _norm_dt(value: str | None) -> str | None:
    """ISO datetime normalised to UTC 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z' so strings sort by time."""
    if value is None:
        return None
    s = str(value).strip()
    if len(s) == 10:
        s += "T00:00:00Z"
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
