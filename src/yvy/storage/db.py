"""Connections and schema migrations of the workspace database (SQLAlchemy Core + Alembic).

- :func:`make_engine` gives a SQLAlchemy engine for ``sqlite:///PATH`` (WAL, 60 s busy timeout,
  foreign keys on; write transactions are ``BEGIN IMMEDIATE``, reads run statement by
  statement) or ``postgresql://…`` (psycopg 3, 60 s lock timeout, UTC).
- :func:`migrate` brings a database to the newest Alembic revision shipped in
  ``yvy/storage/migrations`` (no ``alembic.ini`` needed): an empty database gets
  :data:`yvy.storage.schema.metadata` and is stamped at the head; a database written by a
  release that kept its own ``schema_migrations`` table is stamped at the baseline revision,
  then upgraded; others are upgraded. Each runs in one transaction, under a lock, so several
  processes opening one database at once are safe.

Imports psycopg only when a PostgreSQL URL is opened. Must not import: click, fastapi, yvy.cli,
yvy.api.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from ..errors import InputError, MissingDependencyError, WorkspaceError
from . import schema

__all__ = ["BASELINE", "LEGACY_VERSIONS", "display_url", "make_engine", "migrate", "revisions", "current_revision"]

BUSY_TIMEOUT_MS = 60_000
MIGRATE_LOCK = 0x79767901  # advisory lock key held while PostgreSQL migrates
BASELINE = "0001"
"""The Alembic revision of the schema written by yvy's own SQL migrations 0001-0005."""
LEGACY_VERSIONS = {1, 2, 4, 5}
"""``schema_migrations`` versions of a workspace the baseline revision describes."""


def display_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``yvy db status``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _pg_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def make_engine(url: str) -> sa.Engine:
    """The SQLAlchemy engine for a ``sqlite:///PATH`` or ``postgresql://…`` URL."""
    if url.startswith("sqlite:///"):
        return _sqlite_engine(Path(url[len("sqlite:///"):]))
    scheme = url.split("://", 1)[0]
    if scheme not in ("postgresql", "postgres", "postgresql+psycopg", "postgis"):
        raise InputError("YVY_DATABASE_URL", f"unsupported database URL {display_url(url)!r}; "
                         "use sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DBNAME")
    try:
        import psycopg  # noqa: F401 - the driver SQLAlchemy loads
    except ImportError as exc:
        raise MissingDependencyError("postgis", "PostgreSQL needs psycopg; install yvy with the "
                                     "[postgis] extra (pip install 'yvy[postgis]')") from exc
    eng = sa.create_engine(_pg_url(url), pool_size=8, max_overflow=32, connect_args={
        "connect_timeout": 30, "application_name": "yvy", "prepare_threshold": None,
        "options": f"-c lock_timeout={BUSY_TIMEOUT_MS} -c timezone=UTC"})
    sa.event.listen(eng, "before_cursor_execute", _refuse_nul)
    return eng


def _sqlite_engine(path: Path) -> sa.Engine:
    eng = sa.create_engine(f"sqlite:///{path}", pool_size=8, max_overflow=56, connect_args={
        "timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @sa.event.listens_for(eng, "connect")
    def _connect(dbapi, _record):
        dbapi.isolation_level = None  # transactions are begun below, not by the driver
        cur = dbapi.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(eng, "begin")
    def _begin(conn):  # writers: BEGIN IMMEDIATE; readers: each statement on its own (WAL)
        if conn.info.get("yvy_write") or conn.get_execution_options().get("yvy_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return eng


def _refuse_nul(conn, cursor, statement, params, context, executemany):
    """PostgreSQL text cannot hold NUL: say so before the driver fails obscurely."""
    for row in (params if executemany else [params]):
        values = row.values() if isinstance(row, dict) else (row or ())
        for p in values:
            if isinstance(p, str) and "\x00" in p:
                raise InputError(repr(p[:40]), "text may not contain NUL characters")


# -- migrations ----------------------------------------------------------------------------------
def _config(conn=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "yvy.storage:migrations")
    cfg.attributes["connection"] = conn
    return cfg


@functools.cache
def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def revisions() -> list[tuple[str, str]]:
    """(revision, title) of every shipped migration, oldest first."""
    revs = list(_script().walk_revisions())
    return [(r.revision, (r.doc or "").strip().splitlines()[0]) for r in reversed(revs)]


def current_revision(conn) -> str | None:
    """The database's Alembic revision (None: not under Alembic)."""
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def _legacy_versions(conn) -> set[int] | None:
    if not sa.inspect(conn).has_table("schema_migrations"):
        return None
    return {int(r[0]) for r in conn.execute(sa.text("SELECT version FROM schema_migrations"))}


def _prepare_postgis(conn, label: str) -> None:
    if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first():
        return
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except sa.exc.DBAPIError as exc:
        raise WorkspaceError(label, "PostGIS is not installed in this database; as a superuser "
                             "run: CREATE EXTENSION postgis") from exc


def create_tables(bind, names: tuple[str, ...]) -> None:
    """Create the tables ``names`` as :data:`yvy.storage.schema.metadata` declares them (for a
    revision that adds them)."""
    schema.create_all(bind, names)


def drop_tables(bind, names: tuple[str, ...]) -> None:
    """Drop the tables ``names``, last first (a revision's downgrade)."""
    for name in reversed(names):
        schema.metadata.tables[name].drop(bind)


def install_guards(conn) -> None:
    """Create what :func:`yvy.storage.schema.guards` lists (idempotent)."""
    for stmt in schema.guards(conn.dialect.name):
        conn.exec_driver_sql(stmt)


def missing_guards(conn) -> list[str]:
    """Guard triggers that are not in the database (someone dropped them)."""
    if conn.dialect.name == "sqlite":
        q = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        q = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    have = {r[0] for r in conn.exec_driver_sql(q)}
    return [t for t in schema.guard_triggers(conn.dialect.name) if t not in have]


def migrate(engine: sa.Engine, label: str, *, create: bool) -> list[str]:
    """Bring the database to the newest revision; return what was done (``create``, revisions).

    Raises WorkspaceError for a database this yvy does not know: newer than it, made by an
    older release than the baseline, or without yvy's schema when ``create`` is false.
    """
    from alembic import command

    head = _script().get_current_head()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return []
    with engine.connect().execution_options(yvy_write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})"))
        current = current_revision(conn)
        if current == head:
            return []
        if current is not None and current not in {r for r, _ in revisions()}:
            raise WorkspaceError(label, f"schema revision {current} is newer than this yvy ({head}); upgrade yvy")
        cfg = _config(conn)
        if current is None:
            legacy = _legacy_versions(conn)
            if legacy is None and not sa.inspect(conn).has_table("collections"):
                if not create:
                    raise WorkspaceError(label, "this database has no yvy schema; run `yvy init` with "
                                                "YVY_DATABASE_URL pointing at it")
                if conn.dialect.name == "postgresql":
                    _prepare_postgis(conn, label)
                schema.create_all(conn)
                install_guards(conn)
                command.stamp(cfg, "head")
                return ["create"]
            if legacy != LEGACY_VERSIONS:
                newer = legacy and max(legacy) > max(LEGACY_VERSIONS)
                raise WorkspaceError(label, f"schema versions {sorted(legacy or [])} are "
                                     + ("newer than this yvy; upgrade yvy" if newer else
                                        "not a release this yvy upgrades; open it with yvy 0.x first"))
            command.stamp(cfg, BASELINE)
            current = BASELINE
        names = [r for r, _ in revisions()]
        done = names[names.index(current) + 1:]
        command.upgrade(cfg, "head")
    return done


def set_role_check(bind: sa.Connection, roles: tuple[str, ...]) -> None:
    """Make ``users.role`` accept exactly ``roles`` (for migrations that add or remove a role).

    PostgreSQL: the role CHECK is dropped and added again. SQLite cannot alter a CHECK, and the
    ``users`` table cannot be copied while ``api_keys``, ``sessions`` and ``webhooks`` reference it
    with foreign keys enforced, so the CHECK is rewritten in the schema text, the procedure SQLite
    documents for constraint changes that existing rows cannot violate ("Making Other Kinds Of
    Table Schema Changes": ``writable_schema``, ``schema_version`` + 1, then ``integrity_check``);
    callers move rows out of a removed role first.
    """
    import re

    check = schema.role_check(roles)
    if bind.dialect.name == "postgresql":
        names = bind.execute(sa.text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c' "
            "AND pg_get_constraintdef(oid) LIKE '%role%'")).scalars().all()
        for name in names:
            bind.exec_driver_sql(f'ALTER TABLE users DROP CONSTRAINT "{name}"')
        bind.exec_driver_sql(f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK ({check})")
        return
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    new, n = re.subn(r"role IN \([^)]*\)", check, sql, count=1)
    if n != 1:
        raise RuntimeError("users table: role CHECK constraint not found")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'users'"),
                     {"sql": new})
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = [r[0] for r in bind.exec_driver_sql("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise RuntimeError(f"integrity check after changing the role check: {problems[:3]}")
