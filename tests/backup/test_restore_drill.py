"""Restore drill: back up a small served workspace, wipe it, restore it elsewhere and compare.

Runs on SQLite, and on PostgreSQL/PostGIS (pg_dump / pg_restore) under YVY_TEST_DATABASE_URL.
"""

import json
import shutil
import sqlite3

import pytest
import rasterio
from click.testing import CliRunner

from yvy.alerts.model import to_feature
from yvy.cli.main import cli
from yvy.config import Workspace

from ..api._build import build_workspace


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    return r.exit_code, " ".join(r.output.split())


def _snapshot(home):
    """Catalog items (paths relative to the workspace), alerts, users of a workspace."""
    from yvy.alerts.ports import AlertQuery
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore
    from yvy.storage.users import SQLUserStore

    s = open_store(Workspace(home).database_url)
    items = sorted(json.dumps(it, sort_keys=True).replace(str(home) + "/", "HOME/") for it in s.iter_items())
    hrefs = [a["href"] for it in s.iter_items() for a in it["assets"].values()]
    alerts = sorted(json.dumps(to_feature(a), sort_keys=True, default=str)
                    for a in SQLAlertStore(s).find_alerts(AlertQuery(include_merged=True)))
    users = sorted(u.username for u in SQLUserStore(s).list_users())
    s.close()
    return items, hrefs, alerts, users


@pytest.fixture
def ws(tmp_path):
    """A served workspace with a reviewed alert, an agency key, a checkpoint and signed evidence."""
    home = tmp_path / "ws"
    built = build_workspace(home, size=48)
    aid = built.alerts[0]
    assert run("--home", home, "alerts", "review", aid, "--status", "under_review", "--by", "Ana")[0] == 0
    assert run("--home", home, "keys", "init")[0] == 0
    assert run("--home", home, "alerts", "audit", "--checkpoint")[0] == 0
    code, out = run("--home", home, "alerts", "evidence", aid, "-o", home / "reports" / aid)
    assert code == 0, out
    return home, aid


def test_backup_wipe_restore_compare(ws, tmp_path):
    home, aid = ws
    before = _snapshot(home)
    code, out = run("--home", home, "backup", tmp_path / "bk")
    assert code == 0 and "respaldo" in out and "SIN firmar" not in out, out
    assert (tmp_path / "bk" / "backup.json.sig").exists()
    assert not list(tmp_path.glob(".bk.*"))  # the temporary folder was renamed
    shutil.rmtree(home)  # the disaster
    new = tmp_path / "restored"
    code, out = run("restore", tmp_path / "bk", "--home", new)
    assert code == 0 and "cada SHA-256 coincide, cadena de auditoría correcta" in out, out
    assert "firma del respaldo correcta" in out, out
    items, hrefs, alerts, users = _snapshot(new)
    assert (items, alerts, users) == (before[0], before[2], before[3])
    assert before[1] and all(h.startswith(str(new) + "/") for h in hrefs)  # assets moved with the workspace
    with rasterio.open(hrefs[0]) as ds:  # and they are readable there
        assert ds.read(1).size > 0
    code, out = run("--home", new, "alerts", "audit", "--verify")
    assert code == 0 and "extiende 1 punto(s) de control firmado(s)" in out, out
    code, out = run("--home", new, "evidence", "verify", new / "reports" / aid)
    assert code == 0 and "evidencia correcta" in out, out
    assert (new / "keys" / "signing.key").stat().st_mode & 0o077 == 0


def test_restore_refuses_damaged_backups(ws, tmp_path):
    home, _ = ws
    assert run("--home", home, "backup", tmp_path / "bk")[0] == 0
    bk = tmp_path / "bk"
    doc = json.loads((bk / "backup.json").read_text())
    rel = next(f["path"] for f in doc["files"] if f["path"].endswith(".tif"))
    with open(bk / "files" / rel, "r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00\x01\x02")
    code, out = run("--lang", "en", "restore", bk, "--home", tmp_path / "new")
    assert code == 1 and rel.split("/")[-1] in out and "differs from the backup manifest" in out, out
    assert not (tmp_path / "new").exists() and not list(tmp_path.glob(".new.*"))
    # a forged manifest (to hide the change) breaks its signature
    man = json.loads((bk / "backup.json").read_text())
    for f in man["files"]:
        if f["path"] == rel:
            import hashlib

            f["sha256"] = hashlib.sha256((bk / "files" / rel).read_bytes()).hexdigest()
    (bk / "backup.json").write_text(json.dumps(man))
    code, out = run("--lang", "en", "restore", bk, "--home", tmp_path / "new")
    assert code == 1 and "backup.json" in out and "altered" in out, out
    # an occupied target is refused before any work
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    code, out = run("--lang", "en", "restore", bk, "--home", tmp_path / "busy")
    assert code == 1 and "not empty" in out


def test_rewritten_audit_row_in_a_backup_is_caught(ws, tmp_path, database_engine):
    """Someone edits the audit log inside an (unsigned) SQLite backup and fixes the manifest's hash."""
    if database_engine != "sqlite":
        return  # the dump is a pg_dump archive there; the SQLite file is the tamperer's easy target
    home, _ = ws
    assert run("--home", home, "backup", tmp_path / "bk")[0] == 0
    bk = tmp_path / "bk"
    db = bk / "database" / "yvy.db"
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET actor='Mallory' WHERE seq=(SELECT max(seq) FROM audit_log)")
    con.commit()
    con.close()
    import hashlib

    man = json.loads((bk / "backup.json").read_text())
    man["database"]["sha256"] = hashlib.sha256(db.read_bytes()).hexdigest()
    man["database"]["bytes"] = db.stat().st_size
    (bk / "backup.json.sig").unlink()
    shutil.rmtree(bk / "files" / "keys")  # no key ring left to check a signature with
    man["files"] = [f for f in man["files"] if not f["path"].startswith("keys/")]
    (bk / "backup.json").write_text(json.dumps(man))
    code, out = run("--lang", "en", "restore", bk, "--home", tmp_path / "new")
    assert code == 1 and "restored audit log" in out and "altered" in out, out
    assert not (tmp_path / "new").exists()


def test_write_during_the_dump_is_not_lost(ws, tmp_path, monkeypatch):
    """A review lands while the database is being dumped: the dump is taken again, and the
    backup's fingerprints describe exactly what it holds (the restore compares them)."""
    import yvy.backup.workspace as bw
    from yvy.alerts.review import review_alert
    from yvy.backup import backup_workspace
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    home, aid = ws
    s = open_store(Workspace(home).database_url)
    a = SQLAlertStore(s)
    calls = []
    real = bw.dump_database

    def dump_while_reviewing(url, dest, progress=None):
        real(url, dest, progress)
        if not calls:  # a reviewer confirms the alert just after the first dump
            review_alert(a, aid, "confirmed", by="Ana", reason="field_visit")
        calls.append(dest)

    monkeypatch.setattr(bw, "dump_database", dump_while_reviewing)
    rep = backup_workspace(home, Workspace(home).database_url, tmp_path / "bk", store=s, alert_store=a)
    s.close()
    assert len(calls) == 2 and rep.audit_entries == len(list(a.iter_audit()))
    code, out = run("restore", tmp_path / "bk", "--home", tmp_path / "new")
    assert code == 0, out
    code, out = run("--home", tmp_path / "new", "alerts", "show", aid, "--json")
    assert json.loads(out)["properties"]["status"] == "confirmed"
