"""What only the SQLite engine has: the file, WAL, unreadable files."""

from __future__ import annotations

import pytest

from yvy.errors import WorkspaceError
from yvy.storage import open_store
from yvy.storage.sqlite import SQLiteStore, migrations


def test_wal_and_file(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'yvy.db'}", create=True)
    assert isinstance(s, SQLiteStore) and s.path == tmp_path / "yvy.db"
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    assert s.schema_version() == migrations()[-1][0]


def test_missing_database_is_workspace_error(tmp_path):
    with pytest.raises(WorkspaceError, match="not found"):
        open_store(f"sqlite:///{tmp_path / 'none.db'}")


def test_not_a_database(tmp_path):
    bad = tmp_path / "yvy.db"
    bad.write_bytes(b"garbage" * 100)
    with pytest.raises(WorkspaceError, match="not a usable SQLite database"):
        open_store(f"sqlite:///{bad}")


def test_unknown_url_names_both_schemes():
    with pytest.raises(ValueError, match="sqlite:///PATH or postgresql://"):
        open_store("mysql://x/y")
