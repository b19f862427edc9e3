import pytest

from yvy.alerts import AlertStatus, review_alert, update_alerts
from yvy.alerts.audit import GENESIS, verify_chain
from yvy.errors import ConflictError, InputError, NotFoundError

from ..conftest import drop_trigger_sql, raw_sql
from .conftest import Patch, make_layers


@pytest.fixture
def one(astore):
    update_alerts(astore, make_layers([Patch(slice(10, 20), slice(10, 20))]))
    return astore, astore.find_alerts()[0].id


def _snapshot(s, alert_id):
    a = s.get_alert(alert_id)
    return a.status, a.review, len(list(s.iter_audit())), s.reviews(alert_id)


def test_full_workflow_records_who_when_why(one):
    s, aid = one
    review_alert(s, aid, "under_review", by="Ana")
    review_alert(s, aid, "confirmed", by="Ana", reason="visual_inspection", note="S2 2022-02-03")
    a = review_alert(s, aid, "referred", by="Luis", authority="Ministerio Público", case="UE-123/2022")
    assert a.status is AlertStatus.REFERRED
    assert a.review["authority"] == "Ministerio Público" and a.review["case"] == "UE-123/2022"
    hist = s.reviews(aid)
    assert [(h["from"], h["to"], h["by"]) for h in hist] == [
        ("new", "under_review", "Ana"), ("under_review", "confirmed", "Ana"), ("confirmed", "referred", "Luis")]
    assert all(h["at"] for h in hist)
    entries = list(s.iter_audit(aid))
    assert [e.action for e in entries] == ["created", "status", "status", "status"]
    assert verify_chain(s.iter_audit()).ok


@pytest.mark.parametrize("target, kw", [("confirmed", {"note": "bare soil"}), ("dismissed", {"reason": "fire"})])
def test_a_new_alert_is_opened_for_review_first(one, target, kw):
    """One rule for the CLI and the API: new -> under_review -> target, both audited."""
    s, aid = one
    a = review_alert(s, aid, target, by="Ana", **kw)
    assert a.status.value == target
    assert [(h["from"], h["to"]) for h in s.reviews(aid)] == [("new", "under_review"), ("under_review", target)]
    assert [e.payload.get("to") for e in s.iter_audit(aid)][1:] == ["under_review", target]


@pytest.mark.parametrize("steps, bad, err", [
    ([], ("confirmed", {}), InputError),  # opened for review, then no why: neither step stays
    ([], ("referred", {"authority": "a", "case": "1"}), ConflictError),
    (["under_review"], ("dismissed", {"reason": "bulldozer"}), InputError),
    (["under_review"], ("dismissed", {}), InputError),
    (["under_review"], ("confirmed", {}), InputError),  # no why
    (["under_review", "confirmed"], ("referred", {"authority": "Fiscalía"}), InputError),
    (["under_review"], ("new", {}), ConflictError),  # no way back
])
def test_bad_requests_change_nothing(one, steps, bad, err):
    s, aid = one
    for st in steps:
        review_alert(s, aid, st, by="Ana", reason="visual_inspection" if st == "confirmed" else None)
    before = _snapshot(s, aid)
    status, kw = bad
    with pytest.raises(err):
        review_alert(s, aid, status, by="Ana", **kw)
    assert _snapshot(s, aid) == before


def test_dismissed_is_final_and_unknown_id(one):
    s, aid = one
    review_alert(s, aid, "under_review", by="Ana")
    review_alert(s, aid, "dismissed", by="Ana", reason="agriculture")
    with pytest.raises(ConflictError, match="final state"):
        review_alert(s, aid, "under_review", by="Ana")
    with pytest.raises(NotFoundError):
        review_alert(s, "PY-1999-000001", "under_review", by="Ana")
    with pytest.raises(InputError):
        review_alert(s, aid, "under_review", by="  ")


def test_audit_is_append_only_and_tampering_is_detected(one):
    s, aid = one
    review_alert(s, aid, "under_review", by="Ana")
    review_alert(s, aid, "dismissed", by="Ana", reason="agriculture")
    res = verify_chain(s.iter_audit())
    assert res.ok and res.entries == 3 and res.head != GENESIS
    with pytest.raises(s.store.Error, match="append-only"):
        raw_sql(s.store, "UPDATE audit_log SET actor='Mallory' WHERE seq=3")
    with pytest.raises(s.store.Error, match="append-only"):
        raw_sql(s.store, "DELETE FROM audit_log WHERE seq=2")
    # a determined editor drops the trigger and rewrites the reason
    raw_sql(s.store, drop_trigger_sql(s.store, "audit_log_no_update", "audit_log"))
    raw_sql(s.store, "UPDATE audit_log SET payload=replace(payload, 'agriculture', 'fire') WHERE seq=3")
    res = verify_chain(s.iter_audit())
    assert not res.ok and res.first_bad_seq == 3 and "altered" in res.problem


def test_audit_detects_deleted_entry(one):
    s, aid = one
    review_alert(s, aid, "under_review", by="Ana")
    review_alert(s, aid, "confirmed", by="Ana", reason="field_visit")
    raw_sql(s.store, drop_trigger_sql(s.store, "audit_log_no_delete", "audit_log"))
    raw_sql(s.store, "DELETE FROM audit_log WHERE seq=2")
    res = verify_chain(s.iter_audit())
    assert not res.ok and res.first_bad_seq == 3


def test_a_decision_on_a_new_alert_opens_it_first_or_changes_nothing(one):
    from yvy.alerts.review import review_alert

    s, aid = one
    before = _snapshot(s, aid)
    with pytest.raises(InputError):
        review_alert(s, aid, "dismissed", by="Ana", reason="aliens")
    assert _snapshot(s, aid) == before  # the under_review step was rolled back with it
    a = review_alert(s, aid, "dismissed", by="Ana", reason="agriculture")
    assert a.status is AlertStatus.DISMISSED
    assert [(r["from"], r["to"]) for r in s.reviews(aid)] == [("new", "under_review"), ("under_review", "dismissed")]
    assert verify_chain(s.iter_audit()).ok


def test_a_review_is_not_blocked_by_a_running_update(astore):
    """`alerts update` commits candidate by candidate: a review from another connection (a
    server) commits while the update is still running, and nothing is lost."""
    import threading

    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    server = SQLAlertStore(open_store(astore.store.url))
    layers = make_layers([Patch(slice(5 + 12 * k, 12 + 12 * k), slice(10, 20)) for k in range(4)])
    done = []

    def review_during(i, n):
        if i != 2:
            return
        first = astore.find_alerts()[0].id
        t = threading.Thread(target=lambda: done.append(review_alert(server, first, "under_review", by="Ana")))
        t.start()
        t.join(20)  # the update is paused in its callback: a blocked review would time out here
        assert done, "the review waited for the update"

    summary = update_alerts(astore, layers, progress=review_during)
    assert summary["created"] == 4 and done[0].status is AlertStatus.UNDER_REVIEW
    assert {a.status.value for a in astore.find_alerts()} == {"new", "under_review"}
    entries = list(astore.iter_audit())
    assert len(entries) == 5 and verify_chain(entries).ok
    server.store.close()
