"""The workspace store: catalog (collections, items), jobs, leases and cursors, on either engine.

:class:`Store` runs SQLAlchemy Core statements built from :mod:`yvy.storage.schema` on a
SQLite or PostgreSQL/PostGIS engine (:mod:`yvy.storage.db`); opening it applies pending
migrations. Implements :class:`yvy.catalog.ports.CatalogStore` and
:class:`yvy.catalog.ports.JobStore`. Item bbox filters use the R*Tree (SQLite) or the GiST
index on ``bbox_geom`` (PostGIS); ``intersects`` is exact: shapely after the index on SQLite,
``ST_Intersects`` in SQL on PostGIS.

Transactions: ``transaction()`` is one write transaction per thread (re-entrant). On SQLite it
is ``BEGIN IMMEDIATE`` (SQLite has one writer); on PostgreSQL it is a plain read-committed
``BEGIN``, and only read-check-write sequences lock what they check (:meth:`Store.serialise`),
so an ingest or a review does not wait for an unrelated long transaction.

Must not import: click, fastapi, yvy.cli, yvy.api.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import threading
import zlib
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..catalog.ports import ItemQuery, Job
from ..dates import now_iso, to_iso
from ..errors import E_, InputError, NotFoundError, WorkspaceError
from . import db
from .schema import collections, cursors, extent, items, jobs, leases
from .where import Terms, Where, bbox_term, box_values, intersecting, paged

__all__ = ["Store", "StoreAdapter", "page"]


_SORT_COLUMNS = {"id": items.c.id, "collection": items.c.collection, "datetime": items.c.start_dt,
                 "eo:cloud_cover": items.c.cloud_cover}
"""ItemQuery sort keys -> the item columns that hold them."""

class Store:
    """The workspace database at ``url`` (``sqlite:///PATH`` or ``postgresql://…``).

    Parameters
    ----------
    url
        Database URL.
    create
        Create the database (SQLite file) or yvy's schema in it where there is none
        (otherwise that is a WorkspaceError).
    """

    def __init__(self, url: str, *, create: bool = False):
        self.url = url
        self.engine = db.make_engine(url)
        self.dialect: str = self.engine.dialect.name
        """``sqlite`` or ``postgresql``."""
        self.label = db.display_url(url)
        self._local = threading.local()
        if self.dialect == "sqlite":
            self.label = url[len("sqlite:///"):]
            if not create and not Path(self.label).exists():
                raise WorkspaceError(self.label, "catalog database not found; run `yvy init`")
        try:
            self.applied_at_open: list[str] = db.migrate(self.engine, self.label, create=create)
            """What opening this store did to the schema (``create`` or revisions)."""
            self._check_guards()
        except sa.exc.OperationalError as exc:
            self.engine.dispose()
            raise WorkspaceError(self.label, self._why(exc)) from exc  # i18n: relayed
        except sa.exc.DatabaseError as exc:
            self.engine.dispose()
            raise WorkspaceError(self.label, f"not a usable {self.title} database ({exc.orig})") from exc

    def _why(self, exc) -> str:
        if self.dialect == "sqlite":
            return E_(f"not a usable SQLite database ({exc.orig})")
        lines = str(exc.orig).strip().splitlines()
        return E_(f"cannot connect to PostgreSQL ({lines[-1] if lines else type(exc.orig).__name__})")

    @property
    def title(self) -> str:
        """``SQLite`` or ``PostgreSQL`` (for messages)."""
        return "SQLite" if self.dialect == "sqlite" else "PostgreSQL"

    Error = sa.exc.DBAPIError
    """The base class of database errors raised through this store."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r})"

    def _check_guards(self) -> None:
        """Put back guard triggers someone dropped (the audit hash chain still shows edits)."""
        with self.read() as c:
            missing = db.missing_guards(c)
        if missing:
            with self.transaction() as c:
                db.install_guards(c)

    # -- connections -------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One write transaction of this thread: COMMIT at the end, ROLLBACK on any exception.
        Re-entrant (an inner block joins the outer transaction)."""
        c = getattr(self._local, "conn", None)
        if c is not None:
            yield c
            return
        c = self._thread_conn()
        c.info["yvy_write"] = True  # SQLite: BEGIN IMMEDIATE (see db.make_engine)
        try:
            tx = c.begin()
        finally:
            c.info["yvy_write"] = False
        with tx:
            self._local.conn = c
            try:
                yield c
            finally:
                self._local.conn = None

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading: this thread's write transaction if one is open, else this
        thread's connection (SQLite: each statement sees the last commit; PostgreSQL: one
        read-committed transaction, ended at the end of the block)."""
        c = getattr(self._local, "conn", None)
        if c is not None:
            yield c
            return
        c = self._thread_conn()
        with c.begin():
            yield c

    def _thread_conn(self) -> sa.Connection:
        """This thread's connection (one per thread, as SQLite and psycopg want)."""
        c = getattr(self._local, "c", None)
        if c is None or c.closed or c.invalidated:
            c = self._local.c = self.engine.connect()
        return c

    def _all(self, stmt) -> list[sa.Row]:
        with self.read() as c:
            return c.execute(stmt).all()

    def _first(self, stmt) -> sa.Row | None:
        with self.read() as c:
            return c.execute(stmt).first()

    def count_rows(self, table: sa.Table, *where) -> int:
        """How many rows of ``table`` match ``where`` (all of them without)."""
        return int(self._first(sa.select(sa.func.count()).select_from(table).where(*where))[0])

    def one(self, stmt, missing: Exception) -> sa.Row:
        """The first row of ``stmt``; raises ``missing`` (e.g. a NotFoundError) when there is none."""
        row = self._first(stmt)
        if row is None:
            raise missing
        return row

    def write(self, stmt, params=None):
        """Run one statement in a write transaction (this thread's open one, if any). Returns the
        first value of its first row when it returns rows (RETURNING; None: no row), else the
        number of rows it changed."""
        with self.transaction() as c:
            result = c.execute(stmt, params)
            return result.scalar() if result.returns_rows else result.rowcount

    def serialise(self, c: sa.Connection, topic: str) -> None:
        """Hold the lock of ``topic`` until this transaction ends (PostgreSQL: an advisory
        lock; SQLite writers are already serialised). For read-check-write sequences only."""
        if self.dialect == "postgresql":
            c.execute(sa.select(sa.func.pg_advisory_xact_lock(zlib.crc32(topic.encode()))))

    def close(self) -> None:
        """Close this thread's connection and the pool."""
        c = getattr(self._local, "c", None)
        if c is not None:
            c.close()
            self._local.c = None
        self.engine.dispose()

    # -- schema ----------------------------------------------------------------------------
    def migrations(self) -> list[tuple[str, str]]:
        """(revision, title) of the migrations this yvy ships, oldest first."""
        return db.revisions()

    def schema_version(self) -> str | None:
        """The database's schema revision."""
        with self.read() as c:
            return db.current_revision(c)

    def migrate(self) -> list[str]:
        """Apply pending migrations; return what was done."""
        return db.migrate(self.engine, self.label, create=False)

    # -- spatial filters -----------------------------------------------------------------
    @property
    def exact_spatial(self) -> bool:
        """Whether spatial filters are exact in SQL (PostGIS) or a bbox prefilter (SQLite)."""
        return self.dialect == "postgresql"

    def bbox_filter(self, table: sa.Table, box) -> sa.ColumnElement:
        """The row's bbox overlaps ``box`` (minx, miny, maxx, maxy); index-backed on both."""
        return bbox_term(table, self.dialect).params(box_values(box))

    def spatial_term(self, where: Where, geom=None, box=None) -> None:
        """Add to ``where`` the spatial term (:data:`~.where.SPATIAL_TERMS`): rows intersecting the
        shapely ``geom`` (PostGIS: exact; SQLite: overlapping its bounds, see :func:`intersecting`),
        else rows whose bbox overlaps ``box``."""
        if geom is not None and self.exact_spatial:
            from shapely import force_2d, to_wkb

            where.add("intersects", geom=to_wkb(force_2d(geom)))
        else:
            where.add("bbox", **box_values(geom.bounds if geom is not None else box))

    # -- collections -----------------------------------------------------------------
    def upsert_collection(self, collection: dict) -> None:
        """Insert or replace a STAC Collection (dict)."""
        values = {"id": collection["id"], "doc": json.dumps(collection), "updated": now_iso("microseconds")}
        self.write(self._upsert(collections, values, ["id"]))

    def _insert(self, table: sa.Table):
        """The dialect's INSERT (with ``on_conflict_do_…``)."""
        return _dialect_insert(self.dialect, table)

    @staticmethod
    def _executemany(conn: sa.Connection, stmt, rows: list[dict]) -> None:
        """Run ``stmt`` once per row of ``rows`` (dicts with the same keys) through the driver's own
        executemany, compiled once. For bulk loads (10^5 rows): SQLAlchemy's per-row parameter
        processing costs as much as the database's work. Only for plain numbers and text values
        (no type processing is applied)."""
        if not rows:
            return
        sql, _, order, _ = _driver_form(stmt.compile(dialect=conn.dialect, column_keys=list(rows[0])))
        conn.exec_driver_sql(sql, rows if order is None else [tuple(r[k] for k in order) for r in rows])

    def fetch(self, stmt, values: dict) -> list:
        """Rows (named tuples) of ``stmt``, a statement built once (e.g. :meth:`~.where.Terms.select`),
        with ``values`` bound; it is compiled once (an INSERT or UPDATE once per set of value names:
        its rows are those of its RETURNING; run it inside :meth:`transaction`). SQLite: run on the
        driver's connection (this thread's, so inside its write transaction too) without
        SQLAlchemy's per-execution work (cache key, transaction, parameter and result processing),
        which costs more than SQLite's own on a page of rows or a row written; PostgreSQL:
        ``exec_driver_sql``. For plain numbers and text (no type processing)."""
        keys = None if isinstance(stmt, sa.Select) else tuple(values)
        sql, literals, order, row = _compiled(stmt, self.engine.dialect, keys)
        values = {**literals, **values}
        params = values if order is None else tuple(values[k] for k in order)
        if self.dialect != "sqlite":
            with self.read() as c:
                result = c.exec_driver_sql(sql, params)
                return result.all() if result.returns_rows else []
        import sqlite3

        try:
            return list(map(row._make, self._thread_conn().connection.dbapi_connection.execute(sql, params)))
        except sqlite3.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc

    def _upsert(self, table: sa.Table, values: dict, keys: list[str]):
        """INSERT … ON CONFLICT (keys) DO UPDATE the other values (except ``created``); the
        statement is built once per table and columns, the values are bound."""
        return _upsert_stmt(self.dialect, table, tuple(values), tuple(keys)).values(values)

    def get_collection(self, collection_id: str) -> dict:
        """The Collection dict, or NotFoundError."""
        row = self.one(sa.select(collections.c.doc).where(collections.c.id == collection_id),
                       NotFoundError(collection_id, "no such collection"))
        return json.loads(row[0])

    def has_collection(self, collection_id: str) -> bool:
        """Whether the collection exists."""
        return self._first(sa.select(collections.c.id).where(collections.c.id == collection_id)) is not None

    def list_collections(self) -> list[dict]:
        """All collections, by id."""
        return [json.loads(r[0]) for r in self._all(sa.select(collections.c.doc).order_by(collections.c.id))]

    def collection_extent(self, collection_id: str) -> dict:
        """Spatial and temporal extent of the items of a collection (STAC extent dict)."""
        i = items.c
        row = self._first(sa.select(*extent(items), sa.func.min(i.start_dt), sa.func.max(i.end_dt), sa.func.count())
                          .where(i.collection == collection_id))
        bbox = [row[0], row[1], row[2], row[3]] if row[6] and row[0] is not None else [-180, -90, 180, 90]
        return {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [[row[4], row[5]]]}, "count": row[6]}

    # -- items -------------------------------------------------------------------------
    def upsert_item(self, item: dict) -> bool:
        """Insert or replace a STAC Item (dict); True if it was new."""
        props = item.get("properties", {})
        bbox = item.get("bbox") or [None] * 4
        if len(bbox) == 6:  # 3D bbox
            bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
        minx, miny, maxx, maxy = (None if v is None else float(v) for v in bbox)
        cloud = props.get("eo:cloud_cover")
        now = now_iso("microseconds")
        values = {"collection": item["collection"], "id": item["id"],
                  "start_dt": _norm_dt(props.get("start_datetime") or props.get("datetime")),
                  "end_dt": _norm_dt(props.get("end_datetime") or props.get("datetime")),
                  "cloud_cover": None if cloud is None else float(cloud), "minx": minx, "miny": miny,
                  "maxx": maxx, "maxy": maxy, "geometry": json.dumps(item.get("geometry")),
                  "doc": json.dumps(item), "created": now, "updated": now}
        with self.transaction():
            return self.fetch(_s_upsert_item(self.dialect, tuple(values)), values)[0][0] == now

    def _item_where(self, collection_id: str, item_id: str):
        return sa.and_(items.c.collection == collection_id, items.c.id == item_id)

    def get_item(self, collection_id: str, item_id: str) -> dict:
        """The Item dict, or NotFoundError."""
        row = self.one(sa.select(items.c.doc).where(self._item_where(collection_id, item_id)),
                       NotFoundError(f"{collection_id}/{item_id}", "no such item"))
        return json.loads(row[0])

    def ingest_times(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """When each (collection, item id) first entered the catalog (ISO UTC); absent ones left out."""
        out: dict[tuple[str, str], str] = {}
        ids = sorted({i for _, i in refs})
        for k in range(0, len(ids), 500):
            stmt = sa.select(items.c.collection, items.c.id, items.c.created).where(items.c.id.in_(ids[k:k + 500]))
            out.update({(c, i): t for c, i, t in self._all(stmt)})
        return {r: out[r] for r in refs if r in out}

    def find_item(self, item_id: str) -> dict:
        """The Item with this id in any collection, or NotFoundError."""
        row = self.one(sa.select(items.c.doc).where(items.c.id == item_id).order_by(items.c.collection).limit(1),
                       NotFoundError(item_id, "no such item"))
        return json.loads(row[0])

    def delete_item(self, collection_id: str, item_id: str) -> None:
        """Remove an item (NotFoundError if absent)."""
        if self.write(sa.delete(items).where(self._item_where(collection_id, item_id))) == 0:
            raise NotFoundError(f"{collection_id}/{item_id}", "no such item")

    def _where(self, q: ItemQuery) -> Where:
        """The WHERE terms of ``q`` (:data:`_ITEM_TERMS`)."""
        w = Where()
        w.term("collections", list(q.collections) if q.collections else None)
        w.term("ids", list(q.ids) if q.ids else None)
        if q.intersects is not None or q.bbox is not None:
            self.spatial_term(w, _shape(q.intersects), q.bbox)
        w.term("start", _norm_dt(q.start) if q.start else None)
        w.term("end", _norm_dt(q.end) if q.end else None)
        w.term("max_cloud", None if q.max_cloud is None else float(q.max_cloud))
        return w

    def iter_items(self, query: ItemQuery | None = None) -> Iterator[dict]:
        """Items matching ``query``, ordered by its sort keys, then start datetime, collection and id."""
        q = query or ItemQuery()
        for key, _ in q.order:
            if key not in _SORT_COLUMNS:
                raise InputError("sortby", f"cannot sort by {key!r}; use one of {', '.join(_SORT_COLUMNS)}")
        w = self._where(q)
        exact = None if self.exact_spatial else _shape(q.intersects)
        if exact is None:
            stmt = _s_items(self.dialect, w.shape, tuple(q.order), False, q.limit is not None, bool(q.offset))
            yield from (json.loads(r.doc) for r in self.fetch(stmt, w.page(q.limit, q.offset)))
            return
        rows = self.fetch(_s_items(self.dialect, w.shape, tuple(q.order), True, False, False), w.values)
        yield from (json.loads(r.doc) for r in page(intersecting(rows, exact), q.offset, q.limit))

    def search_items(self, query: ItemQuery | None = None) -> list[dict]:
        """List of items matching ``query``."""
        return list(self.iter_items(query))

    def count_items(self, query: ItemQuery | None = None) -> int:
        """Number of items matching ``query`` (ignoring limit/offset)."""
        q = query or ItemQuery()
        return self.count(_ITEM_TERMS, self._where(q), None if self.exact_spatial else _shape(q.intersects))

    def count(self, terms: Terms, where: Where, exact=None) -> int:
        """How many rows match ``where`` (of ``terms``); with ``exact`` (SQLite, where the spatial
        term filters by bbox), how many of those intersect it."""
        if exact is None:
            return int(self.fetch(terms.select(self.dialect, where.shape), where.values)[0][0])
        rows = self.fetch(terms.select(self.dialect, where.shape, bounds=True), where.values)
        return sum(1 for _ in intersecting(rows, exact))

    # -- jobs (JobStore) -------------------------------------------------------------------
    def get_job(self, job_id: str) -> Job | None:
        """The job record, or None."""
        row = self._first(sa.select(jobs).where(jobs.c.id == job_id))
        return None if row is None else Job(row.id, row.kind, json.loads(row.params), row.state,
                                            json.loads(row.progress), row.created, row.updated)

    def start_job(self, job_id: str, kind: str, params: dict, progress: dict) -> None:
        """Create or restart a job in state ``running``."""
        now = now_iso("microseconds")
        values = {"id": job_id, "kind": kind, "params": json.dumps(params, sort_keys=True, default=str),
                  "state": "running", "progress": json.dumps(progress), "created": now, "updated": now}
        self.write(self._upsert(jobs, values, ["id"]))

    def update_job(self, job_id: str, *, progress: dict, state: str | None = None) -> None:
        """Record a job's progress (and its state, when it ends)."""
        values = {"progress": json.dumps(progress, default=str), "updated": now_iso("microseconds")}
        if state is not None:
            values["state"] = state
        self.write(sa.update(jobs).where(jobs.c.id == job_id).values(values))

    # -- leases and cursors (services such as the notifier) ----------------------------------
    def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take or renew the lease ``name`` for ``holder`` for ``ttl_s`` seconds; False while
        another holder's lease has not expired."""
        now = datetime.now(UTC)
        iso, expires = to_iso(now, "milliseconds"), to_iso(now + timedelta(seconds=ttl_s), "milliseconds")
        with self.transaction() as c:
            self.serialise(c, f"lease:{name}")
            row = c.execute(sa.select(leases.c.holder, leases.c.expires).where(leases.c.name == name)).first()
            if row is not None and row.holder != holder and row.expires > iso:
                return False
            c.execute(self._upsert(leases, {"name": name, "holder": holder, "expires": expires}, ["name"]))
        return True

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (if ``holder`` has it)."""
        self.write(sa.delete(leases).where(leases.c.name == name, leases.c.holder == holder))

    def get_cursor(self, name: str) -> str | None:
        """A service's position in a stream of changes, or None."""
        row = self._first(sa.select(cursors.c.value).where(cursors.c.name == name))
        return None if row is None else row[0]

    def set_cursor(self, name: str, value: str) -> None:
        """Move a service's cursor."""
        self.write(self._upsert(cursors, {"name": name, "value": value, "updated": now_iso("microseconds")}, ["name"]))


class StoreAdapter:
    """The store of a group of tables (alerts, users, feeds…) over the workspace :class:`Store`,
    whose connections and transactions it uses."""

    def __init__(self, store: Store):
        self.store = store


def _driver_form(compiled) -> tuple[str, dict, tuple[str, ...] | None, type]:
    """A compiled statement's SQL for the driver, the values of its literal parameters, the order
    of its parameters (None: the driver binds them by name) and a named tuple of its columns."""
    literals = {k: v for k, v in compiled.params.items() if v is not None}
    order = tuple(compiled.positiontup) if compiled.positional else None
    columns = compiled.statement.exported_columns.keys()  # a SELECT's, or a RETURNING's
    return str(compiled), literals, order, namedtuple("Row", columns, rename=True)


@functools.lru_cache(maxsize=1024)
def _compiled(stmt, dialect, keys: tuple[str, ...] | None) -> tuple[str, dict, tuple[str, ...] | None, type]:
    return _driver_form(stmt.compile(dialect=dialect, column_keys=None if keys is None else list(keys)))


def _dialect_insert(dialect: str, table: sa.Table):
    """The dialect's INSERT of ``table`` (with ``on_conflict_do_…``)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@functools.cache
def _upsert_stmt(dialect: str, table: sa.Table, columns: tuple[str, ...], keys: tuple[str, ...]):
    stmt = _dialect_insert(dialect, table)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={
        k: stmt.excluded[k] for k in columns if k not in keys and k != "created"})


@functools.cache
def _s_upsert_item(dialect: str, columns: tuple[str, ...]):
    return _upsert_stmt(dialect, items, columns, ("collection", "id")).returning(items.c.created)


_ITEM_TERMS = Terms(
    items,
    collections=items.c.collection.in_,
    ids=items.c.id.in_,
    start=lambda p: sa.or_(items.c.end_dt.is_(None), items.c.end_dt >= p),
    end=lambda p: sa.or_(items.c.start_dt.is_(None), items.c.start_dt <= p),
    max_cloud=lambda p: sa.or_(items.c.cloud_cover.is_(None), items.c.cloud_cover <= p),
)
"""ItemQuery filters -> their WHERE terms."""


@functools.lru_cache(maxsize=256)
def _s_items(dialect: str, shape: tuple[str, ...], order: tuple, bounds: bool, limit: bool, offset: bool):
    keys = [_SORT_COLUMNS[k].desc().nulls_first() if desc else _SORT_COLUMNS[k].asc().nulls_last() for k, desc in order]
    stmt = _ITEM_TERMS.select(dialect, shape, items.c.doc, bounds=bounds)
    return paged(stmt.order_by(*keys, items.c.start_dt.asc().nulls_first(), items.c.collection, items.c.id),
                 limit, offset)


def _shape(geojson):
    if geojson is None:
        return None
    from shapely.geometry import shape

    return shape(geojson)


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
    return to_iso(datetime.fromisoformat(s.replace("Z", "+00:00")), "microseconds")
