"""The SQLite store: migrations, WAL, transactions, item search."""

from __future__ import annotations

import pytest

from yvy.catalog.ports import ItemQuery
from yvy.errors import NotFoundError, WorkspaceError
from yvy.storage import open_store
from yvy.storage.sqlite import migrations


def _item(iid, x, day, cloud=None, coll="c"):
    props = {"datetime": f"2024-01-{day:02d}T10:00:00Z"}
    if cloud is not None:
        props["eo:cloud_cover"] = cloud
    ring = [[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]
    return {"type": "Feature", "stac_version": "1.1.0", "id": iid, "collection": coll,
            "bbox": [x, 0, x + 1, 1], "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": props, "assets": {}, "links": []}


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'yvy.db'}", create=True)
    s.upsert_collection({"id": "c", "type": "Collection"})
    return s


def test_wal_and_schema_version(store, tmp_path):
    mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"
    assert store.schema_version() == migrations()[-1][0]
    # reopening applies nothing new
    assert open_store(f"sqlite:///{tmp_path / 'yvy.db'}").migrate() == []


def test_missing_database_is_workspace_error(tmp_path):
    with pytest.raises(WorkspaceError, match="not found"):
        open_store(f"sqlite:///{tmp_path / 'none.db'}")


def test_newer_schema_refused(store, tmp_path):
    store.conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x')")
    with pytest.raises(WorkspaceError, match="newer"):
        open_store(f"sqlite:///{tmp_path / 'yvy.db'}")


def test_upsert_is_idempotent(store):
    assert store.upsert_item(_item("a", 0, 1)) is True
    assert store.upsert_item(_item("a", 5, 2)) is False
    assert store.count_items() == 1
    got = store.get_item("c", "a")
    assert got["bbox"] == [5, 0, 6, 1]
    assert store.search_items(ItemQuery(bbox=(0.2, 0.2, 0.8, 0.8))) == []
    assert [i["id"] for i in store.search_items(ItemQuery(bbox=(5.2, 0.2, 5.8, 0.8)))] == ["a"]


def test_transaction_rolls_back(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert_item(_item("a", 0, 1))
            store.upsert_item(_item("b", 1, 1))
            raise RuntimeError("boom")
    assert store.count_items() == 0


def test_search_filters(store):
    for i in range(10):
        store.upsert_item(_item(f"i{i}", i, i + 1, cloud=i * 10))
    q = ItemQuery(start="2024-01-03", end="2024-01-05T23:59:59Z")
    assert [i["id"] for i in store.search_items(q)] == ["i2", "i3", "i4"]
    assert store.count_items(ItemQuery(max_cloud=30)) == 4
    assert [i["id"] for i in store.search_items(ItemQuery(limit=2, offset=3))] == ["i3", "i4"]
    tri = {"type": "Polygon", "coordinates": [[[2.5, 0.5], [4.5, 0.5], [2.5, 0.9], [2.5, 0.5]]]}
    assert [i["id"] for i in store.search_items(ItemQuery(intersects=tri))] == ["i2", "i3", "i4"]
    assert store.count_items(ItemQuery(ids=["i1", "i7", "zz"])) == 2
    with pytest.raises(NotFoundError):
        store.get_item("c", "zz")


def test_concurrent_writers_lose_nothing(tmp_path):
    import multiprocessing as mp

    url = f"sqlite:///{tmp_path / 'yvy.db'}"
    s = open_store(url, create=True)
    s.upsert_collection({"id": "c", "type": "Collection"})
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert s.count_items() == 3 * 40


def _writer(url, w):
    s = open_store(url)
    for i in range(40):
        s.upsert_item(_item(f"w{w}-{i}", i, 1 + i % 28))


def test_not_a_database(tmp_path):
    bad = tmp_path / "yvy.db"
    bad.write_bytes(b"garbage" * 100)
    with pytest.raises(WorkspaceError, match="not a usable SQLite database"):
        open_store(f"sqlite:///{bad}")


def test_migration_added_below_newest_is_still_applied(tmp_path, monkeypatch):
    import yvy.storage.sqlite as mod

    url = f"sqlite:///{tmp_path / 'yvy.db'}"
    open_store(url, create=True)
    known = mod.migrations()
    versions = {v for v, _, _ in known}
    free = next(v for v in range(1, max(versions) + 2) if v not in versions)
    # a migration numbered below one already applied, as when branches are merged
    extra = sorted([*known, (free, "late", "CREATE TABLE late_table (x INTEGER);")])
    monkeypatch.setattr(mod, "migrations", lambda: extra)
    s = open_store(url)
    assert free in s.applied_migrations()
    s.conn.execute("SELECT COUNT(*) FROM late_table").fetchone()
