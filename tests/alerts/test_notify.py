"""The notification service (yvy.alerts.notify) against a real HTTP receiver on 127.0.0.1: scans
read only the alerts written since the last scan, deliveries are signed and retried, and one
process sends at a time (the database lease)."""

from __future__ import annotations

import hashlib
import hmac
import json

from click.testing import CliRunner
from shapely.geometry import box, mapping

from yvy.alerts.model import Alert, Confidence
from yvy.alerts.notify import EVENT, Notifier, NotifySettings, baseline, dispatch, scan
from yvy.storage import open_store
from yvy.storage.alerts import SQLAlertStore
from yvy.storage.feeds import SQLFeedStore

from ..conftest import Receiver

AREA = box(0, 0, 10, 1)
FAST = NotifySettings(interval=0.05, timeout=5, backoff=0.01, max_attempts=3, allow_private=True)  # loopback receivers


def _alerts(a: SQLAlertStore, n: int) -> list[str]:
    ids = []
    for k in range(n):
        aid = a.next_alert_id("PY", 2024)
        conf = Confidence.HIGH if k == 0 else Confidence.LOW
        a.insert_alert(Alert(id=aid, geometry=box(k, 0, k + 0.5, 0.5), area_ha=1.0, first_detected="2024-05-01",
                             confidence=conf))
        ids.append(aid)
    return ids


class _Counting:
    """An AlertStore whose iter_alerts counts the alerts it yields (how much a scan reads)."""

    def __init__(self, inner):
        self.inner, self.read = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def iter_alerts(self, query=None):
        for alert in self.inner.iter_alerts(query):
            self.read += 1
            yield alert


def _raise(a: SQLAlertStore, aid: str) -> None:
    a.update_alert(a.get_alert(aid).with_(confidence=Confidence.HIGH, confirm_count=2))


def test_scan_reads_only_changes_and_delivers_signed(astore):
    store, feeds = astore.store, SQLFeedStore(astore.store)
    ids = _alerts(astore, 12)
    with Receiver(fail_first=1) as rx, Receiver() as far:
        hook = feeds.add_webhook(rx.url, area=mapping(AREA))
        feeds.add_webhook(far.url, area=mapping(box(50, 50, 51, 51)))
        assert baseline(astore, feeds, hook) == 1  # ids[0] was high already: never sent
        counting = _Counting(astore)
        assert scan(counting, feeds, store) == 0 and counting.read == 1  # the first scan reads all highs
        for aid in ids[3:6]:
            _raise(astore, aid)
        counting.read = 0
        assert scan(counting, feeds, store) == 3
        assert counting.read == 3  # only the three alerts written since, not all twelve
        counting.read = 0
        assert scan(counting, feeds, store) == 0 and counting.read == 0
        first = dispatch(astore, feeds, store, FAST)
        assert first == {"queued": 0, "delivered": 2, "retry": 1, "failed": 0}
        import time

        time.sleep(0.05)
        assert dispatch(astore, feeds, store, FAST) == {"queued": 0, "delivered": 1, "retry": 0, "failed": 0}
        assert far.requests == [] and len(rx.requests) == 4
        sent = {json.loads(body)["alert"]["id"]: (headers, body) for headers, body in rx.requests}
        assert set(sent) == set(ids[3:6])
        headers, body = sent[ids[4]]
        assert headers["x-yvy-signature"] == "sha256=" + hmac.new(hook.secret.encode(), body,
                                                                  hashlib.sha256).hexdigest()
        assert headers["x-yvy-event"] == EVENT
        # a later change to an alert already notified sends nothing again
        _raise(astore, ids[4])
        assert scan(astore, feeds, store) == 0


def test_one_sender_per_database(astore):
    ids = _alerts(astore, 3)
    url = astore.store.url
    other = open_store(url)  # a second process's connection
    feeds = SQLFeedStore(astore.store)
    with Receiver() as rx:
        baseline(astore, feeds, feeds.add_webhook(rx.url))
        a = Notifier(astore, feeds, astore.store, FAST, holder="server-1")
        b = Notifier(SQLAlertStore(other), SQLFeedStore(other), other, FAST, holder="worker-2")
        assert a.run_once() is not None
        _raise(astore, ids[1])
        assert b.run_once() is None and rx.requests == []  # a holds the lease: b sends nothing
        a.start()
        a.stop()  # a ends and gives the lease up
        assert len(rx.requests) == 1
        _raise(astore, ids[2])
        assert b.run_once() == {"queued": 1, "delivered": 1, "retry": 0, "failed": 0}
        assert a.run_once() is None
        assert len(rx.requests) == 2
    other.close()


def test_notify_run_once_cli(tmp_path, store_url, monkeypatch):
    from yvy.cli.main import cli
    from yvy.config import Workspace

    ws = Workspace.create(tmp_path / "ws")
    url = store_url(ws.home / "yvy.db")
    monkeypatch.setenv("YVY_DATABASE_URL", url)
    monkeypatch.setenv("YVY_WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on loopback
    s = open_store(url, create=True)
    a = SQLAlertStore(s)
    ids = _alerts(a, 2)
    with Receiver() as rx:
        hook = SQLFeedStore(s).add_webhook(rx.url)
        baseline(a, SQLFeedStore(s), hook)
        r = CliRunner().invoke(cli, ["--home", str(ws.home), "notify", "run", "--once", "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["queued"] == 0 and rx.requests == []
        _raise(a, ids[1])
        r = CliRunner().invoke(cli, ["--home", str(ws.home), "notify", "run", "--once", "--json",
                                     "--public-url", "https://alerts.example.org"])
        doc = json.loads(r.output)
        assert (doc["lease"], doc["queued"], doc["delivered"]) == (True, 1, 1)
        body = json.loads(rx.requests[0][1])
        assert body["alert"]["id"] == ids[1] and body["links"]["map"].startswith("https://alerts.example.org/")
        # texts in the workspace's language (es_PY by default)
        assert body["lang"] == "es" and body["title"].startswith(f"{ids[1]}: ") and body["title"].endswith(" ha")
        assert "de pérdida de bosque detectada por primera vez el" in body["summary"]
