"""A workspace written by the release before Alembic (its own SQL migrations 0001-0005 and
``schema_migrations``, kept verbatim in ``release_schema/``) upgrades in place with
``yvy db migrate`` and loses nothing, on the engine under test (SQLite, or PostGIS with
YVY_TEST_DATABASE_URL). Afterwards the database matches :data:`yvy.storage.schema.metadata`
exactly (Alembic's autogenerate comparison finds no difference)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping

from yvy.accounts import hash_password
from yvy.alerts.audit import chain_entry, verify_chain
from yvy.alerts.ports import AlertQuery
from yvy.catalog.ports import ItemQuery
from yvy.cli.main import cli
from yvy.storage import open_store
from yvy.storage.alerts import SQLAlertStore
from yvy.storage.feeds import SQLFeedStore
from yvy.storage.users import SQLUserStore

RELEASE = Path(__file__).parent / "release_schema"
LEGACY = [(1, "catalog"), (2, "alerts"), (4, "users"), (5, "feeds")]


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class _Legacy:
    """The release's own writes: ``?`` SQL on sqlite3, ``%s`` on psycopg, R*Trees by hand."""

    def __init__(self, url: str):
        self.pg = url.startswith("postgresql")
        if self.pg:
            import psycopg

            self.c = psycopg.connect(url, autocommit=True)
        else:
            self.c = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
        folder = RELEASE / ("pg" if self.pg else "sqlite")
        self.c.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                       "applied TEXT NOT NULL)")
        for version, name in LEGACY:
            sql = (folder / f"{version:04d}_{name}.sql").read_text()
            if self.pg:
                self.c.execute(sql)
            else:
                self.c.executescript(sql)
            self.x("INSERT INTO schema_migrations VALUES (?,?,?)", version, name, "2024-06-01T00:00:00Z")
        if not self.pg:  # the release re-created these triggers when opening the alert store
            for op in ("UPDATE", "DELETE"):
                self.c.execute(f"CREATE TRIGGER audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
                               "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")

    def x(self, sql: str, *args):
        """Run one statement; the new row's key for INSERT ... RETURNING."""
        cur = self.c.execute(sql.replace("?", "%s") if self.pg else sql, args)
        return cur.fetchone()[0] if "RETURNING" in sql else None

    def rtree(self, table: str, pk: int, bounds) -> None:
        if not self.pg:
            minx, miny, maxx, maxy = bounds
            self.x(f"INSERT INTO {table}(pk, minx, maxx, miny, maxy) VALUES (?,?,?,?,?)", pk, minx, maxx, miny, maxy)


def _write_release_workspace(url: str) -> dict:
    """Every table of the release filled as its code wrote them; returns what to find again."""
    db = _Legacy(url)
    t = "2024-06-02T10:00:00.000000Z"
    db.x("INSERT INTO collections VALUES (?,?,?)", "s2", json.dumps({"id": "s2", "type": "Collection"}), t)
    geom = box(-57.0, -22.7, -56.9, -22.6)
    item = {"type": "Feature", "id": "S2A_1", "collection": "s2", "bbox": list(geom.bounds),
            "geometry": mapping(geom), "properties": {"datetime": "2024-06-01T14:00:00Z"}}
    pk = db.x("INSERT INTO items(collection, id, start_dt, end_dt, cloud_cover, minx, miny, maxx, maxy, geometry,"
              " doc, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING pk", "s2", "S2A_1",
              "2024-06-01T14:00:00.000000Z", "2024-06-01T14:00:00.000000Z", 12.5, *geom.bounds,
              json.dumps(item["geometry"]), json.dumps(item), t, t)
    db.rtree("items_rtree", pk, geom.bounds)
    db.x("INSERT INTO jobs VALUES (?,?,?,?,?,?,?)", "detect:D1", "detect", '{"a": 1}', "done", '{"done": [0]}', t, t)
    alerts = {}
    for k, (aid, conf) in enumerate([("PY-2024-000001", "high"), ("PY-2024-000002", "low")]):
        g = box(-57.0 + k / 20, -22.65, -56.98 + k / 20, -22.63)
        doc = {"products": ["D1"], "context": {"region": "Boquerón"}, "legal": {}, "review": {},
               "merged_from": []}
        pk = db.x("INSERT INTO alerts(id, status, confidence, first_detected, confirm_count, area_ha, pixel_count,"
                  " minx, miny, maxx, maxy, geometry, doc, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                  " RETURNING pk", aid, "new", conf, "2024-05-20", 2, 4.5 + k, 50, *g.bounds,
                  _dumps(mapping(g)), _dumps(doc), t, t)
        db.rtree("alerts_rtree", pk, g.bounds)
        alerts[aid] = g
    db.x("INSERT INTO alert_counters VALUES (?,?,?)", "PY", 2024, 2)
    db.x("INSERT INTO alert_reviews(alert_id, at, by_name, from_status, to_status, reason, note) VALUES "
         "(?,?,?,?,?,?,?)", "PY-2024-000001", t, "Ana", "new", "under_review", None, "ñandú ✓")
    db.x("INSERT INTO alert_merges(survivor, absorbed, at, product_id) VALUES (?,?,?,?)",
         "PY-2024-000001", "PY-2024-000002", t, "D1")
    db.x("INSERT INTO alert_runs(at, product_id, params, summary) VALUES (?,?,?,?)", t, "D1", "{}", '{"created": 2}')
    prev = None
    for aid in alerts:
        e = chain_entry(prev, at=t, actor="system", alert_id=aid, action="created", payload={"product_id": "D1"})
        db.x("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?)", e.seq, e.at, e.actor, e.alert_id, e.action,
             _dumps(e.payload), e.prev_hash, e.hash)
        prev = e
    lpk = db.x("INSERT INTO context_layers(name, kind, source, source_crs, name_field, features, added) VALUES "
               "(?,?,?,?,?,?,?) RETURNING pk", "parks", "protected_area", "parks.gpkg", "EPSG:4326", "name", 1, t)
    park = box(-57.05, -22.7, -56.95, -22.62)
    fpk = db.x("INSERT INTO context_features(layer_pk, name, props, minx, miny, maxx, maxy, geometry) VALUES "
               "(?,?,?,?,?,?,?,?) RETURNING pk", lpk, "Parque", '{"iucn": "II"}', *park.bounds,
               _dumps(mapping(park)))
    db.rtree("context_rtree", fpk, park.bounds)
    uid = db.x("INSERT INTO users(username, role, password_hash, active, created, updated) VALUES "
               "(?,?,?,1,?,?) RETURNING id", "ana", "analyst", hash_password("correct horse"), t, t)
    hid = db.x("INSERT INTO webhooks(url, secret, area, owner_id, label, active, created) VALUES "
               "(?,?,?,?,?,1,?) RETURNING id", "https://example.org/h", "s3cret-s3cret-s3cret", None, uid, "x", t)
    db.x("INSERT INTO webhook_deliveries(webhook_id, alert_id, event, payload, status, attempts, created, updated)"
         " VALUES (?,?,?,?,?,?,?,?)", hid, "PY-2024-000001", "alert.high_confidence", "{}", "skipped", 0, t, t)
    db.c.close()
    return {"alerts": alerts, "hook": hid}


@pytest.fixture
def release_ws(tmp_path, store_url, monkeypatch):
    from yvy.config import Workspace

    home = Workspace.create(tmp_path / "ws").home  # the folder; its database is written below
    url = store_url(home / "yvy.db")
    monkeypatch.setenv("YVY_DATABASE_URL", url)
    return home, url, _write_release_workspace(url)


def test_release_workspace_upgrades_in_place_and_loses_nothing(release_ws):
    home, url, made = release_ws
    r = CliRunner().invoke(cli, ["--home", str(home), "db", "migrate"])
    assert r.exit_code == 0, r.output
    assert "aplicada 0002" in r.output and "al día" in r.output
    s = open_store(url)
    assert s.applied_at_open == [] and s.schema_version() == s.migrations()[-1][0]
    # catalog, with its spatial index
    assert s.get_item("s2", "S2A_1")["properties"]["datetime"] == "2024-06-01T14:00:00Z"
    assert s.count_items(ItemQuery(bbox=(-56.95, -22.65, -56.94, -22.64))) == 1
    assert s.count_items(ItemQuery(bbox=(10, 10, 11, 11))) == 0
    assert s.get_job("detect:D1").progress == {"done": [0]}
    # alerts, reviews, merges, runs, counters, audit chain, context layers
    a = SQLAlertStore(s)
    first, second = made["alerts"]
    assert [x.id for x in a.find_alerts(AlertQuery(bbox=made["alerts"][second].bounds))] == [second]
    got = a.get_alert(first)
    assert (got.confidence.value, got.area_ha, got.context) == ("high", 4.5, {"region": "Boquerón"})
    assert a.reviews(first)[0]["note"] == "ñandú ✓" and a.merges(first)[0]["absorbed"] == second
    assert a.runs()[0]["summary"] == {"created": 2}
    assert a.next_alert_id("PY", 2024) == "PY-2024-000003"
    assert verify_chain(a.iter_audit()).ok and len(list(a.iter_audit())) == 2
    assert [f.name for f in a.context_features(bbox=(-57.0, -22.65, -56.99, -22.64))] == ["Parque"]
    # users and feeds
    users = SQLUserStore(s)
    assert users.authenticate("ana", "correct horse").role == "analyst"
    assert SQLFeedStore(s).list_deliveries(made["hook"])[0].status == "skipped"
    # new writes after the upgrade keep the spatial index and the audit guard
    moved = got.with_(geometry=box(10, 10, 10.1, 10.1))
    a.update_alert(moved)
    assert [x.id for x in a.find_alerts(AlertQuery(bbox=(10, 10, 11, 11)))] == [first]
    assert a.change_cursor() > 0
    with pytest.raises(s.Error, match="append-only"):
        from ..conftest import raw_sql

        raw_sql(s, "DELETE FROM audit_log")
    # and a second migrate has nothing to do
    r = CliRunner().invoke(cli, ["--home", str(home), "db", "status", "--json"])
    assert all(m["applied"] for m in json.loads(r.output)["migrations"])


def _schema_diff(store) -> list:
    """Alembic's autogenerate comparison of the database with the definition, less what the
    definition leaves out on purpose: R*Tree side tables (guards), PostGIS's ``spatial_ref_sys``,
    PostGIS-only columns and indexes on SQLite."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from yvy.storage.schema import RTREES, metadata

    def names(name, type_, parent):  # PostGIS's own table, SQLite's R*Tree side tables
        return type_ != "table" or not (name == "spatial_ref_sys" or any(name.startswith(rt) for rt in RTREES.values()))

    def objects(obj, name, type_, reflected, compare_to):
        if store.dialect != "sqlite":
            return True
        cols = [obj] if type_ == "column" else list(getattr(obj, "columns", []))
        return not any(c.info.get("postgis") for c in cols)

    with store.engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={"compare_type": True, "include_name": names,
                                                  "include_object": objects})
        diff = compare_metadata(ctx, metadata)
    if store.dialect == "sqlite":
        diff = [d for d in diff if not _sqlite_reflection_quirk(store, d)]
    return diff


def _sqlite_reflection_quirk(store, d) -> bool:
    """SQLite differences that are not: a TEXT primary key reflects as nullable, and the
    ON DELETE of a FOREIGN KEY written inline is not reflected (PRAGMA foreign_key_list says)."""
    from ..conftest import raw_sql

    if isinstance(d, list) and d[0][0] == "modify_nullable":
        table, column = d[0][2], d[0][3]
        from yvy.storage.schema import metadata

        return column in metadata.tables[table].primary_key.columns
    if isinstance(d, tuple) and d[0] in ("remove_fk", "add_fk"):
        fk = d[1]
        pragma = raw_sql(store, f"PRAGMA foreign_key_list({fk.table.name})")
        return any(r[2] == fk.referred_table.name and r[6] == "CASCADE" for r in pragma)
    return False


def test_upgraded_schema_matches_the_definition(release_ws, tmp_path, store_url):
    _, url, _ = release_ws
    assert _schema_diff(open_store(url)) == []
    # and so does a new database made from the definition
    assert _schema_diff(open_store(store_url(tmp_path / "fresh.db"), create=True)) == []


def test_unknown_release_is_refused(tmp_path, store_url):
    url = store_url(tmp_path / "yvy.db")
    legacy = _Legacy(url)
    legacy.x("DELETE FROM schema_migrations WHERE version = 5")
    legacy.c.close()
    from yvy.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="not a release this yvy upgrades"):
        open_store(url)
