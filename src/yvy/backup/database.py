"""Database dumps with each engine's own tools: SQLite's online backup API, ``pg_dump`` and
``pg_restore`` for PostgreSQL/PostGIS.

The SQLite backup copies pages while other connections keep writing (a consistent snapshot).
``pg_dump`` writes the custom format (``-Fc``); its major version must be at least the
server's. Passwords travel in ``PGPASSWORD``, never on the command line (``ps`` shows it).
Imports the standard library (sqlite3, subprocess) and psycopg only for the PostgreSQL
emptiness check; nothing from yvy but errors.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from ..errors import ConflictError, InputError, MissingDependencyError, WorkspaceError

__all__ = ["engine_of", "sqlite_path", "dump_database", "restore_database", "DUMP_NAMES"]

DUMP_NAMES = {"sqlite": "yvy.db", "postgresql": "yvy.pgdump"}
"""File name of the dump inside a backup's ``database/`` folder, per engine."""


def engine_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` from a database URL."""
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise InputError(url.split("@")[-1], "unknown database URL scheme; use sqlite:///PATH or postgresql://")


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///PATH`` URL."""
    return Path(unquote(url[len("sqlite:///"):] if url.startswith("sqlite:///") else urlsplit(url).path))


def _pg_env(url: str) -> tuple[str, dict]:
    """(URL without its password, environment with PGPASSWORD)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        host = parts.hostname or ""
        netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
        url = urlunsplit(parts._replace(netloc=netloc))
    return url, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MissingDependencyError(name, f"{name} not found; install the PostgreSQL client "
                                           "(Debian: postgresql-client-15, same major version as the server)")
    return path


def _run(args: list[str], env: dict, what: str) -> None:
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()] or [f"exit {proc.returncode}"]
        errors = [ln for ln in lines if "error:" in ln] or lines
        raise WorkspaceError(what, errors[0].removeprefix(f"{Path(args[0]).name}: "))  # i18n: relayed


def dump_database(url: str, dest: Path, progress=None) -> None:
    """Write a consistent dump of the database at ``url`` to ``dest`` (engine's own format)."""
    if engine_of(url) == "sqlite":
        src_path = sqlite_path(url)
        if not src_path.exists():
            raise WorkspaceError(src_path, "database file not found")
        src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
        dst = sqlite3.connect(dest)
        try:
            def step(status, remaining, total):
                if progress:
                    progress(total - remaining, total, "database pages")

            src.backup(dst, pages=256, progress=step)
        finally:
            dst.close()
            src.close()
        return
    bare, env = _pg_env(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={dest}",
          f"--dbname={bare}"], env, "pg_dump")


def _pg_target_check(url: str) -> None:
    """ConflictError unless the target PostgreSQL database has PostGIS and no tables of its own."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("psycopg", "PostgreSQL needs the postgis extra: pip install 'yvy[postgis]'") \
            from exc
    with psycopg.connect(url, connect_timeout=10) as c:
        if not c.execute("SELECT 1 FROM pg_extension WHERE extname='postgis'").fetchone():
            raise ConflictError("target database", "has no PostGIS; CREATE EXTENSION postgis (as a superuser) first")
        n = c.execute("SELECT count(*) FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace "
                      "WHERE n.nspname = current_schema() AND k.relkind IN ('r', 'p') AND NOT EXISTS "
                      "(SELECT 1 FROM pg_depend d WHERE d.objid = k.oid AND d.deptype = 'e')").fetchone()[0]
        if n:
            raise ConflictError("target database", f"is not empty ({n} tables); restore into an empty database")


def restore_database(engine: str, dump: Path, url: str) -> None:
    """Load ``dump`` (made by :func:`dump_database`) into a new SQLite file or an empty database."""
    if engine == "sqlite":
        dest = sqlite_path(url)
        if dest.exists():
            raise ConflictError(dest, "exists already; restore into a new workspace")
        src = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    _pg_target_check(url)
    bare, env = _pg_env(url)
    pg_restore = _tool("pg_restore")
    listing = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True, env=env)
    if listing.returncode != 0:
        raise WorkspaceError(dump, "not a pg_dump archive (pg_restore --list failed)")
    # the target has PostGIS already (created by a superuser): skip the extension's own entries
    # (and PostGIS's own table spatial_ref_sys, owned by the extension's superuser)
    keep = [ln for ln in listing.stdout.splitlines()
            if " EXTENSION " not in ln and "TABLE DATA public spatial_ref_sys" not in ln]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as fh:
        fh.write("\n".join(keep) + "\n")
    try:
        _run([pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
              f"--use-list={fh.name}", f"--dbname={bare}", str(dump)], env, "pg_restore")
    finally:
        os.unlink(fh.name)
