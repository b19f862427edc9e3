"""Alert review and evidence for the web map, under ``/api/alerts``.

Reviews go through :func:`yvy.alerts.review.review_alert`, so each one is a transaction with its
entry in the hash-chained audit log; the reviewer is the signed-in user. The workflow's rules
(a ``new`` alert confirmed or dismissed is opened for review first) are the domain's, as in the CLI.
Chips are rendered from the scene COGs before and after the first detection; the time series
is the mean NDVI of the alert's clear pixels in each scene.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..catalog.ports import ItemQuery
from ..cube.mask import clear_mask, quality_band
from ..errors import NotFoundError
from ._render import EMPTY_PNG, layers_for_item, read_values, render_bbox
from .auth import SECURITY, Analyst, read_access
from .features import alert_feature

__all__ = ["router"]

router = APIRouter(prefix="/api/alerts", tags=["Alerts"])


class Review(BaseModel):
    status: Literal["under_review", "confirmed", "dismissed", "referred"]
    reason: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=4000)
    authority: str | None = Field(None, max_length=200)
    case: str | None = Field(None, max_length=200)


def _alerts(request: Request):
    return request.app.state.yvy.require_alerts()


@router.get("/{alert_id}", summary="An alert with its review history", dependencies=[Depends(read_access)])
def get_alert(alert_id: str, request: Request) -> dict:
    """The alert feature, its reviews and the transitions open to it."""
    from ..alerts.model import DISMISS_REASONS, TRANSITIONS

    store = _alerts(request)
    alert = store.get_alert(alert_id)
    return {"feature": alert_feature(alert, request), "reviews": store.reviews(alert_id),
            "allowed": sorted(s.value for s in TRANSITIONS[alert.status]),
            "dismiss_reasons": list(DISMISS_REASONS)}


@router.post("/{alert_id}/review", summary="Review an alert (analyst)", dependencies=SECURITY)
def review(alert_id: str, body: Review, request: Request, user: Analyst) -> dict:
    """Move the alert to ``status``; 409 for a transition the workflow does not allow."""
    from ..alerts.review import review_alert

    store = _alerts(request)
    alert = review_alert(store, alert_id, body.status, by=user.username, reason=body.reason,
                         note=body.note, authority=body.authority, case=body.case)
    return {"feature": alert_feature(alert, request), "reviews": store.reviews(alert_id)}


@router.get("/{alert_id}/audit", summary="Audit log of an alert (analyst)", dependencies=SECURITY)
def audit(alert_id: str, request: Request, user: Analyst) -> dict:
    """Hash-chained audit entries about this alert, oldest first."""
    store = _alerts(request)
    store.get_alert(alert_id)
    return {"entries": [dict(e.__dict__) for e in store.iter_audit(alert_id)]}


def _scenes(request: Request, alert) -> list[dict]:
    """Scene items (with a true-colour layer) over the alert, by date."""
    ctx = request.app.state.yvy
    items = ctx.store.search_items(ItemQuery(intersects=alert.geometry.__geo_interface__))
    items = [ctx.assets.servable(it) for it in items]
    return [it for it in items if "truecolor" in layers_for_item(it)]


def _day(item: dict) -> str:
    p = item.get("properties", {})
    return str(p.get("datetime") or p.get("start_datetime") or "")[:10]


def _before_after(scenes: list[dict], alert) -> dict[str, dict | None]:
    first = alert.first_detected[:10]
    before = [s for s in scenes if _day(s) < first]
    after = [s for s in scenes if _day(s) >= first]
    return {"before": before[-1] if before else None, "after": after[0] if after else None}


def _chip_box(alert) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = alert.bbox
    pad = max(maxx - minx, maxy - miny, 0.003)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


@router.get("/{alert_id}/chips", summary="Before/after chips of an alert", dependencies=[Depends(read_access)])
def chips(alert_id: str, request: Request) -> dict:
    """Which scenes the before and after chips come from, with their image URLs."""
    alert = _alerts(request).get_alert(alert_id)
    pair = _before_after(_scenes(request, alert), alert)
    root = str(request.base_url).rstrip("/")
    out = {}
    for which, item in pair.items():
        out[which] = None if item is None else {
            "item": item["id"], "collection": item["collection"], "date": _day(item),
            "url": f"{root}/api/alerts/{alert_id}/chips/{which}.png"}
    out["drone"] = [{"item": d["item"], "date": str(d["datetime"] or "")[:10],
                     "url": f"{root}/api/alerts/{alert_id}/chips/drone.png?item={quote(d['item'], safe='')}"}
                    for d in _drone(request, alert)]
    out["bbox"] = list(_chip_box(alert))
    return out


def _drone(request: Request, alert) -> list[dict]:
    """Drone orthomosaics covering the alert (``yvy ingest --drone``), newest first."""
    from ..patrol.verify import drone_imagery_for

    return drone_imagery_for(request.app.state.yvy.store, alert)


@router.get("/{alert_id}/chips/{which}.png", summary="A chip image", dependencies=[Depends(read_access)],
            responses={200: {"content": {"image/png": {}}}})
async def chip(alert_id: str, which: Literal["before", "after", "drone"], request: Request,
               layer: Literal["truecolor", "falsecolor", "ndvi"] = "truecolor",
               size: int = Query(256, ge=32, le=1024),
               item: str | None = Query(None, max_length=300, description="drone: the orthomosaic "
                                        "(collection/id; default the newest covering the alert)")) -> Response:
    """PNG of the alert's surroundings in the scene before (or after) the first detection, or in a
    drone orthomosaic that covers it."""
    alert = await run_in_threadpool(_alerts(request).get_alert, alert_id)
    if which == "drone":
        item = await run_in_threadpool(_drone_item, request, alert, item)
    else:
        scenes = await run_in_threadpool(_scenes, request, alert)
        item = _before_after(scenes, alert)[which]
    if item is None:
        raise NotFoundError(f"{alert_id}/{which}", "no scene covers the alert at that time")
    png = await run_in_threadpool(render_bbox, item, layer, _chip_box(alert), size)
    headers = {"Cache-Control": f"public, max-age={request.app.state.yvy.settings.tile_max_age}"}
    return Response(png or bytes(EMPTY_PNG), media_type="image/png", headers=headers)


def _drone_item(request: Request, alert, wanted: str | None) -> dict | None:
    """The drone item (servable) of ``wanted`` among those covering ``alert``, or the newest."""
    from ..patrol.verify import covering_drone_items

    ctx = request.app.state.yvy
    covering = {f"{it['collection']}/{it['id']}": it for it in covering_drone_items(ctx.store, alert)}
    if wanted is not None and wanted not in covering:
        raise NotFoundError(wanted, "no drone orthomosaic of that id covers this alert")
    if not covering:
        return None
    return ctx.assets.servable(covering[wanted] if wanted is not None else next(iter(covering.values())))


def _series(request: Request, alert) -> list[dict]:
    import numpy as np

    geom = alert.geometry.__geo_interface__
    geom_key = hashlib.sha256(alert.geometry.wkb).hexdigest()
    cache = _series_cache(request)
    out = []
    for item in _scenes(request, alert):
        assets = item["assets"]
        spec = layers_for_item(item).get("ndvi")
        if spec is None:
            continue
        key = (geom_key, item["collection"], item["id"],
               tuple(sorted((k, a.get("href"), a.get("file:checksum")) for k, a in assets.items())))
        entry = cache.get(key)
        if entry is None:
            entry = _scene_ndvi(item, spec, geom, np)
            cache.put(key, entry)
        if entry is not False:
            out.append(entry)
    return out


def _scene_ndvi(item: dict, spec, geom: dict, np):
    """The series entry of one scene (mean NDVI of its clear pixels), or False when outside."""
    assets = item["assets"]
    nir, red = (read_values(assets[k], geom) for k in spec.assets)
    if nir is None or red is None:
        return False
    valid = ~(np.ma.getmaskarray(nir) | np.ma.getmaskarray(red))
    quality = quality_band(item)
    if quality is not None:
        q = read_values(assets[quality[1]], geom)
        if q is not None and q.shape == valid.shape:
            valid &= clear_mask(quality[0], q)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (nir - red) / (nir + red)
    vals = np.ma.filled(ndvi, np.nan)[valid]
    vals = vals[np.isfinite(vals)]
    return {"date": _day(item), "item": item["id"], "ndvi": round(float(vals.mean()), 4) if vals.size else None,
            "clear_pixels": int(vals.size)}


class _LRU:
    """A small thread-safe least-recently-used map (time-series entries per scene and alert shape)."""

    def __init__(self, size: int):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)


def _series_cache(request: Request) -> _LRU:
    """Per-app cache of time-series entries: a scene is read once per alert shape (the key holds
    the alert's geometry hash and the scene's asset hrefs and checksums, so a change is a miss)."""
    return request.app.state.yvy.extra.setdefault("timeseries", _LRU(50_000))


@router.get("/{alert_id}/timeseries", summary="NDVI time series of an alert", dependencies=[Depends(read_access)])
async def timeseries(alert_id: str, request: Request) -> dict:
    """Mean NDVI of the alert's clear pixels in every scene over it."""
    alert = await run_in_threadpool(_alerts(request).get_alert, alert_id)
    series = await run_in_threadpool(_series, request, alert)
    return {"alert": alert_id, "first_detected": alert.first_detected, "index": "ndvi", "series": series}


@router.get("/{alert_id}/timeseries.png", summary="NDVI time-series plot", dependencies=[Depends(read_access)],
            responses={200: {"content": {"image/png": {}}}})
async def timeseries_png(alert_id: str, request: Request) -> Response:
    """The time series drawn with matplotlib, the first detection marked."""
    alert = await run_in_threadpool(_alerts(request).get_alert, alert_id)
    series = await run_in_threadpool(_series, request, alert)
    png = await run_in_threadpool(_plot, series, alert)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=300"})


def _plot(series: list[dict], alert) -> bytes:
    from datetime import date

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 2.4), dpi=100)
    ax = fig.add_subplot()
    pts = [(date.fromisoformat(s["date"]), s["ndvi"]) for s in series if s["ndvi"] is not None]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color="#2b8a3e", ms=3)
    ax.axvline(date.fromisoformat(alert.first_detected[:10]), color="#c92a2a", ls="--", lw=1)
    ax.set_ylabel("NDVI")
    ax.set_title(f"{alert.id}", fontsize=9)
    ax.set_ylim(-0.2, 1.0)
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
