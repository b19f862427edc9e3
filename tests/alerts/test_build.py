import re

import pytest

from yvy.alerts import AlertParams, AlertQuery, Confidence, update_alerts
from yvy.alerts.audit import verify_chain

from .conftest import Patch, make_layers

A = Patch(slice(10, 20), slice(10, 20), day=19000, confirm=1)
B = Patch(slice(40, 50), slice(10, 20), day=19050, confirm=3)


def test_new_alerts_ids_dates_confidence(astore):
    res = update_alerts(astore, make_layers([A, B]))
    assert (res["created"], res["updated"], res["candidates"]) == (2, 0, 2)
    alerts = astore.find_alerts()
    assert [a.id for a in alerts] == ["PY-2022-000001", "PY-2022-000002"]
    assert all(re.fullmatch(r"PY-\d{4}-\d{6}", a.id) for a in alerts)
    a, b = alerts
    assert a.first_detected == "2022-01-08" and a.last_clear == "2021-12-23"
    assert a.confidence is Confidence.LOW and b.confidence is Confidence.HIGH
    assert a.observed_until == "2022-11-04" and a.products == ("det-1",)


def test_rerun_is_idempotent(astore):
    update_alerts(astore, make_layers([A, B]))
    before = [(a.id, a.geometry.wkb, a.area_ha, a.updated) for a in astore.find_alerts()]
    n_audit = len(list(astore.iter_audit()))
    res = update_alerts(astore, make_layers([A, B]))
    assert (res["created"], res["updated"], res["unchanged"]) == (0, 0, 2)
    assert [(a.id, a.geometry.wkb, a.area_ha, a.updated) for a in astore.find_alerts()] == before
    assert len(list(astore.iter_audit())) == n_audit


def test_new_scenes_grow_and_confirm_without_duplicates(astore):
    update_alerts(astore, make_layers([A]))
    (a0,) = astore.find_alerts()
    grown = Patch(slice(10, 20), slice(10, 26), day=19000, confirm=2)  # more pixels, more confirmations
    res = update_alerts(astore, make_layers([grown], product_id="det-2", observed_until=19400))
    assert (res["created"], res["updated"]) == (0, 1)
    (a1,) = astore.find_alerts()
    assert a1.id == a0.id
    assert a1.area_ha == pytest.approx(a0.area_ha * 1.6, rel=1e-3)
    assert a1.confidence is Confidence.HIGH and a1.confirm_count == 2
    assert a1.products == ("det-1", "det-2") and a1.observed_until == "2023-02-12"
    upd = [e for e in astore.iter_audit(a0.id) if e.action == "updated"]
    assert upd and "area_ha" in upd[0].payload["changes"] and "confidence" in upd[0].payload["changes"]


def test_earlier_detection_moves_first_date_back(astore):
    update_alerts(astore, make_layers([A]))
    earlier = Patch(slice(10, 20), slice(10, 20), day=18990, confirm=1)
    update_alerts(astore, make_layers([earlier]))
    (a,) = astore.find_alerts()
    assert a.first_detected == "2021-12-29"


def test_polygon_over_two_alerts_merges_them(astore):
    left = Patch(slice(10, 20), slice(10, 20), day=19000)
    right = Patch(slice(10, 20), slice(25, 35), day=19010)
    update_alerts(astore, make_layers([left, right]))
    ids = [a.id for a in astore.find_alerts()]
    bridge = Patch(slice(10, 20), slice(10, 35), day=19005)
    res = update_alerts(astore, make_layers([bridge], product_id="det-2"))
    assert res["merged"] == 1 and res["created"] == 0
    (survivor,) = astore.find_alerts()
    assert survivor.id == ids[0] and survivor.merged_from == (ids[1],)
    absorbed = astore.get_alert(ids[1])
    assert absorbed.merged_into == ids[0]
    assert astore.merges(ids[1]) == [{"survivor": ids[0], "absorbed": ids[1],
                                      "at": absorbed.updated, "product_id": "det-2"}]
    assert len(astore.find_alerts(AlertQuery(include_merged=True))) == 2
    assert verify_chain(astore.iter_audit()).ok


def test_separate_clearing_next_to_old_one_is_a_new_alert(astore):
    update_alerts(astore, make_layers([A]))
    later = Patch(slice(10, 20), slice(20, 30), day=19000 + 300)
    res = update_alerts(astore, make_layers([A, later]))
    assert (res["created"], res["unchanged"]) == (1, 1)
    assert [a.first_detected[:4] for a in astore.find_alerts()] == ["2022", "2022"]


def test_ids_follow_year_and_prefix(astore):
    p = Patch(slice(10, 20), slice(10, 20), day=19800)  # 2024-03-18
    update_alerts(astore, make_layers([p]), AlertParams(id_prefix="PRY"))
    assert astore.find_alerts()[0].id == "PRY-2024-000001"


def test_rejects_plain_store(tmp_path, store_url):
    from yvy.storage import open_store

    with pytest.raises(TypeError, match="SQLAlertStore"):
        update_alerts(open_store(store_url(tmp_path / "x.db"), create=True), make_layers([A]))
