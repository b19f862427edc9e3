"""Signed checkpoints of the audit-log head: a rewritten, edited or truncated log is caught."""

import json

import pytest
from click.testing import CliRunner

from yvy.alerts import update_alerts
from yvy.alerts.audit import verify_chain
from yvy.alerts.review import review_alert
from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.security.checkpoint import read_checkpoints, verify_checkpoints, write_checkpoint
from yvy.security.keys import init_keys, load_keyring, load_signing_key
from yvy.security.signing import TamperedError

from ..alerts.conftest import Patch, make_layers
from ..conftest import drop_trigger_sql, raw_sql


@pytest.fixture
def ws(tmp_path, store_url):
    """A workspace with keys and two alerts, one reviewed; (home, alert store)."""
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    home = Workspace.create(tmp_path / "ws").home
    s = open_store(store_url(home / "yvy.db"), create=True)
    a = SQLAlertStore(s)
    update_alerts(a, make_layers([Patch(slice(10, 20), slice(10, 20)), Patch(slice(40, 46), slice(40, 50))]))
    review_alert(a, "PY-2022-000001", "under_review", by="Ana")
    init_keys(home)
    yield home, a
    s.close()


def _check(home, a) -> int:
    return verify_checkpoints(a.iter_audit(), read_checkpoints(home, load_keyring(home)))


def test_log_extends_its_checkpoints(ws):
    home, a = ws
    cp = write_checkpoint(home, a.iter_audit(), load_signing_key(home))
    assert cp.seq == 3 and cp.head == verify_chain(a.iter_audit()).head
    review_alert(a, "PY-2022-000001", "confirmed", by="Ana", reason="field_visit")
    write_checkpoint(home, a.iter_audit(), load_signing_key(home))
    review_alert(a, "PY-2022-000002", "under_review", by="Luis")
    assert _check(home, a) == 2


def test_rewritten_chain_is_caught(ws):
    """The whole chain rebuilt with valid hashes passes verify_chain, but not the checkpoint."""
    home, a = ws
    write_checkpoint(home, a.iter_audit(), load_signing_key(home))
    entries = list(a.iter_audit())
    raw_sql(a.store, drop_trigger_sql(a.store, "audit_log_no_delete", "audit_log"))
    raw_sql(a.store, "DELETE FROM audit_log")
    for e in entries:
        payload = {**e.payload, "note": "rewritten"} if e.seq == 3 else e.payload
        a.append_audit(at=e.at, actor="Mallory" if e.seq == 3 else e.actor, alert_id=e.alert_id,
                             action=e.action, payload=payload)
    assert verify_chain(a.iter_audit()).ok  # the chain alone cannot tell
    with pytest.raises(TamperedError, match="entry 3 no longer has the hash"):
        _check(home, a)


def test_edited_row_and_truncation_are_caught(ws):
    home, a = ws
    write_checkpoint(home, a.iter_audit(), load_signing_key(home))
    raw_sql(a.store, drop_trigger_sql(a.store, "audit_log_no_update", "audit_log"))
    raw_sql(a.store, "UPDATE audit_log SET actor='Mallory' WHERE seq=2")
    with pytest.raises(TamperedError, match="chain is broken before entry 3"):
        _check(home, a)
    raw_sql(a.store, "UPDATE audit_log SET actor='system' WHERE seq=2")
    assert _check(home, a) == 1
    raw_sql(a.store, drop_trigger_sql(a.store, "audit_log_no_delete", "audit_log"))
    raw_sql(a.store, "DELETE FROM audit_log WHERE seq=3")
    with pytest.raises(TamperedError, match="fewer than the 3"):
        _check(home, a)


def test_forged_checkpoint_file_is_caught(ws):
    home, a = ws
    cp = write_checkpoint(home, a.iter_audit(), load_signing_key(home))
    doc = json.loads(open(cp.path).read())
    doc["seq"] = 2
    open(cp.path, "w").write(json.dumps(doc))
    with pytest.raises(TamperedError, match="altered"):
        read_checkpoints(home, load_keyring(home))


def test_cli_checkpoint_and_verify(ws):
    home, a = ws
    run = lambda *args: CliRunner().invoke(cli, ["--home", str(home), "alerts", "audit", *args])  # noqa: E731
    r = run("--checkpoint")
    assert r.exit_code == 0 and "punto de control firmado: 3 entradas" in r.output, r.output
    r = run("--verify")
    assert r.exit_code == 0 and "extiende 1 punto(s) de control firmado(s)" in " ".join(r.output.split()), r.output
    entries = list(a.iter_audit())
    raw_sql(a.store, drop_trigger_sql(a.store, "audit_log_no_delete", "audit_log"))
    raw_sql(a.store, "DELETE FROM audit_log")
    for e in entries:
        a.append_audit(at=e.at, actor=e.actor, alert_id=e.alert_id, action=e.action,
                             payload={**e.payload, "x": 1} if e.seq == 2 else e.payload)
    r = run("--verify", "--json")
    assert r.exit_code == 1 and "no longer has the hash" in r.output
