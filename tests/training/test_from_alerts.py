"""An exercise from past alerts: confirmed alerts become real clearings, dismissed ones traps of the
kind their dismissal reason names; alerts dismissed for other reasons are left out."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from yvy.errors import InputError

REASON = {"seasonal": "seasonality", "cloud_shadow": "cloud_shadow", "permit": "other"}


def _alerts_from_cases(store, cases) -> dict[str, str]:
    """One reviewed alert per demo case (the case's polygon and date); alert id -> expected kind."""
    from yvy.alerts.model import Alert, AlertStatus, Confidence
    from yvy.alerts.review import review_alert
    from yvy.storage.alerts import SQLAlertStore

    alerts = SQLAlertStore(store)
    now = "2024-01-01T00:00:00Z"
    expected = {}
    with alerts.transaction():
        for c in cases:
            aid = alerts.next_alert_id("PY", 2023)
            alerts.insert_alert(Alert(id=aid, geometry=shape(c.geometry), area_ha=c.area_ha,
                                      first_detected=c.truth_date, confidence=Confidence.HIGH,
                                      status=AlertStatus.NEW, pixel_count=10, created=now, updated=now))
            expected[aid] = c.kind if c.kind != "permit" else None
    for aid, kind in expected.items():
        if kind == "clearing":
            review_alert(alerts, aid, "confirmed", by="ines", note="clear cut in the after scene")
        else:  # a permit case is dismissed as "other": left out
            review_alert(alerts, aid, "dismissed", by="ines", reason=REASON[kind or "permit"])
    return expected


def test_exercise_from_reviewed_alerts(stores, fresh_demo):
    from yvy.storage.alerts import SQLAlertStore
    from yvy.training.service import create_alert_exercise

    store, trainings = stores
    demo_cases = trainings.get_exercise(fresh_demo.exercise_id).cases
    expected = _alerts_from_cases(store, demo_cases)
    ex = create_alert_exercise(store, SQLAlertStore(store), trainings, fresh_demo.workspace.assets / "training",
                               title="past alerts", created_by="ines", n_cases=30, seed=1)
    usable = [k for k in expected.values() if k]
    assert ex.source == "alerts" and ex.params["left_out"] == len(expected) - len(usable)
    assert sorted(c.kind for c in ex.cases) == sorted(usable)
    by_alert = {c.source.split()[-1]: c for c in ex.cases}
    for aid, kind in expected.items():
        if kind is None:
            assert aid not in by_alert
            continue
        c = by_alert[aid]
        assert c.kind == kind
        assert (c.truth_geometry is not None) == (kind == "clearing")
        assert c.before["date"] < c.after["date"]
        assert (fresh_demo.workspace.assets / "training" / ex.id / c.after["chip"]).is_file()
    clearing = next(c for c in ex.cases if c.kind == "clearing")
    ndvi = dict(zip(clearing.series["dates"], clearing.series["ndvi"], strict=True))
    assert ndvi[clearing.after["date"]] < ndvi[clearing.before["date"]]


def test_too_few_decided_alerts(stores, fresh_demo):
    from yvy.storage.alerts import SQLAlertStore
    from yvy.training.service import create_alert_exercise

    store, trainings = stores
    with pytest.raises(InputError, match="^alerts: 0 confirmed or dismissed"):
        create_alert_exercise(store, SQLAlertStore(store), trainings, fresh_demo.workspace.assets / "training",
                              title="x", created_by="ines")
