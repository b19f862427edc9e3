"""An update where only some alerts change: the alerts read once and matched on local pieces of
their polygons (yvy.alerts.build._Live) give, alert by alert and field by field, what matching
each candidate against the store with whole-geometry overlays (the path before) gives."""

from __future__ import annotations

import shapely

from yvy.alerts import AlertParams, AlertQuery, _geo, build, update_alerts
from yvy.alerts.audit import verify_chain

from .conftest import Patch, make_layers

RING_DAY, ISLAND_DAY, SIDE_DAY = 19000, 19100, 19200
# a ring with a hole, an alert inside the hole, one touching the ring from outside, two that a
# later candidate bridges, one that never changes
FIRST = [
    Patch(slice(5, 15), slice(5, 35), day=RING_DAY), Patch(slice(25, 35), slice(5, 35), day=RING_DAY),
    Patch(slice(15, 25), slice(5, 15), day=RING_DAY), Patch(slice(15, 25), slice(25, 35), day=RING_DAY),
    Patch(slice(18, 22), slice(18, 22), day=ISLAND_DAY),
    Patch(slice(5, 15), slice(35, 40), day=SIDE_DAY),
    Patch(slice(40, 44), slice(5, 9), day=RING_DAY), Patch(slice(40, 44), slice(12, 16), day=RING_DAY + 10),
    Patch(slice(45, 50), slice(30, 35), day=RING_DAY + 40, confirm=1),
]
# the ring and the side alert as they were; the island grows; the bridge merges two; a new one
SECOND = [
    *FIRST[:4], Patch(slice(17, 23), slice(17, 23), day=ISLAND_DAY), FIRST[5],
    Patch(slice(40, 44), slice(5, 16), day=RING_DAY + 5), FIRST[8],
    Patch(slice(52, 58), slice(40, 50), day=RING_DAY + 300),
]


def _matching_before(store):
    """The matching of the path before: the store queried per candidate, whole-geometry overlays."""

    def matching(self, cand, params):
        out = []
        for a in store.find_alerts(AlertQuery(intersects=cand.geometry)):
            whole = cand.area_ha > 0 and params.match_overlap <= 1
            if whole and shapely.equals_exact(a.geometry, cand.geometry, tolerance=0.0):
                out.append(a)
                continue
            if a.geometry.touches(cand.geometry):
                continue
            if whole and a.geometry.covers(cand.geometry):
                out.append(a)
                continue
            inter = a.geometry.intersection(cand.geometry)
            shared = 0.0 if inter.is_empty else _geo.area_ha(inter)
            if shared > 0 and shared >= params.match_overlap * min(a.area_ha, cand.area_ha):
                out.append(a)
        return out

    return matching


def _state(store) -> tuple:
    alerts = [{**a.__dict__, "geometry": a.geometry.wkb, "created": None, "updated": None}
              for a in store.find_alerts(AlertQuery(include_merged=True))]
    audit = [(e.alert_id, e.action, e.payload) for e in store.iter_audit()]
    return alerts, audit, [r["summary"] for r in store.runs()]


def _run(store, params, monkeypatch=None) -> list[dict]:
    if monkeypatch is not None:
        monkeypatch.setattr(build._Live, "matching", _matching_before(store))
    return [update_alerts(store, make_layers(FIRST), params),
            update_alerts(store, make_layers(SECOND, product_id="det-2", observed_until=19400), params)]


def test_update_of_some_alerts_equals_the_path_before(tmp_path, store_url, monkeypatch):
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    for overlap in (0.01, 0.6):
        params = AlertParams(match_overlap=overlap)
        new = SQLAlertStore(open_store(store_url(tmp_path / f"new{overlap}.db"), create=True))
        ref = SQLAlertStore(open_store(store_url(tmp_path / f"ref{overlap}.db"), create=True))
        summaries = _run(new, params)
        with monkeypatch.context() as m:
            assert _run(ref, params, m) == summaries
        assert _state(new) == _state(ref)
        first, second = summaries
        assert first["created"] == 6
        # ring and side alert: the same polygons, a newer scene; island grown; bridge: one merge
        assert (second["created"], second["updated"], second["merged"]) == (1, 5, 1)
        alerts = {a.first_detected: a for a in new.find_alerts()}
        ring = next(a for a in new.find_alerts() if a.area_ha > 50)
        assert shapely.get_num_interior_rings(ring.geometry) == 1 and ring.observed_until == "2023-02-12"
        assert len(alerts) == len(new.find_alerts()) - 1  # the bridged two share a first day
        assert verify_chain(new.iter_audit()).ok
        for s in (new, ref):
            s.store.close()


def test_alerts_read_once_and_again_after_a_review(astore, monkeypatch):
    """The update reads the stored alerts once; a review committed between two candidates makes
    it read them again, and the alert the review changed keeps it when the update grows it."""
    from yvy.alerts.review import review_alert
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    update_alerts(astore, make_layers(FIRST))
    small = next(a for a in astore.find_alerts() if a.confirm_count == 1)
    server = SQLAlertStore(open_store(astore.store.url))
    calls = []
    find = type(astore).find_alerts
    monkeypatch.setattr(type(astore), "find_alerts", lambda self, q=None: calls.append(q) or find(self, q))

    def review_between(i, n):
        if i == 2:  # the ring and the bridge are done, the small alert not yet
            review_alert(server, small.id, "under_review", by="Ana")

    res = update_alerts(astore, make_layers(SECOND, product_id="det-2", observed_until=19400),
                        progress=review_between)
    monkeypatch.undo()
    assert res["candidates"] == 6 and res["updated"] == 5
    assert len([q for q in calls if q is not None and q.bbox is not None]) == 2
    after = astore.get_alert(small.id)
    assert after.status.value == "under_review" and after.observed_until == "2023-02-12"
    assert verify_chain(astore.iter_audit()).ok
    server.store.close()
