"""The workspace store on the engine under test (SQLite, or PostGIS with YVY_TEST_DATABASE_URL):
migrations, transactions, item search."""

from __future__ import annotations

import pytest

from yvy.catalog.ports import ItemQuery
from yvy.errors import NotFoundError, WorkspaceError
from yvy.storage import open_store

from ..conftest import raw_sql


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
    assert open_store(url).migrate() == []  # reopening applies nothing new


def test_newer_schema_refused(store, url):
    raw_sql(store, "UPDATE alembic_version SET version_num = 'f00d'")
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
    # a rectangle: i2 and i3 lie inside it (no geometry test), i1 and i4 cross its edge; an item
    # with a bbox inside it but no geometry has no footprint to intersect
    store.upsert_item({**_item("nogeo", 3, 9), "geometry": None})
    rect = {"type": "Polygon", "coordinates": [[[1.5, -0.5], [4.5, -0.5], [4.5, 1.5], [1.5, 1.5], [1.5, -0.5]]]}
    assert [i["id"] for i in store.search_items(ItemQuery(intersects=rect))] == ["i1", "i2", "i3", "i4"]
    assert store.count_items(ItemQuery(intersects=rect)) == 4
    with pytest.raises(NotFoundError):
        store.get_item("c", "zz")


def test_items_without_geometry_sort_first(store):
    store.upsert_item(_item("b", 0, 2))
    store.upsert_item({"type": "Feature", "id": "a", "collection": "c", "geometry": None, "bbox": None,
                       "properties": {"datetime": None}, "assets": {}})
    assert [i["id"] for i in store.search_items()] == ["a", "b"]
    assert store.collection_extent("c")["count"] == 2


def test_jobs_leases_and_cursors(store):
    assert store.get_job("j") is None
    store.start_job("j", "detect", {"b": [1, 2]}, {"done": []})
    store.update_job("j", progress={"done": [0]})
    job = store.get_job("j")
    assert (job.kind, job.params, job.state, job.progress) == ("detect", {"b": [1, 2]}, "running", {"done": [0]})
    store.update_job("j", progress={"n": 1}, state="done")
    assert (store.get_job("j").state, store.get_job("j").progress) == ("done", {"n": 1})
    assert store.acquire_lease("notify", "a", 60) and store.acquire_lease("notify", "a", 60)
    assert not store.acquire_lease("notify", "b", 60)  # held by a until it expires
    store.release_lease("notify", "a")
    assert store.acquire_lease("notify", "b", 0.001)
    import time

    time.sleep(0.01)
    assert store.acquire_lease("notify", "a", 60)  # b's lease expired
    assert store.get_cursor("x") is None
    store.set_cursor("x", "7")
    store.set_cursor("x", "9")
    assert store.get_cursor("x") == "9"


def row_of_alerts(store, n: int):
    """The store's alert store with alerts ``A000``... of 0.5 x 0.5 degrees at x = 0, 1, 2..."""
    from shapely.geometry import box

    from yvy.alerts.model import Alert
    from yvy.storage.alerts import SQLAlertStore

    a = SQLAlertStore(store)
    with a.transaction():
        for k in range(n):
            a.insert_alert(Alert(id=f"A{k:03d}", geometry=box(k, 0, k + 0.5, 0.5), area_ha=1.0,
                                 first_detected="2024-01-01"))
    return a


def test_alert_page_and_count_agree(store):
    from shapely.geometry import Polygon

    from yvy.alerts.ports import AlertQuery

    a = row_of_alerts(store, 12)
    q = AlertQuery(bbox=(2.2, 0.2, 6.1, 0.3), limit=2, offset=1)
    assert [(n, [x.id for x in page]) for n, page in [a.page_alerts(q)]] == [(5, ["A003", "A004"])]
    tri = Polygon([(2.7, 0.6), (8.2, 0.6), (2.7, -0.3)])  # its bbox overlaps A08's box, it does not
    for q in (AlertQuery(intersects=tri, limit=3, offset=2), AlertQuery(status=["new"], limit=5, offset=10),
              AlertQuery(bbox=(20, 20, 21, 21))):
        matched, page = a.page_alerts(q)
        assert matched == a.count_alerts(q) and [x.id for x in page] == [x.id for x in a.find_alerts(q)]
    matched, page = a.page_alerts(AlertQuery(intersects=tri))
    assert matched == 5 and [x.id for x in page] == ["A003", "A004", "A005", "A006", "A007"]
