"""Shared fixtures.

Real data is found through ``YVY_TEST_DATA`` (default ``../shared/data`` beside the repository).
Locally a test whose data or system component is missing is skipped with the reason; under
``CI=true`` it fails instead.

The database engine: SQLite by default; with ``YVY_TEST_DATABASE_URL`` (a PostgreSQL database
with PostGIS) the whole suite runs on PostgreSQL, one fresh database per workspace. Tests that
open a store by path use the ``store_url`` fixture instead of writing ``sqlite:///``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_root() -> Path:
    return Path(os.environ.get("YVY_TEST_DATA", REPO.parent / "shared" / "data")).resolve()


def missing(reason: str):
    """Skip locally, fail under CI=true: the one place this policy lives."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required for CI but missing: {reason}")
    pytest.skip(reason)


def other_engine_pass(engine: str):
    """Skip a test written for one database engine on the other engine's pass.

    Not a missing component: CI runs the suite once per engine, so every such test runs in one
    of the two passes; under ``CI=true`` a PostgreSQL pass that cannot reach its server fails
    (:func:`database_engine`)."""
    pytest.skip(f"{engine}-only test; runs on the {engine} pass")


@pytest.fixture(scope="session")
def yvy_data() -> Path:
    """Root of the shared real data (``YVY_TEST_DATA``)."""
    root = _data_root()
    if not (root / "MANIFEST.md").exists():
        missing(f"real test data not found at {root} (set YVY_TEST_DATA)")
    return root


@pytest.fixture(scope="session")
def stac_validator():
    """A pystac validator answering extension schema URLs from ``YVY_STAC_SCHEMAS`` (default
    ``../shared/stac-schemas``), offline; see :mod:`yvy.testing.stac`."""
    from yvy.testing.stac import offline_validator

    root = Path(os.environ.get("YVY_STAC_SCHEMAS", REPO.parent / "shared" / "stac-schemas")).resolve()
    if not any(root.glob("*/*/schema.json")):
        missing(f"STAC extension schemas not found at {root} (set YVY_STAC_SCHEMAS)")
    return offline_validator(root)


@pytest.fixture
def data_file(yvy_data):
    """Return a function mapping a path relative to the data root to an existing Path."""

    def get(rel: str) -> Path:
        p = yvy_data / rel
        if not p.exists():
            missing(f"real test file {rel} not found under {yvy_data}")
        return p

    return get


# -- the database engine under test -------------------------------------------------------------
# Plain runs use SQLite. With YVY_TEST_DATABASE_URL (a PostgreSQL database with PostGIS, e.g.
# postgresql://yvy:yvy@localhost/yvy_test) every workspace and every store a test opens through
# `store_url` gets its own fresh PostgreSQL database, cloned from that one, exactly as each SQLite
# workspace has its own file. Databases made during a test are dropped after it; those of
# session fixtures (tests/api's built workspace) live for the session.
TEST_DB_ENV = "YVY_TEST_DATABASE_URL"


class PgDatabases:
    """Fresh databases on the test server: one per workspace (keyed by its SQLite path)."""

    def __init__(self, url: str):
        import psycopg

        self._parts = urlsplit(url)
        self.source = self._parts.path.lstrip("/") or "postgres"
        self.admin = psycopg.connect(self.url_of("postgres"), autocommit=True, connect_timeout=10)
        self.prefix = f"yvy_t{os.getpid()}_"
        self.template = f"{self.prefix}tpl"
        self.by_key: dict[str, str] = {}
        self._serial = itertools.count(1)
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{self.template}" TEMPLATE "{self.source}"')
        with psycopg.connect(self.url_of(self.template), autocommit=True) as c:
            if not c.execute("SELECT 1 FROM pg_extension WHERE extname='postgis'").fetchone():
                c.execute("CREATE EXTENSION postgis")

    def url_of(self, dbname: str) -> str:
        """The test server's URL for database ``dbname``."""
        return urlunsplit(self._parts._replace(path=f"/{dbname}"))

    def url_for(self, key) -> str:
        """URL of the database standing for the SQLite file ``key`` (created on first use)."""
        key = os.path.abspath(key)
        name = self.by_key.get(key)
        if name is None:
            name = f"{self.prefix}{next(self._serial)}"
            self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            self.by_key[key] = name
        return self.url_of(name)

    def drop_since(self, keys: set[str]) -> None:
        """Drop the databases made after the snapshot ``keys`` was taken."""
        for key in [k for k in self.by_key if k not in keys]:
            self._drop(self.by_key.pop(key))

    def _drop(self, name: str, attempts: int = 20) -> None:
        """DROP DATABASE ... WITH (FORCE), retried while a session we may not terminate (an
        autovacuum worker, which runs as the superuser) is still connected to it."""
        import time

        import psycopg

        for attempt in range(attempts):
            try:
                self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
                if attempt == attempts - 1:
                    raise
                time.sleep(0.25)

    def close(self) -> None:
        """Drop every database this session made, template included."""
        self.drop_since(set())
        self._drop(self.template)
        self.admin.close()


_PG: PgDatabases | None = None


def _workspace_database_url(ws) -> str:
    return os.environ.get("YVY_DATABASE_URL") or _PG.url_for(ws.db_path)


@pytest.fixture(scope="session", autouse=True)
def database_engine():
    """``sqlite`` or ``postgresql``: the engine every workspace of this run uses."""
    global _PG
    url = os.environ.get(TEST_DB_ENV)
    if not url:
        yield "sqlite"
        return
    from yvy.config import Workspace
    from yvy.storage import display_url

    try:
        _PG = PgDatabases(url)
    except Exception as exc:  # noqa: BLE001 - any failure to reach or use the server
        missing(f"{TEST_DB_ENV}={display_url(url)} is not usable ({type(exc).__name__}: {exc})")
    mp = pytest.MonkeyPatch()
    mp.delenv("YVY_DATABASE_URL", raising=False)
    mp.setattr(Workspace, "database_url", property(_workspace_database_url))
    try:
        yield "postgresql"
    finally:
        mp.undo()
        _PG.close()
        _PG = None


@pytest.fixture(autouse=True)
def _drop_test_databases(database_engine):
    """Drop the PostgreSQL databases a test made (after it)."""
    if _PG is None:
        yield
        return
    before = set(_PG.by_key)
    yield
    _PG.drop_since(before)


def store_url_for(path) -> str:
    """The database URL for the SQLite file ``path``: that file on SQLite runs, its own fresh
    PostgreSQL database on PostgreSQL runs."""
    return f"sqlite:///{path}" if _PG is None else _PG.url_for(path)


@pytest.fixture
def store_url():
    """``store_url(path)``: see :func:`store_url_for`."""
    return store_url_for


def copy_workspace(src_ws, home: Path):
    """A private copy of the workspace ``src_ws`` at ``home`` (its database may be written): the
    folder is copied, and on PostgreSQL the rows too, with `yvy db copy`'s engine (SQLite's file
    came with the folder)."""
    from yvy.config import Workspace

    shutil.copytree(src_ws.home, home)
    dst_ws = Workspace(home)
    if _PG is None:
        return dst_ws
    from yvy.storage import open_store
    from yvy.storage.copy import copy_store

    src = open_store(src_ws.database_url)
    dst = open_store(dst_ws.database_url, create=True)
    copy_store(src, dst)
    src.close()
    dst.close()
    return dst_ws


def raw_sql(store, sql: str, **params):
    """Run one SQL statement outside yvy's stores (tests that play a tamperer); named
    ``:param`` placeholders. Returns the rows of a query, else the row count."""
    import sqlalchemy as sa

    with store.engine.begin() as c:
        res = c.execute(sa.text(sql), params)
        return res.all() if res.returns_rows else res.rowcount


def drop_trigger_sql(store, name: str, table: str) -> str:
    """``DROP TRIGGER`` in the store's dialect (tests that play a tamperer)."""
    return f"DROP TRIGGER {name}" + (f" ON {table}" if store.dialect == "postgresql" else "")


class Receiver:
    """A webhook subscriber on 127.0.0.1 that fails its first ``fail_first`` requests with 500."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[tuple[dict, bytes]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = 500 if len(outer.requests) <= outer.fail_first else 204
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# -- headless Chromium (Playwright over the system's browser) for the web-map tests ---------------
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    path = os.environ.get("YVY_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        missing("chromium is not installed (Debian package chromium)")
    return path


@pytest.fixture
def chromium():
    """Headless Chromium (the system's), closed after the test."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright (python package) is not installed")
    exe = _chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium):
    """A page of :func:`chromium`."""
    return chromium.new_page()
