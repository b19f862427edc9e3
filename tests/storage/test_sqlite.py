"""What only the SQLite engine has: the file, WAL, unreadable files."""

from __future__ import annotations

import pytest

from yvy.errors import WorkspaceError
from yvy.storage import open_store

from ..conftest import raw_sql


def test_wal_file_and_rtree_kept_by_triggers(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'yvy.db'}", create=True)
    assert s.dialect == "sqlite" and s.label == str(tmp_path / "yvy.db")
    assert raw_sql(s, "PRAGMA journal_mode")[0][0].lower() == "wal"
    assert s.schema_version() == s.migrations()[-1][0]
    s.upsert_collection({"id": "c"})
    s.upsert_item({"id": "a", "collection": "c", "bbox": [0, 0, 1, 1], "geometry": None, "properties": {}})
    s.upsert_item({"id": "a", "collection": "c", "bbox": [5, 5, 6, 6], "geometry": None, "properties": {}})
    assert raw_sql(s, "SELECT minx, maxy FROM items_rtree") == [(5.0, 6.0)]
    s.delete_item("c", "a")
    assert raw_sql(s, "SELECT COUNT(*) FROM items_rtree") == [(0,)]


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
