"""The thin layer that lets one set of store classes run on SQLite and on PostgreSQL/PostGIS.

An :class:`Engine` gives both databases the same surface:

- ``engine.connect()`` returns a connection whose ``execute(sql, params)`` takes ``?``
  placeholders and returns a cursor (``fetchone``, ``fetchall``, iteration, ``rowcount``);
  rows allow index and key access and ``dict(row)`` (``sqlite3.Row`` on SQLite, :class:`Row`
  on PostgreSQL, where ``?`` becomes ``%s`` and ``%`` is escaped).
- ``begin(conn)`` opens a write transaction that excludes every other writer of the same
  database until it ends: ``BEGIN IMMEDIATE`` on SQLite; ``BEGIN`` (read committed) plus a
  transaction-scoped advisory lock on PostgreSQL. Writers are serialised exactly as SQLite
  serialises them, so a read-check-write block inside ``store.transaction()`` never races,
  while readers on PostgreSQL never wait.
- Dialect hooks for what differs: spatial index maintenance and filters (R*Tree side tables
  plus an exact shapely test on SQLite; GiST-indexed ``geometry(…, 4326)`` columns and
  ``ST_Intersects`` in SQL on PostGIS), catalogue lookups (``sqlite_master`` vs
  ``pg_catalog``), trigger DDL and migration folders (``migrations/`` and ``migrations/pg/``).

Imports psycopg only when a PostgreSQL URL is opened. Must not import: click, fastapi, yvy.cli,
yvy.api.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import MissingDependencyError, WorkspaceError

__all__ = ["Engine", "PostgresEngine", "Row", "SQLiteEngine", "display_url", "engine_for_url", "in_clause"]

BUSY_TIMEOUT_MS = 60_000
WRITER_LOCK_KEY = 0x79767900  # 'yvy\0': the advisory lock every PostgreSQL writer takes

# table -> (R*Tree side table on SQLite); on PostGIS the table's own geometry columns are indexed
RTREES = {"items": "items_rtree", "alerts": "alerts_rtree", "context_features": "context_rtree"}
# the PostGIS column a bbox filter uses, per table (items may have a bbox but no geometry)
BBOX_COLUMNS = {"items": "bbox_geom", "alerts": "geom", "context_features": "geom"}

AUDIT_GUARD = "audit log is append-only"


def in_clause(column: str, values) -> tuple[str, list]:
    """``("column IN (?,?,...)", [values...])`` for a WHERE clause, on either engine."""
    values = list(values)
    return f"{column} IN ({','.join('?' * len(values))})", values


def display_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``yvy db status``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def engine_for_url(url: str) -> Engine:
    """The engine for a ``sqlite:///PATH`` or ``postgresql://…`` URL."""
    if url.startswith("sqlite:///"):
        return SQLiteEngine(url[len("sqlite:///"):])
    scheme = url.split("://", 1)[0]
    if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgis"):
        return PostgresEngine("postgresql://" + url.split("://", 1)[1])
    from ..errors import InputError

    raise InputError("YVY_DATABASE_URL", f"unsupported database URL {display_url(url)!r}; "
                     "use sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DBNAME")


def migration_files(package: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) of the ``NNNN_name.sql`` files of a package, by version."""
    out = []
    for res in resources.files(package).iterdir():
        name = res.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name[5:-4], res.read_text()))
    return sorted(out)


class Engine:
    """What differs between the two databases; see the module docstring."""

    name: str = ""
    """``sqlite`` or ``postgresql``."""
    title: str = ""
    """``SQLite`` or ``PostgreSQL`` (for messages)."""
    url: str = ""
    migrations_package: str = ""
    exact_spatial: bool = False
    """Whether spatial filters are exact in SQL (PostGIS) or a bbox prefilter (SQLite)."""
    Error: type[Exception] = Exception
    """The driver's base error class (``sqlite3.Error`` or ``psycopg.Error``)."""

    @property
    def label(self) -> str:
        """Where the database is, for messages (no password)."""
        return display_url(self.url)

    def migrations(self) -> list[tuple[int, str, str]]:
        """The packaged migrations of this dialect."""
        return migration_files(self.migrations_package)

    def exists(self) -> bool:
        """Whether the database is there to open (a SQLite file must exist unless created)."""
        return True

    def prepare(self, c) -> None:
        """Check what the migrations need from the server before applying them."""

    # spatial hooks -------------------------------------------------------------------
    def index_bounds(self, c, table: str, pk: int, bounds) -> None:
        """Record ``bounds`` (minx, miny, maxx, maxy) of row ``pk`` in the spatial index."""

    def unindex(self, c, table: str, where: str, args=()) -> None:
        """Drop rows selected by ``pk IN (SELECT pk FROM table WHERE where)`` from the index."""

    def bbox_clause(self, alias: str, table: str, box) -> tuple[str, list]:
        """WHERE clause: the row's bbox overlaps ``box`` (index-backed on both engines)."""
        raise NotImplementedError

    def intersects_clause(self, alias: str, table: str, geom) -> tuple[str, list] | None:
        """WHERE clause: the row's geometry intersects the shapely ``geom`` exactly, or None
        where the engine cannot (the caller then tests candidates with shapely)."""
        return None

    def sort_key(self, c, table: str, column: str) -> str:
        """``column`` as an ORDER BY term that sorts text byte-wise on both engines."""
        return f'"{column}"'

    def after_copy(self, c, table: str) -> None:
        """Rebuild what rows copied into ``table`` with explicit keys leave behind."""

    def limit_clause(self, limit: int | None, offset: int) -> tuple[str, list]:
        """``LIMIT``/``OFFSET`` for this dialect (empty when neither applies)."""
        if limit is not None:
            return " LIMIT ? OFFSET ?", [limit, offset]
        return (" OFFSET ?", [offset]) if offset else ("", [])


class SQLiteEngine(Engine):
    """A SQLite file in WAL mode with busy handling."""

    name = "sqlite"
    title = "SQLite"
    migrations_package = "yvy.storage.migrations"
    Error = sqlite3.Error

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"

    @property
    def label(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        """Whether the database file exists."""
        return self.path.exists()

    def connect(self) -> sqlite3.Connection:
        """A new autocommit connection (WAL, 60 s busy timeout, foreign keys on)."""
        try:
            c = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                check_same_thread=False)
            c.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if c.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=NORMAL")
            c.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(self.path, f"not a usable SQLite database ({exc})") from exc
        c.row_factory = sqlite3.Row
        return c

    def begin(self, c) -> None:
        c.execute("BEGIN IMMEDIATE")

    def has_table(self, c, name: str) -> bool:
        q = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?"
        return c.execute(q, (name,)).fetchone() is not None

    def tables(self, c) -> list[str]:
        """User tables in creation order (R*Tree shadow tables and internals left out)."""
        rows = c.execute("SELECT name, sql FROM sqlite_master WHERE type='table' ORDER BY rowid").fetchall()
        virtual = {r[0] for r in rows if (r[1] or "").upper().startswith("CREATE VIRTUAL")}
        shadow = {f"{v}_{s}" for v in virtual for s in ("node", "rowid", "parent")}
        return [r[0] for r in rows if r[0] not in virtual | shadow and not r[0].startswith("sqlite_")]

    def columns(self, c, table: str) -> list[str]:
        return [r[1] for r in c.execute(f'PRAGMA table_info("{table}")')]

    def primary_key(self, c, table: str) -> list[str]:
        rows = sorted((r[5], r[1]) for r in c.execute(f'PRAGMA table_info("{table}")') if r[5])
        return [name for _, name in rows]

    def has_trigger(self, c, name: str) -> bool:
        q = "SELECT 1 FROM sqlite_master WHERE type='trigger' AND name=?"
        return c.execute(q, (name,)).fetchone() is not None

    def append_only_ddl(self, table: str) -> list[tuple[str, str]]:
        """(trigger name, DDL) that make ``table`` append-only."""
        return [(f"{table}_no_{op.lower()}",
                 f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                 f"BEGIN SELECT RAISE(ABORT, '{AUDIT_GUARD}'); END") for op in ("UPDATE", "DELETE")]

    def split_sql(self, sql: str) -> list[str]:
        """Complete statements of a migration (``CREATE TRIGGER … END`` kept whole)."""
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

    def index_bounds(self, c, table, pk, bounds) -> None:
        minx, miny, maxx, maxy = bounds
        c.execute(f"INSERT OR REPLACE INTO {RTREES[table]}(pk, minx, maxx, miny, maxy) VALUES (?,?,?,?,?)",
                  (pk, minx, maxx, miny, maxy))

    def unindex(self, c, table, where, args=()) -> None:
        c.execute(f"DELETE FROM {RTREES[table]} WHERE pk IN (SELECT pk FROM {table} WHERE {where})", args)

    def after_copy(self, c, table) -> None:
        if table in RTREES:
            c.execute(f"DELETE FROM {RTREES[table]}")
            c.execute(f"INSERT INTO {RTREES[table]}(pk, minx, maxx, miny, maxy) "
                      f"SELECT pk, minx, maxx, miny, maxy FROM {table} WHERE minx IS NOT NULL")

    def bbox_clause(self, alias, table, box) -> tuple[str, list]:
        return (f"{alias}.pk IN (SELECT pk FROM {RTREES[table]} "
                "WHERE minx<=? AND maxx>=? AND miny<=? AND maxy>=?)", [box[2], box[0], box[3], box[1]])

    def limit_clause(self, limit, offset) -> tuple[str, list]:
        if limit is None and offset:
            return " LIMIT -1 OFFSET ?", [offset]
        return super().limit_clause(limit, offset)


class Row(tuple):
    """A result row with index and key access and ``keys()`` (like ``sqlite3.Row``)."""

    __slots__ = ()
    _keys: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise IndexError(f"no such column: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """Column names, in order."""
        return list(self._keys)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "_keys": names,
                                "_index": {n: i for i, n in enumerate(names)}})


def _row_factory(cursor):
    desc = cursor.description
    if desc is None:
        return tuple
    cls = _row_class(tuple(d.name for d in desc))
    return cls


_TOKENS = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*"|\?|%)""")


@functools.lru_cache(maxsize=2048)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders outside quotes become ``%s``; every ``%`` is doubled."""

    def sub(m: re.Match) -> str:
        tok = m.group(0)
        if tok == "?":
            return "%s"
        if tok == "%":
            return "%%"
        return tok.replace("%", "%%")

    return _TOKENS.sub(sub, sql)


def _check_text(params) -> tuple:
    """``params`` as a tuple; InputError for text with NUL, which PostgreSQL cannot hold."""
    params = tuple(params)
    for p in params:
        if isinstance(p, str) and "\x00" in p:
            from ..errors import InputError

            raise InputError(repr(p[:40]), "text may not contain NUL characters")
    return params


class PgConnection:
    """A psycopg connection with the sqlite3 surface: ``execute(sql, params)`` with ``?``."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, sql: str, params=None):
        if params is None or len(params) == 0:
            return self.raw.execute(sql)
        return self.raw.execute(to_pyformat(sql), _check_text(params))

    def executemany(self, sql: str, seq) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(to_pyformat(sql), [_check_text(p) for p in seq])

    @property
    def closed(self) -> bool:
        return self.raw.closed

    def close(self) -> None:
        self.raw.close()


class PostgresEngine(Engine):
    """PostgreSQL with PostGIS, through psycopg 3 (the ``[postgis]`` extra)."""

    name = "postgresql"
    title = "PostgreSQL"
    migrations_package = "yvy.storage.migrations.pg"
    exact_spatial = True

    def __init__(self, url: str):
        self.url = url
        try:
            import psycopg
        except ImportError as exc:
            raise MissingDependencyError(
                "postgis", "PostgreSQL needs psycopg; install yvy with the [postgis] extra "
                "(pip install 'yvy[postgis]')") from exc
        self._psycopg = psycopg
        self.Error = psycopg.Error

    def connect(self) -> PgConnection:
        """A new autocommit connection (60 s lock timeout, UTC)."""
        psycopg = self._psycopg
        try:
            raw = psycopg.connect(self.url, autocommit=True, row_factory=_row_factory,
                                  prepare_threshold=None, connect_timeout=30,
                                  application_name="yvy")
        except psycopg.Error as exc:
            msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise WorkspaceError(self.label, f"cannot connect to PostgreSQL ({msg})") from exc
        raw.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
        raw.execute("SET TIME ZONE 'UTC'")
        return PgConnection(raw)

    def prepare(self, c) -> None:
        """PostGIS must be in the database (created here when this role may)."""
        if c.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
            return
        try:
            c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except self.Error as exc:
            raise WorkspaceError(self.label, "PostGIS is not installed in this database; as a "
                                 "superuser run: CREATE EXTENSION postgis") from exc

    def begin(self, c) -> None:
        c.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        c.execute(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")

    def has_table(self, c, name: str) -> bool:
        return c.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0]

    def tables(self, c) -> list[str]:
        rows = c.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() "
            "AND c.relname <> 'spatial_ref_sys' ORDER BY c.oid").fetchall()
        return [r[0] for r in rows]

    def columns(self, c, table: str, *, generated: bool = False) -> list[str]:
        rows = c.execute(
            "SELECT attname, attgenerated FROM pg_attribute WHERE attrelid = to_regclass(?) "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (table,)).fetchall()
        return [r[0] for r in rows if generated or not r[1]]

    def primary_key(self, c, table: str) -> list[str]:
        rows = c.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?) AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)", (table,)).fetchall()
        return [r[0] for r in rows]

    def identity_columns(self, c, table: str) -> list[str]:
        rows = c.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attidentity <> '' "
            "AND NOT attisdropped", (table,)).fetchall()
        return [r[0] for r in rows]

    def sort_key(self, c, table, column) -> str:
        text = c.execute("SELECT atttypid = 'text'::regtype FROM pg_attribute WHERE attrelid = "
                         "to_regclass(?) AND attname = ?", (table, column)).fetchone()
        return f'"{column}" COLLATE "C"' if text and text[0] else f'"{column}"'

    def after_copy(self, c, table) -> None:
        self.reset_identity(c, table)

    def reset_identity(self, c, table: str) -> None:
        """Move identity sequences past the largest key (after rows were copied in with keys)."""
        for col in self.identity_columns(c, table):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{col}'), "
                      f"COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)")

    def has_trigger(self, c, name: str) -> bool:
        q = "SELECT 1 FROM pg_trigger WHERE tgname = ? AND NOT tgisinternal"
        return c.execute(q, (name,)).fetchone() is not None

    def append_only_ddl(self, table: str) -> list[tuple[str, str]]:
        """(trigger name, DDL) that make ``table`` append-only (``yvy_append_only()`` comes
        from migration 0002)."""
        out = [(f"{table}_no_{op.lower()}",
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION yvy_append_only()") for op in ("UPDATE", "DELETE")]
        out.append((f"{table}_no_truncate", f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "
                    f"{table} FOR EACH STATEMENT EXECUTE FUNCTION yvy_append_only()"))
        return out

    def split_sql(self, sql: str) -> list[str]:
        """A PostgreSQL migration runs as one script (dollar-quoted bodies kept intact)."""
        return [sql] if sql.strip() else []

    def bbox_clause(self, alias, table, box) -> tuple[str, list]:
        col = BBOX_COLUMNS[table]
        return f"{alias}.{col} && ST_MakeEnvelope(?, ?, ?, ?, 4326)", [float(v) for v in box]

    def intersects_clause(self, alias, table, geom) -> tuple[str, list]:
        import shapely

        return (f"ST_Intersects({alias}.geom, ST_GeomFromWKB(?, 4326))",
                [shapely.to_wkb(shapely.force_2d(geom))])
