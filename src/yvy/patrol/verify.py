"""Drone verification: which alerts and patrol targets a drone orthomosaic covers, and confirming an
alert "verified by drone".

Drone orthomosaics are the catalog items of collection ``drone`` (``yvy ingest --drone``); an alert
is covered when at least :data:`MIN_COVER` of its area lies inside the item's footprint, a target
when its point does. :func:`verify_by_drone` moves an alert to ``confirmed`` (through
``under_review`` if it is new) with the reason ``verified by drone`` and the drone item named in
the note, refusing an item that does not cover the alert. Imports shapely; stores are passed in
(``CatalogStore`` and ``AlertStore`` ports); never the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError

__all__ = ["DRONE", "MIN_COVER", "REASON", "coverage", "covering_drone_items", "drone_imagery_for", "drone_items",
           "verify_by_drone"]

DRONE = "drone"
MIN_COVER = 0.9
REASON = "verified by drone"


def drone_items(catalog, bbox: tuple[float, float, float, float] | None = None) -> list[dict]:
    """Drone orthomosaic items of the catalog (optionally those touching a WGS84 box)."""
    from ..catalog.ports import ItemQuery

    return catalog.search_items(ItemQuery(collections=[DRONE], bbox=bbox))


def _covers(footprint, geom) -> bool:
    if geom.geom_type == "Point":
        return footprint.covers(geom)
    return geom.area > 0 and footprint.intersection(geom).area / geom.area >= MIN_COVER


def coverage(items: Sequence[dict], alerts: Sequence, targets: Sequence[dict] = ()) -> list[dict]:
    """For each drone item: the alerts (ids) and targets (GeoJSON point features, by ``id``) it covers."""
    import shapely

    out = []
    for it in items:
        fp = shapely.geometry.shape(it["geometry"])
        shapely.prepare(fp)
        out.append({
            "item": f"{it['collection']}/{it['id']}", "datetime": it["properties"].get("datetime"),
            "alerts": [a.id for a in alerts if _covers(fp, a.geometry)],
            "targets": [t.get("properties", {}).get("id") for t in targets
                        if _covers(fp, shapely.geometry.shape(t["geometry"]))],
        })
    return out


def covering_drone_items(catalog, alert) -> list[dict]:
    """The drone orthomosaic items covering ``alert``, newest first."""
    import shapely

    found = [it for it in drone_items(catalog, tuple(alert.geometry.bounds))
             if _covers(shapely.geometry.shape(it["geometry"]), alert.geometry)]
    return sorted(found, key=lambda it: it["properties"].get("datetime") or "", reverse=True)


def drone_imagery_for(catalog, alert) -> list[dict]:
    """Drone orthomosaics covering ``alert``: ``{item, datetime, href}``, newest first."""
    return [{"item": f"{it['collection']}/{it['id']}", "datetime": it["properties"].get("datetime"),
             "href": next(iter(it.get("assets", {}).values()), {}).get("href")}
            for it in covering_drone_items(catalog, alert)]


def verify_by_drone(alert_store, catalog, alert_id: str, item_id: str, *, by: str, note: str | None = None):
    """Confirm ``alert_id`` as verified by the drone item ``item_id``; return the updated alert."""
    from ..alerts.model import AlertStatus
    from ..alerts.review import review_alert

    item = catalog.get_item(DRONE, item_id)
    alert = alert_store.get_alert(alert_id)
    import shapely

    if not _covers(shapely.geometry.shape(item["geometry"]), alert.geometry):
        raise InputError(item_id, f"the drone orthomosaic covers less than {MIN_COVER:.0%} of alert {alert_id}")
    text = f"drone orthomosaic {DRONE}/{item_id} ({item['properties'].get('datetime')})"
    text = f"{text}; {note}" if note else text
    if alert.status is AlertStatus.NEW:
        review_alert(alert_store, alert_id, AlertStatus.UNDER_REVIEW, by=by, note=text)
    return review_alert(alert_store, alert_id, AlertStatus.CONFIRMED, by=by, reason=REASON, note=text)
