"""``yvy db copy``: a SQLite workspace moved to the engine under test (PostGIS with
YVY_TEST_DATABASE_URL, another SQLite file otherwise) with nothing lost."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from shapely.geometry import box
from sqlalchemy import text as sql_text

from yvy.cli.main import cli
from yvy.storage import copy as copy_module
from yvy.storage import open_store
from yvy.storage.copy import CopyMismatchError, copy_store, table_digest
from yvy.storage.schema import metadata

from ..api._build import build_workspace
from ..conftest import raw_sql

FILLED = {"collections", "items", "alerts", "alert_counters", "alert_reviews", "alert_merges",
          "alert_runs", "audit_log", "context_layers", "context_features", "users", "api_keys",
          "sessions", "webhooks", "webhook_deliveries"}


@pytest.fixture
def sqlite_ws(tmp_path, monkeypatch):
    """A SQLite workspace with items, alerts with reviews, merges and audit entries, a context
    layer, users with keys and a session, a webhook with a delivery, and a job."""
    from yvy.alerts import review_alert
    from yvy.alerts.context import ContextFeature, ContextLayer
    from yvy.storage.alerts import SQLAlertStore
    from yvy.storage.feeds import SQLFeedStore
    from yvy.storage.users import SQLUserStore

    home = tmp_path / "ws"
    url = f"sqlite:///{home / 'yvy.db'}"
    monkeypatch.setenv("YVY_DATABASE_URL", url)
    built = build_workspace(home, size=64)
    s = open_store(url)
    a = SQLAlertStore(s)
    first, second = built.alerts[:2]
    review_alert(a, first, "under_review", by="Ana")
    review_alert(a, first, "confirmed", by="Ana", reason="field_visit")
    a.record_merge(second, first, at="2024-07-11T00:00:00Z", product_id="DET_21KXT_2024")
    a.record_run(at="2024-07-11T00:00:00Z", product_id="DET_21KXT_2024", params={"w": 1},
                 summary={"created": 2})
    feats = tuple(ContextFeature("parks", "protected_area", f"park {k}",
                                 box(-57.1 + k / 10, -22.7, -57 + k / 10, -22.6), {"iucn": "II", "n": k})
                  for k in range(3))
    a.add_context_layer(ContextLayer("parks", "protected_area", "parks.gpkg", "EPSG:4326", "name", feats))
    users = SQLUserStore(s)
    users.create_session(users.get_user("ana"))
    feeds = SQLFeedStore(s)
    hook = feeds.add_webhook("https://example.org/hook", area=json.loads(json.dumps(
        {"type": "Polygon", "coordinates": [[[-58, -23], [-56, -23], [-56, -22], [-58, -22], [-58, -23]]]})))
    body = json.dumps({"id": first, "note": "ñandú ✓"}, ensure_ascii=False)
    feeds.enqueue(hook.id, first, "alert.high_confidence", body)
    s.start_job("detect-1", "detect", {}, {"done": []})
    s.update_job("detect-1", progress={"done": [0]}, state="done")
    s.close()
    return home, url


def test_copy_moves_everything_and_proves_it(sqlite_ws, tmp_path, store_url, monkeypatch):
    home, src_url = sqlite_ws
    target = store_url(tmp_path / "copy.db")
    r = CliRunner().invoke(cli, ["--home", str(home), "db", "copy", "--to", target, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    tables = {t["table"]: t for t in doc["tables"]}
    assert FILLED <= set(tables) and "jobs" in tables
    assert all(t["ok"] for t in tables.values())
    assert all(tables[name]["rows"] > 0 for name in FILLED | {"jobs"}), tables

    src, dst = open_store(src_url), open_store(target)
    for table in metadata.sorted_tables:
        t = tables[table.name]
        with src.read() as sc, dst.read() as dc:
            assert table_digest(sc, table) == table_digest(dc, table) == (t["rows"], t["sha256"])
    # and back again, to a new SQLite file
    back = open_store(f"sqlite:///{tmp_path / 'back.db'}", create=True)
    assert [(r.table, r.rows, r.sha256) for r in copy_store(dst, back)] == \
        [(name, t["rows"], t["sha256"]) for name, t in tables.items()]

    # the copy works as a workspace database: audit chain, alerts, spatial search, new rows
    r = CliRunner().invoke(cli, ["--home", str(home), "alerts", "audit", "--verify"])
    assert r.exit_code == 0 and "registro de auditoría correcto" in r.output, r.output  # the source verifies too
    monkeypatch.setenv("YVY_DATABASE_URL", target)
    r = CliRunner().invoke(cli, ["--home", str(home), "alerts", "audit", "--verify"])
    assert r.exit_code == 0 and "registro de auditoría correcto" in r.output, r.output
    listed = CliRunner().invoke(cli, ["--home", str(home), "alerts", "list", "--json"]).output
    monkeypatch.setenv("YVY_DATABASE_URL", src_url)
    assert CliRunner().invoke(cli, ["--home", str(home), "alerts", "list", "--json"]).output == listed

    from yvy.alerts.ports import AlertQuery
    from yvy.catalog.ports import ItemQuery
    from yvy.storage.alerts import SQLAlertStore
    from yvy.storage.users import SQLUserStore

    sa, da = SQLAlertStore(src), SQLAlertStore(dst)
    area = (-57.0, -22.7, -56.9, -22.6)
    found = [x.id for x in sa.find_alerts(AlertQuery(bbox=area))]
    assert [x.id for x in da.find_alerts(AlertQuery(bbox=area))] == found
    assert len(da.context_features(bbox=area)) == len(sa.context_features(bbox=area)) > 0
    assert dst.count_items(ItemQuery(bbox=area)) == src.count_items(ItemQuery(bbox=area)) > 0
    # identity keys continue after the copied ones
    user = SQLUserStore(dst).add_user("new", "viewer")
    assert user.id == max(u.id for u in SQLUserStore(src).list_users()) + 1
    da.add_review(sa.find_alerts()[0].id, at="t", by="x", payload={"from": "new", "to": "under_review"})

    # a second copy into the same database is refused
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(home), "db", "copy", "--to", target])
    assert r.exit_code == 1 and "already has rows" in r.output


def test_mismatch_rolls_the_target_back(sqlite_ws, tmp_path, store_url, monkeypatch):
    _, src_url = sqlite_ws
    src = open_store(src_url)
    dst = open_store(store_url(tmp_path / "copy.db"), create=True)
    real = copy_module._reset_identity

    def corrupt(c, table):  # a target that silently alters what it stores
        real(c, table)
        if table.name == "alerts":
            c.execute(sql_text("UPDATE alerts SET area_ha = area_ha + 1e-9 WHERE pk = 1"))

    monkeypatch.setattr(copy_module, "_reset_identity", corrupt)
    with pytest.raises(CopyMismatchError, match="alerts:"):
        copy_store(src, dst)
    assert raw_sql(dst, "SELECT COUNT(*) FROM alerts") == raw_sql(dst, "SELECT COUNT(*) FROM items") == [(0,)]


def test_migrate_and_status(sqlite_ws):
    home, _ = sqlite_ws
    r = CliRunner().invoke(cli, ["--home", str(home), "db", "migrate"])
    assert r.exit_code == 0 and "al día" in r.output
    doc = json.loads(CliRunner().invoke(cli, ["--home", str(home), "db", "status", "--json"]).output)
    assert doc["engine"] == "sqlite" and all(m["applied"] for m in doc["migrations"])
