"""What only the PostGIS engine has (run with YVY_TEST_DATABASE_URL), and the connection layer's
pure parts (always run)."""

from __future__ import annotations

import threading
import time

import pytest
from shapely.geometry import box

from yvy.errors import InputError, WorkspaceError
from yvy.storage import display_url, open_store

from ..conftest import other_engine_pass, raw_sql


def test_display_url_hides_the_password():
    assert display_url("postgresql://yvy:s3cret@db:5432/yvy") == "postgresql://yvy:***@db:5432/yvy"
    assert display_url("sqlite:////tmp/yvy.db") == "sqlite:////tmp/yvy.db"


@pytest.fixture
def pg(tmp_path, store_url, database_engine):
    if database_engine != "postgresql":
        other_engine_pass("postgresql")
    return open_store(store_url(tmp_path / "yvy.db"), create=True)


def test_geometry_columns_and_gist_indexes(pg):
    cols = raw_sql(pg, "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns ORDER BY 1, 2")
    assert {tuple(c) for c in cols} >= {("items", "geom", 4326), ("items", "bbox_geom", 4326),
                                        ("alerts", "geom", 4326), ("context_features", "geom", 4326)}
    gist = {r[0] for r in raw_sql(pg, "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")}
    assert {"items_geom", "items_bbox", "alerts_geom", "context_features_geom"} <= gist


def test_spatial_filters_run_in_sql_on_the_index(pg):
    from yvy.alerts.ports import AlertQuery

    from .test_store import row_of_alerts

    a = row_of_alerts(pg, 50)
    import sqlalchemy as sa

    from yvy.storage.schema import alerts
    from yvy.storage.where import Terms, Where

    where = Where()
    pg.spatial_term(where, box(10.2, 0.2, 12.2, 0.3))
    assert where.shape == ("intersects",)
    query = Terms(alerts).select(pg.dialect, where.shape, alerts.c.pk).compile(pg.engine)
    with pg.transaction() as c:
        c.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in c.exec_driver_sql(f"EXPLAIN {query}", {**query.params, **where.values}))
    assert "alerts_geom" in plan
    got = a.find_alerts(AlertQuery(bbox=(10.2, 0.2, 12.2, 0.3), limit=1, offset=1))
    assert [x.id for x in got] == ["A011"] and a.count_alerts(AlertQuery(bbox=(10.2, 0.2, 12.2, 0.3))) == 3


def test_geojson_becomes_2d_geometry_and_bad_geojson_is_kept(pg):
    pg.upsert_collection({"id": "c"})
    ring = [[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]
    pg.upsert_item({"id": "z", "collection": "c", "bbox": [0, 0, 5, 1, 1, 5],
                    "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {}})
    pg.upsert_item({"id": "bad", "collection": "c", "bbox": [0, 0, 1, 1],
                    "geometry": {"type": "Polygon", "coordinates": "nonsense"}, "properties": {}})
    rows = dict(raw_sql(pg, "SELECT id, ST_AsText(geom) FROM items"))
    assert rows == {"z": "POLYGON((0 0,1 0,1 1,0 0))", "bad": None}
    assert pg.get_item("c", "bad")["geometry"]["coordinates"] == "nonsense"


def test_audit_log_is_append_only_and_guard_comes_back(pg):
    from yvy.storage.alerts import SQLAlertStore

    a = SQLAlertStore(pg)
    a.append_audit(at="t", actor="x", alert_id=None, action="note", payload={})
    for sql in ("UPDATE audit_log SET actor='y'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(pg.Error, match="append-only"):
            raw_sql(pg, sql)
    raw_sql(pg, "DROP TRIGGER audit_log_no_update ON audit_log")
    pg = open_store(pg.url)  # opening the store puts the guard back
    with pytest.raises(pg.Error, match="append-only"):
        raw_sql(pg, "UPDATE audit_log SET actor='y'")


def test_only_read_check_writes_wait_and_readers_never(pg):
    """A long alert transaction (an `alerts update`) holds the alerts lock; a reader and an
    unrelated writer (an ingest) go on, a second alert writer waits for its commit."""
    from yvy.alerts.model import Alert
    from yvy.storage.alerts import SQLAlertStore

    a = SQLAlertStore(pg)
    a.insert_alert(Alert(id="A1", geometry=box(0, 0, 1, 1), area_ha=1.0, first_detected="2024-01-01"))
    pg.upsert_collection({"id": "c"})
    events = []
    holding = threading.Event()

    def long_update():
        with a.transaction():
            a.append_audit(at="t", actor="system", alert_id="A1", action="updated", payload={})
            holding.set()
            time.sleep(0.6)
            events.append("update commits")

    t = threading.Thread(target=long_update)
    t.start()
    holding.wait(10)
    assert len(list(a.iter_audit())) == 0  # a reader sees the last committed state at once
    pg.upsert_item({"id": "i", "collection": "c", "bbox": [0, 0, 1, 1], "geometry": None, "properties": {}})
    events.append("ingest done")
    with a.transaction():  # a review's read-check-write waits for the update to commit
        a.get_alert("A1")
        events.append("review reads")
    t.join()
    assert events == ["ingest done", "update commits", "review reads"]


def test_database_without_schema_or_server(pg, tmp_path, store_url):
    bare = store_url(tmp_path / "bare.db")
    with pytest.raises(WorkspaceError, match="no yvy schema; run `yvy init`"):
        open_store(bare)
    with pytest.raises(WorkspaceError, match="cannot connect to PostgreSQL") as err:
        open_store("postgresql://nobody:pw@127.0.0.1:1/none?connect_timeout=2")
    assert "nobody:***@" in str(err.value) and ":pw@" not in str(err.value)


def test_text_with_nul_is_an_input_error(pg):
    with pytest.raises(InputError, match="NUL"):
        pg.get_collection("a\x00b")
