"""Review through the API lands in the audit log; chips and time series of an alert."""

from __future__ import annotations

from ._build import bearer


def test_confirm_from_new_is_audited(wclient, fresh):
    from yvy.alerts.audit import verify_chain
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    aid = fresh.alerts[0]
    r = wclient.post(f"/api/alerts/{aid}/review", headers=bearer(fresh, "ana"),
                     json={"status": "confirmed", "reason": "deforestation", "note": "clear cut"})
    assert r.status_code == 200, r.text
    assert r.json()["feature"]["properties"]["status"] == "confirmed"
    assert [(x["from"], x["to"], x["by"]) for x in r.json()["reviews"]] == [
        ("new", "under_review", "ana"), ("under_review", "confirmed", "ana")]
    store = SQLAlertStore(open_store(fresh.workspace.database_url))
    entries = [e for e in store.iter_audit(aid) if e.action == "status"]
    assert [(e.actor, e.payload["to"]) for e in entries] == [("ana", "under_review"), ("ana", "confirmed")]
    assert verify_chain(store.iter_audit()).ok
    audit = wclient.get(f"/api/alerts/{aid}/audit", headers=bearer(fresh, "ana")).json()["entries"]
    assert audit[-1]["payload"]["reason"] == "deforestation"


def test_illegal_transition_and_bad_reason(wclient, fresh):
    aid, h = fresh.alerts[1], bearer(fresh, "ana")
    r = wclient.post(f"/api/alerts/{aid}/review", headers=h, json={"status": "dismissed", "reason": "aliens"})
    assert r.status_code == 400
    assert wclient.get(f"/api/alerts/{aid}").json()["feature"]["properties"]["status"] == "new"
    r = wclient.post(f"/api/alerts/{aid}/review", headers=h, json={"status": "referred"})
    assert r.status_code == 409
    assert wclient.post("/api/alerts/PY-1999-000001/review", headers=h, json={"status": "confirmed"}).status_code == 404


def test_chips_and_timeseries(client, built):
    aid = built.alerts[0]
    chips = client.get(f"/api/alerts/{aid}/chips").json()
    assert chips["before"]["date"] == "2024-03-10" and chips["after"]["date"] == "2024-05-09"
    for which in ("before", "after"):
        r = client.get(f"/api/alerts/{aid}/chips/{which}.png")
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    ts = client.get(f"/api/alerts/{aid}/timeseries").json()["series"]
    assert [s["date"] for s in ts] == ["2024-01-10", "2024-03-10", "2024-05-09", "2024-07-08"]
    assert ts[0]["ndvi"] > 0.7 and ts[-1]["ndvi"] < 0.4  # forest, then bare soil
    r = client.get(f"/api/alerts/{aid}/timeseries.png")
    assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
