"""Fire events over HTTP: the OGC API Features collection ``fires`` and the Atom feed
``/feeds/fires.atom`` (newest fires first, GeoRSS boxes).

The collection's routes are registered before the generic ``/features/collections/{id}`` ones,
which list it among the collections through :func:`collection_doc`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from .auth import read_access
from .features import GEOJSON, Format, _base, _collection_doc, _links, _page_links, _respond, _tr
from .params import MAX_LIMIT, BBox, Datetime, DocLang, parse_bbox, parse_datetime

__all__ = ["FIRES", "collection_doc", "router"]

FIRES = "fires"
router = APIRouter(tags=["Fires"], dependencies=[Depends(read_access)])


def _store(request: Request):
    from ..storage.fires import SQLFireStore

    return SQLFireStore(request.app.state.yvy.store)


def collection_doc(request: Request, tr) -> dict:
    """The ``fires`` collection's description and extent, in ``tr``'s language."""
    bbox, interval = _store(request).extent()
    bbox = bbox or [-180, -90, 180, 90]
    return _collection_doc(request, tr, FIRES, tr.gettext("Fire events"), tr.gettext(
        "Active-fire hotspots (NASA FIRMS) clustered into fire events: start, last seen, hotspots, FRP, "
        "departments, protected areas, distance to the border"), bbox, interval)


def _feature(event: dict, request: Request) -> dict:
    from ..disaster.fires import FireEvent

    feat = FireEvent.from_dict(event).to_feature()
    href = f"{_base(request)}/collections/{FIRES}/items/{quote(event['id'], safe='')}"
    feat["links"] = [{"rel": "self", "type": GEOJSON, "href": href},
                     {"rel": "collection", "type": "application/json",
                      "href": f"{_base(request)}/collections/{FIRES}"}]
    return feat


@router.get(f"/features/collections/{FIRES}/items", summary="Fire events",
            responses={200: {"content": {GEOJSON: {}, "text/html": {}}}})
def fire_items(request: Request, bbox: BBox = None, datetime: Datetime = None,
               limit: int = Query(10, ge=1, le=10_000, description=f"page size (cropped to {MAX_LIMIT})"),
               offset: int = Query(0, ge=0, le=10**9),
               protected: bool | None = Query(None, description="only fires touching (true) or not touching "
                                                                 "(false) a protected area"),
               lang: DocLang = None, f: str | None = Format):
    """Fire events overlapping ``bbox`` and seen within ``datetime``, newest start first."""
    start, end = parse_datetime(datetime)
    limit = min(limit, MAX_LIMIT)
    kw = {"bbox": parse_bbox(bbox), "since": start, "until": end, "protected": protected}
    store = _store(request)
    matched = store.count_events(**kw)
    feats = [_feature(e, request) for e in store.find_events(**kw, limit=limit, offset=offset)]
    doc = {"type": "FeatureCollection", "features": feats, "numberMatched": matched,
           "numberReturned": len(feats), "timeStamp": datetime_now(),
           "links": _page_links(request, _tr(request, lang), len(feats), matched, offset, limit)}
    return _respond(request, f, doc, FIRES, GEOJSON)


@router.get(f"/features/collections/{FIRES}/items/{{fire_id}}", summary="One fire event",
            responses={200: {"content": {GEOJSON: {}, "text/html": {}}}})
def fire_item(fire_id: str, request: Request, lang: DocLang = None, f: str | None = Format):
    """One fire event by id."""
    feat = _feature(_store(request).get_event(fire_id), request)
    feat["links"] += _links(str(request.url), _tr(request, lang), GEOJSON)[1:]
    return _respond(request, f, feat, fire_id, GEOJSON)


def datetime_now() -> str:
    """Now, ISO UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/feeds/fires.atom", summary="Atom feed of fire events",
            responses={200: {"content": {"application/atom+xml": {}}}})
def fires_atom(request: Request, bbox: BBox = None,
               protected: bool | None = Query(None, description="only fires in (true) / outside (false) "
                                                                 "protected areas"),
               lang: str | None = Query(None, pattern="^(es|en|gn)$",
                                        description="language of titles and summaries; default the workspace's"),
               ) -> Response:
    """The latest fire events (newest start first) as Atom entries, in ``lang`` (default: the workspace's)."""
    from ..disaster._feed_text import fires_title
    from ..i18n import translator

    ctx = request.app.state.yvy
    tr = translator(lang or ctx.workspace.locale)
    events = _store(request).find_events(bbox=parse_bbox(bbox), protected=protected, limit=ctx.settings.feed_size)
    root = str(request.base_url).rstrip("/")
    updated = max((e["last_seen"] for e in events), default="1970-01-01T00:00:00Z")
    title = fires_title(ctx.settings.title, tr)
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n'
           '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:georss="http://www.georss.org/georss" '
           f'xml:lang="{tr.lang}"><id>{escape(root)}/feeds/fires.atom</id>'
           f"<title>{escape(title)}</title>"
           f"<updated>{escape(updated)}</updated>"
           f'<link rel="self" type="application/atom+xml" href="{escape(str(request.url))}"/>'
           f"<author><name>{escape(ctx.settings.title)}</name></author>"
           + "".join(_entry(e, root, tr) for e in events) + "</feed>")
    return Response(xml, media_type="application/atom+xml", headers={"Cache-Control": "public, max-age=60"})


def _entry(e: dict, root: str, tr) -> str:
    from ..disaster._feed_text import fire_summary

    minx, miny, maxx, maxy = e["bbox"]
    pas = e["context"].get("protected_areas")
    summary = fire_summary(e, tr)
    href = f"{root}/features/collections/{FIRES}/items/{quote(e['id'], safe='')}"
    return (f"<entry><id>urn:yvy:fire:{escape(e['id'])}</id><title>{escape(e['id'])}</title>"
            f"<updated>{escape(e['last_seen'])}</updated>"
            f'<link rel="alternate" type="application/geo+json" href="{escape(href)}"/>'
            f"<summary>{escape(summary)}</summary>"
            + ('<category term="protected_area"/>' if pas else "")
            + f"<georss:box>{miny} {minx} {maxy} {maxx}</georss:box></entry>")
