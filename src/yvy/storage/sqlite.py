"""SQLite store: WAL journal, busy handling, versioned migrations, one transaction per write.

Implements :class:`yvy.catalog.ports.CatalogStore`. Spatial filtering uses an R*Tree index on
item bounding boxes, then an exact shapely test for ``intersects`` queries.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from ..catalog.ports import ItemQuery
from ..errors import NotFoundError, WorkspaceError

__all__ = ["SQLiteStore", "migrations"]

BUSY_TIMEOUT_MS = 60_000


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every packaged migration, in order."""
    out = []
    for res in resources.files("yvy.storage.migrations").iterdir():
        name = res.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name[5:-4], res.read_text()))
    return sorted(out)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class SQLiteStore:
    """The default store: one SQLite file in WAL mode.

    Parameters
    ----------
    path
        Database file.
    create
        Create the file if missing (otherwise a missing file is a WorkspaceError).
    """

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise WorkspaceError(self.path, "catalog database not found; run `yvy init`")
        self._local = threading.local()
        try:
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(self.path, f"not a usable SQLite database ({exc})") from exc

    # -- connections -------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        c = getattr(self._local, "conn", None)
        if c is None:
            try:
                c = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                    check_same_thread=False,
                )
                c.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                c.execute("PRAGMA journal_mode=WAL")
                c.execute("PRAGMA synchronous=NORMAL")
                c.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as exc:
                raise WorkspaceError(self.path, f"not a usable SQLite database ({exc})") from exc
            c.row_factory = sqlite3.Row
            self._local.conn = c
        return c

    def close(self) -> None:
        """Close this thread's connection."""
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any exception. Re-entrant."""
        c = self.conn
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield c
            finally:
                self._local.depth = depth
            return
        c.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        else:
            c.execute("COMMIT")
        finally:
            self._local.depth = 0

    # -- schema ----------------------------------------------------------------------
    def schema_version(self) -> int:
        """Highest applied migration version (0 for an empty database)."""
        c = self.conn
        c.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
        )
        row = c.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def applied_migrations(self) -> set[int]:
        """Versions of the migrations already applied."""
        self.schema_version()  # creates the bookkeeping table if needed
        return {int(r[0]) for r in self.conn.execute("SELECT version FROM schema_migrations")}

    def migrate(self) -> list[int]:
        """Apply every packaged migration not yet applied (in version order), each in its own
        transaction; return the versions applied. A database with a migration this yvy does
        not know is refused."""
        known = migrations()
        done = self.applied_migrations()
        unknown = done - {v for v, _, _ in known}
        if unknown:
            raise WorkspaceError(
                self.path,
                f"schema version {max(unknown)} is newer than this yvy "
                f"({known[-1][0] if known else 0}); upgrade yvy",
            )
        applied = []
        for version, name, sql in known:
            if version in done:
                continue
            with self.transaction() as c:
                for stmt in _split_sql(sql):
                    c.execute(stmt)
                c.execute(
                    "INSERT INTO schema_migrations(version, name, applied) VALUES (?,?,?)",
                    (version, name, _now()),
                )
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
        minx, miny, maxx, maxy = bbox
        now = _now()
        coll = item["collection"]
        with self.transaction() as c:
            old = c.execute("SELECT pk FROM items WHERE collection=? AND id=?", (coll, item["id"])).fetchone()
            values = (
                _norm_dt(start), _norm_dt(end), props.get("eo:cloud_cover"), minx, miny, maxx, maxy,
                json.dumps(item.get("geometry")), json.dumps(item), now,
            )
            if old is None:
                cur = c.execute(
                    "INSERT INTO items(collection, id, start_dt, end_dt, cloud_cover, minx, miny, maxx, maxy,"
                    " geometry, doc, updated, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (coll, item["id"], *values, now),
                )
                pk = cur.lastrowid
            else:
                pk = old[0]
                c.execute(
                    "UPDATE items SET start_dt=?, end_dt=?, cloud_cover=?, minx=?, miny=?, maxx=?, maxy=?,"
                    " geometry=?, doc=?, updated=? WHERE pk=?",
                    (*values, pk),
                )
                c.execute("DELETE FROM items_rtree WHERE pk=?", (pk,))
            if minx is not None:
                c.execute("INSERT INTO items_rtree(pk, minx, maxx, miny, maxy) VALUES (?,?,?,?,?)",
                          (pk, minx, maxx, miny, maxy))
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
            c.execute("DELETE FROM items_rtree WHERE pk=?", (row[0],))
            c.execute("DELETE FROM items WHERE pk=?", (row[0],))

    def _where(self, q: ItemQuery) -> tuple[str, list]:
        clauses, args = [], []
        if q.collections:
            clauses.append(f"i.collection IN ({','.join('?' * len(q.collections))})")
            args += list(q.collections)
        if q.ids:
            clauses.append(f"i.id IN ({','.join('?' * len(q.ids))})")
            args += list(q.ids)
        box = q.bbox
        if q.intersects is not None:
            from shapely.geometry import shape

            box = shape(q.intersects).bounds
        if box is not None:
            clauses.append(
                "i.pk IN (SELECT pk FROM items_rtree WHERE minx<=? AND maxx>=? AND miny<=? AND maxy>=?)"
            )
            args += [box[2], box[0], box[3], box[1]]
        if q.start:
            clauses.append("(i.end_dt IS NULL OR i.end_dt >= ?)")
            args.append(_norm_dt(q.start))
        if q.end:
            clauses.append("(i.start_dt IS NULL OR i.start_dt <= ?)")
            args.append(_norm_dt(q.end))
        if q.max_cloud is not None:
            clauses.append("(i.cloud_cover IS NULL OR i.cloud_cover <= ?)")
            args.append(q.max_cloud)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def iter_items(self, query: ItemQuery | None = None) -> Iterator[dict]:
        """Items matching ``query``, ordered by start datetime, collection and id."""
        q = query or ItemQuery()
        where, args = self._where(q)
        sql = f"SELECT i.doc, i.geometry FROM items i{where} ORDER BY i.start_dt, i.collection, i.id"
        exact = None
        if q.intersects is not None:
            from shapely.geometry import shape

            exact = shape(q.intersects)
        if exact is None:
            if q.limit is not None:
                sql += " LIMIT ? OFFSET ?"
                args = [*args, q.limit, q.offset]
            elif q.offset:
                sql += " LIMIT -1 OFFSET ?"
                args = [*args, q.offset]
        skipped = taken = 0
        for doc, geom in self.conn.execute(sql, args):
            if exact is not None:
                from shapely.geometry import shape

                g = json.loads(geom) if geom else None
                if g is None or not shape(g).intersects(exact):
                    continue
                if skipped < q.offset:
                    skipped += 1
                    continue
                if q.limit is not None and taken >= q.limit:
                    return
                taken += 1
            yield json.loads(doc)

    def search_items(self, query: ItemQuery | None = None) -> list[dict]:
        """List of items matching ``query``."""
        return list(self.iter_items(query))

    def count_items(self, query: ItemQuery | None = None) -> int:
        """Number of items matching ``query`` (ignoring limit/offset)."""
        q = query or ItemQuery()
        if q.intersects is not None:
            from dataclasses import replace

            return sum(1 for _ in self.iter_items(replace(q, limit=None, offset=0)))
        where, args = self._where(q)
        return int(self.conn.execute(f"SELECT COUNT(*) FROM items i{where}", args).fetchone()[0])


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


def _split_sql(sql: str) -> list[str]:
    """Split a migration into complete statements (``CREATE TRIGGER ... BEGIN ...; END`` kept whole)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return [s for s in out if s.rstrip(";").strip()]
