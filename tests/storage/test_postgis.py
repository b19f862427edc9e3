"""What only the PostGIS engine has (run with YVY_TEST_DATABASE_URL), and the connection layer's
pure parts (always run)."""

from __future__ import annotations

import threading
import time

import pytest
from shapely.geometry import box

from yvy.errors import InputError, WorkspaceError
from yvy.storage import display_url, open_store
from yvy.storage._engine import migration_files, to_pyformat

from ..conftest import other_engine_pass


def test_placeholders_become_pyformat_outside_quotes():
    assert to_pyformat("SELECT a FROM t WHERE b=? AND c IN (?,?)") == \
        "SELECT a FROM t WHERE b=%s AND c IN (%s,%s)"
    assert to_pyformat("SELECT '?%', \"x?\" WHERE d LIKE ? || '%'") == \
        "SELECT '?%%', \"x?\" WHERE d LIKE %s || '%%'"
    assert to_pyformat("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"


def test_display_url_hides_the_password():
    assert display_url("postgresql://yvy:s3cret@db:5432/yvy") == "postgresql://yvy:***@db:5432/yvy"
    assert display_url("sqlite:////tmp/yvy.db") == "sqlite:////tmp/yvy.db"


def test_every_migration_has_a_postgresql_twin():
    sqlite = [(v, n) for v, n, _ in migration_files("yvy.storage.migrations")]
    pg = [(v, n) for v, n, _ in migration_files("yvy.storage.migrations.pg")]
    assert sqlite == pg, "add migrations/pg/NNNN_name.sql beside each migrations/NNNN_name.sql"


@pytest.fixture
def pg(tmp_path, store_url, database_engine):
    if database_engine != "postgresql":
        other_engine_pass("postgresql")
    return open_store(store_url(tmp_path / "yvy.db"), create=True)


def test_geometry_columns_and_gist_indexes(pg):
    cols = pg.conn.execute(
        "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns ORDER BY 1, 2").fetchall()
    assert {tuple(c) for c in cols} >= {("items", "geom", 4326), ("items", "bbox_geom", 4326),
                                        ("alerts", "geom", 4326), ("context_features", "geom", 4326)}
    gist = {r[0] for r in pg.conn.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")}
    assert {"items_geom", "items_bbox", "alerts_geom", "context_features_geom"} <= gist


def test_spatial_filters_run_in_sql_on_the_index(pg):
    from yvy.alerts.model import Alert
    from yvy.alerts.ports import AlertQuery
    from yvy.storage.alerts import SQLAlertStore

    a = SQLAlertStore(pg)
    with a.transaction():
        for k in range(50):
            a.insert_alert(Alert(id=f"A{k:03d}", geometry=box(k, 0, k + 0.5, 0.5), area_ha=1.0,
                                 first_detected="2024-01-01"))
    sql, args = pg.engine.intersects_clause("a", "alerts", box(10.2, 0.2, 12.2, 0.3))
    with pg.transaction() as c:
        c.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in c.execute(f"EXPLAIN SELECT pk FROM alerts a WHERE {sql}", args))
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
    rows = dict(pg.conn.execute("SELECT id, ST_AsText(geom) FROM items").fetchall())
    assert rows == {"z": "POLYGON((0 0,1 0,1 1,0 0))", "bad": None}
    assert pg.get_item("c", "bad")["geometry"]["coordinates"] == "nonsense"


def test_audit_log_is_append_only_and_guard_comes_back(pg):
    from yvy.storage.alerts import SQLAlertStore

    a = SQLAlertStore(pg)
    a.append_audit(at="t", actor="x", alert_id=None, action="note", payload={})
    for sql in ("UPDATE audit_log SET actor='y'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(pg.Error, match="append-only"):
            pg.conn.execute(sql)
    pg.conn.execute("DROP TRIGGER audit_log_no_update ON audit_log")
    SQLAlertStore(pg)  # opening the alert store puts the guard back
    with pytest.raises(pg.Error, match="append-only"):
        pg.conn.execute("UPDATE audit_log SET actor='y'")


def test_writers_wait_for_each_other_and_readers_do_not(pg):
    pg.upsert_collection({"id": "c"})
    events = []
    holding = threading.Event()

    def writer_a():
        with pg.transaction() as c:
            c.execute("UPDATE collections SET updated='a' WHERE id='c'")
            holding.set()
            time.sleep(0.5)
            events.append("a commits")

    t = threading.Thread(target=writer_a)
    t.start()
    holding.wait(10)
    # a reader is not blocked and sees the last committed state
    assert pg.conn.execute("SELECT updated FROM collections").fetchone()[0] != "a"
    events.append("read")
    with pg.transaction() as c:  # a second writer waits for the first one to commit
        events.append("b starts")
        assert c.execute("SELECT updated FROM collections").fetchone()[0] == "a"
    t.join()
    assert events == ["read", "a commits", "b starts"]


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
