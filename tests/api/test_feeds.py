"""Atom feed and signed webhooks delivered to a receiver on loopback, with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from ..conftest import Receiver
from ._build import bearer, make_app

ATOM = "{http://www.w3.org/2005/Atom}"
AREA = {"type": "Polygon", "coordinates": [[[-57.01, -22.64], [-56.96, -22.64], [-56.96, -22.60],
                                            [-57.01, -22.60], [-57.01, -22.64]]]}
ELSEWHERE = {"type": "Polygon", "coordinates": [[[-60, -20], [-59, -20], [-59, -19], [-60, -19], [-60, -20]]]}


def _raise_confidence(built, alert_id: str) -> None:
    from yvy.alerts.model import Confidence
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    store = SQLAlertStore(open_store(built.workspace.database_url))
    a = store.get_alert(alert_id)
    store.update_alert(a.with_(confidence=Confidence.HIGH, confirm_count=2, updated="2024-07-20T00:00:00Z"))


def test_atom_feed_lists_high_confidence_by_area(client, built):
    r = client.get("/feeds/alerts.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(r.content).findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [f"urn:yvy:alert:{built.alerts[0]}"]
    assert entries[0].find("{http://www.georss.org/georss}box") is not None
    far = ET.fromstring(client.get("/feeds/alerts.atom", params={"bbox": "-60,-20,-59,-19"}).content)
    assert far.findall(f"{ATOM}entry") == []
    both = ET.fromstring(client.get("/feeds/alerts.atom", params={"confidence": "any"}).content)
    assert len(both.findall(f"{ATOM}entry")) == 2


def test_webhook_signed_retried_and_recorded(fresh):
    admin, ana = bearer(fresh, "admin"), bearer(fresh, "ana")
    with Receiver(fail_first=1) as rx, Receiver() as far, \
            TestClient(make_app(fresh, webhook_allow_private=True, webhook_backoff=0.05,
                                public_url="http://127.0.0.1:9")) as c:
        hook = c.post("/api/webhooks", json={"url": rx.url, "area": AREA, "label": "fiscalía"}, headers=ana).json()
        c.post("/api/webhooks", json={"url": far.url, "area": ELSEWHERE}, headers=ana)
        assert c.post("/api/webhooks", json={"url": rx.url}).status_code == 401
        assert c.post("/api/webhooks", json={"url": rx.url}, headers=bearer(fresh, "vic")).status_code == 403
        # alert 0 was already high-confidence when the subscription was made: never sent
        assert c.post("/api/webhooks/dispatch", headers=admin).json()["queued"] == 0
        assert rx.requests == []
        _raise_confidence(fresh, fresh.alerts[1])
        first = c.post("/api/webhooks/dispatch", headers=admin).json()
        assert first["queued"] == 1 and first["retry"] == 1 and len(rx.requests) == 1
        time.sleep(0.15)
        second = c.post("/api/webhooks/dispatch", headers=admin).json()
        assert second == {"queued": 0, "delivered": 1, "retry": 0, "failed": 0}
        assert len(rx.requests) == 2 and far.requests == []
        headers, body = rx.requests[-1]
        expected = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-yvy-signature"] == expected
        payload = json.loads(body)
        assert payload["event"] == "alert.high_confidence" and payload["alert"]["id"] == fresh.alerts[1]
        assert payload["alert"]["properties"]["confidence"] == "high"
        assert rx.requests[0][1] == body  # the retry resent the same signed body
        deliveries = c.get(f"/api/webhooks/{hook['id']}/deliveries", headers=ana).json()["deliveries"]
        sent = next(d for d in deliveries if d["alert_id"] == fresh.alerts[1])
        assert (sent["status"], sent["attempts"], sent["last_code"]) == ("delivered", 2, 204)
        assert {d["alert_id"]: d["status"] for d in deliveries}[fresh.alerts[0]] == "skipped"
        # nothing more to send
        assert c.post("/api/webhooks/dispatch", headers=admin).json()["queued"] == 0


def test_webhook_gives_up_after_max_attempts(fresh):
    with Receiver(fail_first=100) as rx, TestClient(make_app(fresh, webhook_allow_private=True, webhook_backoff=0.01,
                                                             webhook_max_attempts=3)) as c:
        hook = c.post("/api/webhooks", json={"url": rx.url}, headers=bearer(fresh, "ana")).json()
        _raise_confidence(fresh, fresh.alerts[1])
        for _ in range(3):
            c.post("/api/webhooks/dispatch", headers=bearer(fresh, "admin"))
            time.sleep(0.05)
        d = c.get(f"/api/webhooks/{hook['id']}/deliveries", headers=bearer(fresh, "ana")).json()["deliveries"]
        sent = next(x for x in d if x["alert_id"] == fresh.alerts[1])
        assert (sent["status"], sent["attempts"]) == ("failed", 3)
        assert len(rx.requests) == 3


def test_background_notifier_delivers(fresh):
    with Receiver() as rx, TestClient(make_app(fresh, notify_interval=0.1, webhook_allow_private=True)) as c:
        c.post("/api/webhooks", json={"url": rx.url, "area": AREA}, headers=bearer(fresh, "ana"))
        _raise_confidence(fresh, fresh.alerts[1])
        deadline = time.monotonic() + 10
        while not rx.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(rx.requests) == 1


@pytest.mark.parametrize("body", [{"url": "ftp://x/y"}, {"url": "http://127.0.0.1/x", "area": {"type": "Nope"}}])
def test_bad_webhook_is_400(wclient, fresh, body):
    assert wclient.post("/api/webhooks", json=body, headers=bearer(fresh, "ana")).status_code == 400


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:22/",
                                 "http://[::1]/x", "http://10.0.0.5/hook", "http://user:pw@example.org/x",
                                 "http://localhost:8000/hook"])
def test_webhooks_cannot_target_internal_addresses(wclient, fresh, url):
    """SSRF: webhook URLs pointing at the metadata service or internal hosts were accepted."""
    r = wclient.post("/api/webhooks", json={"url": url}, headers=bearer(fresh, "ana"))
    assert r.status_code == 400, url
    assert r.json()["description"].startswith("webhook url:")
