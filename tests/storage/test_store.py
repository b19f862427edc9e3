"""The workspace store on the engine under test (SQLite, or PostGIS with YVY_TEST_DATABASE_URL):
migrations, transactions, item search."""

from __future__ import annotations

import pytest

from yvy.catalog.ports import ItemQuery
from yvy.errors import NotFoundError, WorkspaceError
from yvy.storage import open_store


def _item(iid, x, day, cloud=None, coll="c"):
    props = {"datetime": f"2024-01-{day:02d}T10:00:00Z"}
    if cloud is not None:
        props["eo:cloud_cover"] = cloud
    ring = [[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]
    return {"type": "Feature", "stac_version": "1.1.0", "id": iid, "collection": coll,
            "bbox": [x, 0, x + 1, 1], "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": props, "assets": {}, "links": []}


@pytest.fixture
def url(tmp_path, store_url):
    return store_url(tmp_path / "yvy.db")


@pytest.fixture
def store(url):
    s = open_store(url, create=True)
    s.upsert_collection({"id": "c", "type": "Collection"})
    return s


def test_schema_version_and_reopen(store, url, database_engine):
    assert store.dialect == database_engine
    assert store.schema_version() == store.migrations()[-1][0]
    assert store.applied_migrations() == {v for v, _, _ in store.migrations()}
    assert open_store(url).migrate() == []  # reopening applies nothing new


def test_newer_schema_refused(store, url):
    store.conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x')")
    with pytest.raises(WorkspaceError, match="newer"):
        open_store(url)


def test_upsert_is_idempotent(store):
    assert store.upsert_item(_item("a", 0, 1)) is True
    assert store.upsert_item(_item("a", 5, 2)) is False
    assert store.count_items() == 1
    got = store.get_item("c", "a")
    assert got["bbox"] == [5, 0, 6, 1]
    assert store.search_items(ItemQuery(bbox=(0.2, 0.2, 0.8, 0.8))) == []
    assert [i["id"] for i in store.search_items(ItemQuery(bbox=(5.2, 0.2, 5.8, 0.8)))] == ["a"]
    store.delete_item("c", "a")
    assert store.search_items(ItemQuery(bbox=(5.2, 0.2, 5.8, 0.8))) == []
    with pytest.raises(NotFoundError):
        store.delete_item("c", "a")


def test_transaction_rolls_back(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert_item(_item("a", 0, 1))
            store.upsert_item(_item("b", 1, 1))
            raise RuntimeError("boom")
    assert store.count_items() == 0
    with store.transaction():  # the connection is usable afterwards, and nested blocks join
        with store.transaction():
            store.upsert_item(_item("a", 0, 1))
    assert store.count_items() == 1


def test_search_filters(store):
    for i in range(10):
        store.upsert_item(_item(f"i{i}", i, i + 1, cloud=i * 10))
    q = ItemQuery(start="2024-01-03", end="2024-01-05T23:59:59Z")
    assert [i["id"] for i in store.search_items(q)] == ["i2", "i3", "i4"]
    assert store.count_items(ItemQuery(max_cloud=30)) == 4
    assert [i["id"] for i in store.search_items(ItemQuery(limit=2, offset=3))] == ["i3", "i4"]
    assert [i["id"] for i in store.search_items(ItemQuery(offset=8))] == ["i8", "i9"]
    tri = {"type": "Polygon", "coordinates": [[[2.5, 0.5], [4.5, 0.5], [2.5, 0.9], [2.5, 0.5]]]}
    assert [i["id"] for i in store.search_items(ItemQuery(intersects=tri))] == ["i2", "i3", "i4"]
    assert store.count_items(ItemQuery(intersects=tri)) == 3
    assert [i["id"] for i in store.search_items(ItemQuery(intersects=tri, limit=1, offset=1))] == ["i3"]
    # the bbox of these two points overlaps i4 and i5, the points themselves only i4
    pts = {"type": "MultiPoint", "coordinates": [[4.5, 0.5], [5.5, 2.0]]}
    assert [i["id"] for i in store.search_items(ItemQuery(intersects=pts))] == ["i4"]
    assert store.count_items(ItemQuery(intersects=pts)) == 1
    assert store.count_items(ItemQuery(ids=["i1", "i7", "zz"])) == 2
    with pytest.raises(NotFoundError):
        store.get_item("c", "zz")


def test_items_without_geometry_sort_first(store):
    store.upsert_item(_item("b", 0, 2))
    store.upsert_item({"type": "Feature", "id": "a", "collection": "c", "geometry": None, "bbox": None,
                       "properties": {"datetime": None}, "assets": {}})
    assert [i["id"] for i in store.search_items()] == ["a", "b"]
    assert store.collection_extent("c")["count"] == 2


def test_migration_added_below_newest_is_still_applied(url, monkeypatch):
    s = open_store(url, create=True)
    known = s.migrations()
    versions = {v for v, _, _ in known}
    free = next(v for v in range(1, max(versions) + 2) if v not in versions)
    # a migration numbered below one already applied, as when branches are merged
    extra = sorted([*known, (free, "late", "CREATE TABLE late_table (x INTEGER);")])
    monkeypatch.setattr(type(s), "migrations", lambda self: extra)
    s2 = open_store(url)
    assert free in s2.applied_migrations()
    s2.conn.execute("SELECT COUNT(*) FROM late_table").fetchone()


def test_rows_have_index_and_key_access(store):
    store.upsert_item(_item("a", 0, 1))
    row = store.conn.execute("SELECT id, collection AS \"from\" FROM items WHERE id=?", ("a",)).fetchone()
    assert row[0] == row["id"] == "a" and row["from"] == "c"
    assert dict(row) == {"id": "a", "from": "c"} and list(row.keys()) == ["id", "from"]
    (iid, coll), = store.conn.execute("SELECT id, collection FROM items").fetchall()
    assert (iid, coll) == ("a", "c")
    # '%' and '?' inside literals survive the placeholder translation
    got = store.conn.execute("SELECT '50%?', id FROM items WHERE id LIKE ?", ("a%",)).fetchone()
    assert tuple(got) == ("50%?", "a")
