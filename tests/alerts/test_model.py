import json

import shapely

from yvy.alerts import Alert, AlertStatus, Confidence, from_feature, to_feature


def test_feature_round_trip():
    g = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], [[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]])
    a = Alert(id="PY-2024-000001", geometry=g, area_ha=1.5, first_detected="2024-02-01",
              last_clear="2024-01-20", confirm_count=2, confidence=Confidence.HIGH,
              status=AlertStatus.CONFIRMED, magnitude=-0.2, products=("p",), context={"admin": []},
              legal={"flag": "not_flagged"}, review={"by": "x"}, merged_from=("PY-2024-000002",))
    f = json.loads(json.dumps(to_feature(a)))
    assert f["id"] == a.id and f["properties"]["status"] == "confirmed"
    b = from_feature(f)
    assert b == a.with_(geometry=b.geometry) and b.geometry.equals(g)


def test_status_parse_lists_valid_values():
    import pytest

    from yvy.errors import InputError

    with pytest.raises(InputError, match="under_review"):
        AlertStatus.parse("approved")
