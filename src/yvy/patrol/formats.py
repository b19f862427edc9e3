"""Flight files: QGroundControl ``.plan`` (JSON), KML, GPX and the routes GeoJSON.

The ``.plan`` follows QGroundControl's documented Plan file format (version 1): a mission of
``SimpleItem`` entries (MAV_CMD_NAV_TAKEOFF 22, MAV_CMD_NAV_WAYPOINT 16 and
MAV_CMD_NAV_RETURN_TO_LAUNCH 20, relative-altitude frame 3), the planned home position, a geofence
(one inclusion polygon around the flight, exclusion polygons for the no-fly zones it skirts) and
no rally points. :func:`check_plan` validates that structure. Pure: standard library, shapely.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import escape

from ..errors import E_, InputError

__all__ = ["qgc_plan", "check_plan", "kml", "gpx", "CMD_TAKEOFF", "CMD_WAYPOINT", "CMD_RTL"]

CMD_WAYPOINT, CMD_RTL, CMD_TAKEOFF = 16, 20, 22
FRAME_MISSION, FRAME_RELATIVE_ALT = 2, 3
FIRMWARE_PX4, VEHICLE_MULTIROTOR = 12, 2


def _item(seq: int, command: int, frame: int, params: list, altitude: float | None = None) -> dict:
    item = {"autoContinue": True, "command": command, "doJumpId": seq, "frame": frame, "params": params,
            "type": "SimpleItem"}
    if altitude is not None:
        item.update({"AMSLAltAboveTerrain": None, "Altitude": altitude, "AltitudeMode": 1})
    return item


def _ring(poly) -> list[list[float]]:
    """[[lat, lon], ...] of a polygon's exterior, open (QGC closes it)."""
    return [[round(y, 7), round(x, 7)] for x, y in list(poly.exterior.coords)[:-1]]


def qgc_plan(home: tuple[float, float], waypoints: Sequence[tuple[float, float]], *, altitude_m: float,
             cruise_speed: float, hover_s: float, fence=None, exclusions: Sequence = ()) -> dict:
    """A QGroundControl plan: take off at ``home`` (lon, lat), fly ``waypoints``, return to launch.

    ``fence`` is a WGS84 polygon the drone must stay in; ``exclusions`` WGS84 polygons it must avoid.
    """
    lon0, lat0 = home
    items = [_item(1, CMD_TAKEOFF, FRAME_RELATIVE_ALT, [0, 0, 0, None, lat0, lon0, altitude_m], altitude_m)]
    for lon, lat in waypoints:
        items.append(_item(len(items) + 1, CMD_WAYPOINT, FRAME_RELATIVE_ALT,
                           [hover_s, 0, 0, None, round(lat, 7), round(lon, 7), altitude_m], altitude_m))
    items.append(_item(len(items) + 1, CMD_RTL, FRAME_MISSION, [0, 0, 0, 0, 0, 0, 0]))
    polygons = []
    if fence is not None:
        polygons.append({"inclusion": True, "polygon": _ring(fence), "version": 1})
    for ex in exclusions:
        for part in getattr(ex, "geoms", [ex]):
            polygons.append({"inclusion": False, "polygon": _ring(part), "version": 1})
    return {
        "fileType": "Plan", "version": 1, "groundStation": "QGroundControl",
        "geoFence": {"circles": [], "polygons": polygons, "version": 2},
        "rallyPoints": {"points": [], "version": 2},
        "mission": {"cruiseSpeed": cruise_speed, "firmwareType": FIRMWARE_PX4, "globalPlanAltitudeMode": 1,
                    "hoverSpeed": 5, "items": items, "plannedHomePosition": [lat0, lon0, 0],
                    "vehicleType": VEHICLE_MULTIROTOR, "version": 2},
    }


def check_plan(plan: dict) -> None:
    """Raise InputError unless ``plan`` has the structure of a QGroundControl Plan file."""
    def need(cond: bool, what: str) -> None:
        if not cond:
            raise InputError("plan", what)  # i18n: relayed (E_ texts below)

    need(plan.get("fileType") == "Plan" and plan.get("version") == 1, E_("fileType must be 'Plan', version 1"))
    m = plan.get("mission")
    need(isinstance(m, dict) and m.get("version") == 2, E_("mission object (version 2) missing"))
    need(isinstance(m.get("items"), list) and len(m["items"]) >= 1, E_("a plan needs at least one mission item"))
    need(isinstance(m.get("plannedHomePosition"), list) and len(m["plannedHomePosition"]) == 3,
         E_("plannedHomePosition must be [lat, lon, alt]"))
    for k in ("cruiseSpeed", "hoverSpeed", "firmwareType", "vehicleType"):
        need(k in m, E_(f"mission.{k} missing"))
    for n, it in enumerate(m["items"], 1):
        need(it.get("type") == "SimpleItem", E_(f"item {n}: type must be SimpleItem"))
        need(isinstance(it.get("params"), list) and len(it["params"]) == 7, E_(f"item {n}: params must have 7 values"))
        need(it.get("doJumpId") == n, E_(f"item {n}: doJumpId must count from 1"))
        for k in ("command", "frame", "autoContinue"):
            need(k in it, E_(f"item {n}: {k} missing"))
        if it["command"] in (CMD_TAKEOFF, CMD_WAYPOINT):
            lat, lon = it["params"][4], it["params"][5]
            need(-90 <= lat <= 90 and -180 <= lon <= 180, E_(f"item {n}: latitude/longitude out of range"))
    gf = plan.get("geoFence", {"circles": [], "polygons": [], "version": 2})
    need(gf.get("version") == 2 and isinstance(gf.get("polygons"), list), E_("geoFence must be version 2"))
    for p in gf["polygons"]:
        need(isinstance(p.get("inclusion"), bool) and len(p.get("polygon", [])) >= 3,
             E_("geofence polygons need 'inclusion' and at least 3 [lat, lon] vertices"))
    rp = plan.get("rallyPoints", {"points": [], "version": 2})
    need(rp.get("version") == 2, E_("rallyPoints must be version 2"))
    json.dumps(plan, allow_nan=False)


def kml(name: str, home: tuple[float, float], waypoints: Sequence[tuple[float, float]], altitude_m: float,
        labels: Sequence[str]) -> str:
    """A KML document: the route as a LineString (relative altitude) and one placemark per waypoint."""
    path = [home, *waypoints, home]
    coords = " ".join(f"{lon:.7f},{lat:.7f},{altitude_m:g}" for lon, lat in path)
    marks = "".join(
        f"<Placemark><name>{escape(lab)}</name><Point><coordinates>{lon:.7f},{lat:.7f}</coordinates></Point>"
        f"</Placemark>" for (lon, lat), lab in zip(waypoints, labels, strict=True))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>{escape(name)}</name><Placemark><name>{escape(name)} route</name><LineString>"
            f"<altitudeMode>relativeToGround</altitudeMode><coordinates>{coords}</coordinates></LineString>"
            f"</Placemark>{marks}</Document></kml>\n")


def gpx(name: str, home: tuple[float, float], waypoints: Sequence[tuple[float, float]],
        labels: Sequence[str]) -> str:
    """A GPX 1.1 file: waypoints and a route base -> targets -> base."""
    wpts = "".join(f'<wpt lat="{lat:.7f}" lon="{lon:.7f}"><name>{escape(lab)}</name></wpt>'
                   for (lon, lat), lab in zip(waypoints, labels, strict=True))
    pts = [(home, "base"), *zip(waypoints, labels, strict=True), (home, "base")]
    rte = "".join(f'<rtept lat="{lat:.7f}" lon="{lon:.7f}"><name>{escape(lab)}</name></rtept>'
                  for (lon, lat), lab in pts)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="yvy" '
            'xmlns="http://www.topografix.com/GPX/1/1">'
            f"{wpts}<rte><name>{escape(name)}</name>{rte}</rte></gpx>\n")
