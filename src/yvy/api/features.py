"""OGC API - Features Part 1 (core, geojson, oas30, html) under ``/features``: the alerts and the
context layers (admin units, protected areas, permits...) as collections.

Items take ``bbox``, ``datetime`` (first detection of alerts), ``limit``/``offset`` paging and,
for alerts, the property filters ``status`` (comma list), ``confidence`` and ``min_area`` (ha).
``f=json|html`` (or the Accept header) picks the encoding. Titles and descriptions are in the language
of ``lang`` (else the Accept-Language header, else the workspace's locale); ids and keys never change.
"""

from __future__ import annotations

import html
import json
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from shapely.geometry import mapping

from ..errors import InputError, NotFoundError
from ..i18n import N_, translator
from .auth import read_access
from .params import MAX_LIMIT, BBox, Datetime, DocLang, parse_bbox, parse_datetime, request_language

__all__ = ["CONFORMANCE", "alert_feature", "router"]

PREFIX = "/features"
ALERTS = "alerts"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"

router = APIRouter(prefix=PREFIX, tags=["OGC API Features"], dependencies=[Depends(read_access)])
Format = Query(None, pattern="^(json|html)$", description="Response encoding (default: by Accept header)")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def _ctx(request: Request):
    return request.app.state.yvy


def _respond(request: Request, f: str | None, doc: dict, title: str, media: str = "application/json"):
    if _wants_html(request, f):
        return HTMLResponse(_html_page(title, doc))
    return JSONResponse(doc, media_type=media)


def _html_page(title: str, doc: dict) -> str:
    """A plain HTML rendering: the links, features as a table, and the JSON."""
    rows = []
    for ln in doc.get("links", []):
        href = html.escape(ln["href"])
        rows.append(f"<li><a href='{href}'>{html.escape(ln.get('title') or ln['rel'])}</a> "
                    f"<small>({html.escape(ln['rel'])}, {html.escape(ln.get('type', ''))})</small></li>")
    body = f"<ul>{''.join(rows)}</ul>"
    feats = doc.get("features")
    if feats:
        keys = ["id", *[k for k in ("status", "confidence", "area_ha", "first_detected", "name", "kind")
                        if any(k in (x.get("properties") or {}) for x in feats)]]
        head = "".join(f"<th>{k}</th>" for k in keys)
        trs = []
        for ft in feats:
            p = {"id": ft.get("id"), **(ft.get("properties") or {})}
            trs.append("<tr>" + "".join(f"<td>{html.escape(str(p.get(k, '')))}</td>" for k in keys) + "</tr>")
        body += f"<table border='1'><tr>{head}</tr>{''.join(trs)}</table>"
    for c in doc.get("collections", []):
        body += f"<h2>{html.escape(c.get('title') or c['id'])}</h2><p>{html.escape(c.get('description', ''))}</p>"
    pretty = html.escape(json.dumps({k: v for k, v in doc.items() if k != "features"}, indent=2)[:20000])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}<pre>{pretty}</pre></body></html>")


def _tr(request: Request, lang: str | None):
    """The translator of a response (:func:`~yvy.api.params.request_language`)."""
    return translator(request_language(request, lang))


def _links(self_href: str, tr, kind: str = "application/json") -> list[dict]:
    sep = "&" if "?" in self_href else "?"
    return [
        {"rel": "self", "type": kind, "title": tr.gettext("this document"), "href": self_href},
        {"rel": "alternate", "type": "text/html", "title": tr.gettext("this document as HTML"),
         "href": f"{self_href}{sep}f=html"},
    ]


@router.get("", summary="Landing page")
@router.get("/", summary="Landing page", include_in_schema=False)
def landing(request: Request, lang: DocLang = None, f: str | None = Format):
    """Links to the API definition, conformance and collections."""
    base, root = _base(request), str(request.base_url).rstrip("/")
    tr = _tr(request, lang)
    _ = tr.gettext
    doc = {
        "title": f"{_ctx(request).settings.title} OGC API Features",
        "description": _("Deforestation alerts, fire events and context layers"),
        "links": _links(base, tr) + [
            {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
             "title": _("API definition"), "href": f"{root}/api"},
            {"rel": "service-doc", "type": "text/html", "title": _("API documentation"),
             "href": f"{root}/api.html"},
            {"rel": "conformance", "type": "application/json", "title": _("conformance"),
             "href": f"{base}/conformance"},
            {"rel": "data", "type": "application/json", "title": _("collections"),
             "href": f"{base}/collections"},
        ],
    }
    return _respond(request, f, doc, doc["title"])


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, lang: DocLang = None, f: str | None = Format):
    """The conformance classes implemented."""
    tr = _tr(request, lang)
    return _respond(request, f, {"conformsTo": CONFORMANCE, "links": _links(f"{_base(request)}/conformance", tr)},
                    tr.gettext("Conformance"))


def _collection_doc(request: Request, tr, cid: str, title: str, description: str, bbox, interval) -> dict:
    """A collection's document; ``title`` and ``description`` already in ``tr``'s language."""
    base = f"{_base(request)}/collections/{quote(cid, safe='')}"
    return {
        "id": cid, "title": title, "description": description, "itemType": "feature",
        "crs": [CRS84], "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84},
                   "temporal": {"interval": [interval], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "links": _links(base, tr) + [
            {"rel": "items", "type": GEOJSON, "title": tr.gettext("features"), "href": f"{base}/items"},
            {"rel": "items", "type": "text/html", "title": tr.gettext("features as HTML"),
             "href": f"{base}/items?f=html"},
        ],
    }


LAYER_KINDS = {"admin": N_("administrative units"), "protected_area": N_("protected areas"),
               "indigenous_land": N_("indigenous lands"), "permit": N_("permits"),
               "border_zone": N_("border zone")}
"""Words for the kinds of context layers in collection descriptions (other kinds are shown as stored)."""


def _collections(request: Request, tr) -> dict[str, dict]:
    ctx = _ctx(request)
    _ = tr.gettext
    out: dict[str, dict] = {}
    alerts = ctx.alerts
    if alerts is not None:
        bbox, first, last = alerts.alert_extent()
        out[ALERTS] = _collection_doc(
            request, tr, ALERTS, _("Deforestation alerts"),
            _("Polygons of forest loss with dates, confidence, context and review status"),
            bbox or [-180, -90, 180, 90], [_day_start(first), _day_start(last)])
        for layer in alerts.list_context_layers():
            name = layer["name"]
            kind = _(LAYER_KINDS.get(layer["kind"], layer["kind"]))
            out[name] = _collection_doc(request, tr, name, name, _(
                "Context layer ({kind}), {n} features from {source}").format(
                kind=kind, n=layer["features"], source=layer["source"]), _layer_bbox(alerts, name), [None, None])
    from .fires import FIRES, collection_doc

    out[FIRES] = collection_doc(request, tr)
    return out


def _day_start(day):
    return f"{day}T00:00:00Z" if day and len(day) == 10 else day


def _layer_bbox(alerts, name: str) -> list:
    return alerts.layer_bbox(name) or [-180, -90, 180, 90]


@router.get("/collections", summary="Feature collections")
def collections(request: Request, lang: DocLang = None, f: str | None = Format):
    """Alerts and every context layer."""
    base = f"{_base(request)}/collections"
    tr = _tr(request, lang)
    doc = {"collections": list(_collections(request, tr).values()), "links": _links(base, tr), "crs": [CRS84]}
    return _respond(request, f, doc, tr.gettext("Collections"))


@router.get("/collections/{collection_id}", summary="One feature collection")
def collection(collection_id: str, request: Request, lang: DocLang = None, f: str | None = Format):
    """Description and extent of one collection."""
    colls = _collections(request, _tr(request, lang))
    if collection_id not in colls:
        raise NotFoundError(collection_id, "no such collection")
    return _respond(request, f, colls[collection_id], colls[collection_id]["title"])


Lang = Query(None, pattern="^(es|en|gn)$",
             description="alerts: add a title and a summary in this language to each feature's properties")


def alert_feature(alert, request: Request, lang: str | None = None) -> dict:
    """An alert as a GeoJSON Feature with links (and its bbox); with ``lang``, a title and summary too."""
    from ..alerts.model import to_feature

    feat = to_feature(alert)
    if lang:
        from ..alerts._feed_text import alert_summary, alert_title
        from ..i18n import translator

        tr = translator(lang)
        feat["properties"].update(title=alert_title(alert, tr), summary=alert_summary(alert, tr))
    feat["bbox"] = list(alert.bbox)
    coll = f"{_base(request)}/collections/{ALERTS}"
    feat["links"] = [{"rel": "self", "type": GEOJSON, "href": f"{coll}/items/{quote(alert.id, safe='')}"},
                     {"rel": "collection", "type": "application/json", "href": coll}]
    return feat


def _page_links(request: Request, tr, n_returned: int, matched: int, offset: int, limit: int) -> list[dict]:
    url = str(request.url).split("?")[0]
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "f")]
    links = _links(str(request.url), tr, GEOJSON)
    if offset + n_returned < matched:
        q = urlencode([*params, ("offset", offset + limit)])
        links.append({"rel": "next", "type": GEOJSON, "title": tr.gettext("next page"), "href": f"{url}?{q}"})
    if offset > 0:
        q = urlencode([*params, ("offset", max(0, offset - limit))])
        links.append({"rel": "prev", "type": GEOJSON, "title": tr.gettext("previous page"), "href": f"{url}?{q}"})
    return links


def _alert_query(bbox, datetime, status, confidence, min_area):
    from ..alerts.model import AlertStatus
    from ..alerts.ports import AlertQuery

    start, end = parse_datetime(datetime)
    statuses = None
    if status:
        statuses = [AlertStatus.parse(s.strip()).value for s in status.split(",") if s.strip()]
    if confidence is not None and confidence not in ("low", "high"):
        raise InputError("confidence", f"{confidence!r} is not a confidence; use low or high")
    return AlertQuery(status=statuses, confidence=confidence, since=start and start[:10],
                      until=end and end[:10], min_area_ha=min_area, bbox=parse_bbox(bbox))


@router.get("/collections/{collection_id}/items", summary="Features of a collection",
            responses={200: {"content": {GEOJSON: {}, "text/html": {}}}})
def items(collection_id: str, request: Request, bbox: BBox = None, datetime: Datetime = None,
          limit: int = Query(10, ge=1, le=10_000, description=f"page size (cropped to {MAX_LIMIT})"),
          offset: int = Query(0, ge=0, le=10**9),
          status: str | None = Query(None, description="alerts: status list, e.g. new,under_review"),
          confidence: str | None = Query(None, description="alerts: low or high"),
          min_area: float | None = Query(None, ge=0, le=1e12, description="alerts: minimum area (ha)"),
          lang: str | None = Lang, f: str | None = Format):
    """GeoJSON FeatureCollection with ``numberMatched``/``numberReturned`` and next/prev links."""
    ctx = _ctx(request)
    limit = min(limit, MAX_LIMIT)
    if collection_id == ALERTS:
        from dataclasses import replace

        store = ctx.require_alerts()
        q = _alert_query(bbox, datetime, status, confidence, min_area)
        matched, found = store.page_alerts(replace(q, limit=limit, offset=offset))
        feats = [alert_feature(a, request, lang) for a in found]
    else:
        box = parse_bbox(bbox)
        feats = _context_features(request, collection_id, box, limit=limit, offset=offset)
        matched = ctx.alerts.count_layer_features(collection_id, bbox=box)
    from datetime import UTC
    from datetime import datetime as dt

    doc = {"type": "FeatureCollection", "features": feats, "numberMatched": matched,
           "numberReturned": len(feats), "timeStamp": dt.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "links": _page_links(request, _tr(request, lang), len(feats), matched, offset, limit)}
    return _respond(request, f, doc, collection_id, GEOJSON)


def _context_features(request: Request, name: str, bbox, fid: str | None = None, *, limit: int | None = None,
                      offset: int = 0) -> list[dict]:
    """Features of one context layer (one page of them, read from the database), id = stable row key."""
    store = _ctx(request).alerts
    if store is None or name not in {lyr["name"] for lyr in store.list_context_layers()}:
        raise NotFoundError(name, "no such collection")
    if fid is not None and not (fid.isdigit() and int(fid) < 2**63):  # keys are 64-bit
        return []
    base = f"{_base(request)}/collections/{quote(name, safe='')}/items"
    return [{"type": "Feature", "id": str(pk), "geometry": mapping(f.geometry),
             "properties": {"name": f.name, "kind": f.kind, **(f.props or {})},
             "links": [{"rel": "self", "type": GEOJSON, "href": f"{base}/{pk}"}]}
            for pk, f in store.layer_features(name, bbox=bbox, feature_key=None if fid is None else int(fid),
                                              limit=limit, offset=offset)]


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature",
            responses={200: {"content": {GEOJSON: {}, "text/html": {}}}})
def item(collection_id: str, feature_id: str, request: Request, lang: str | None = Lang,
         f: str | None = Format):
    """One alert (by id) or context feature."""
    if collection_id == ALERTS:
        feat = alert_feature(_ctx(request).require_alerts().get_alert(feature_id), request, lang)
    else:
        found = _context_features(request, collection_id, None, feature_id)
        if not found:
            raise NotFoundError(f"{collection_id}/{feature_id}", "no such feature")
        feat = found[0]
    feat["links"] = feat.get("links", []) + _links(str(request.url), _tr(request, lang), GEOJSON)[1:]
    return _respond(request, f, feat, f"{collection_id} {feature_id}", GEOJSON)
