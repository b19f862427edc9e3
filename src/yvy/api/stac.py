"""STAC API 1.0 over the workspace catalog, built on stac-fastapi with a backend client that reads
yvy's :class:`~yvy.catalog.ports.CatalogStore`.

Mounted under ``/stac``: core, collections, ogcapi-features, item-search (bbox, intersects,
datetime, ids, collections), token paging (``token=o<offset>``), sort and CQL2 filter
(text and JSON; evaluated with the ``cql2`` library after the store's indexed pre-filter).
Local asset paths are published as ``/assets/{collection}/{item}/{key}`` URLs served by yvy.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import quote, urlencode

import attr
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import field_validator
from stac_fastapi.api.app import StacApi
from stac_fastapi.api.models import (
    GeoJSONResponse,
    ItemCollectionUri,
    create_get_request_model,
    create_post_request_model,
    create_request_model,
)
from stac_fastapi.extensions import FilterExtension, SortExtension, TokenPaginationExtension
from stac_fastapi.extensions.filter.client import BaseFiltersClient
from stac_fastapi.extensions.filter.filter import FilterConformanceClasses
from stac_fastapi.extensions.pagination.request import GETTokenPagination
from stac_fastapi.types.config import ApiSettings
from stac_fastapi.types.core import BaseCoreClient
from stac_fastapi.types.search import BaseSearchPostRequest

from .. import __version__
from ..catalog.ports import ItemQuery
from ..errors import InputError, NotFoundError
from ..i18n import LANGUAGES, N_, translator
from ._assets import AssetRefused
from .auth import current_user, read_access
from .events import security_event
from .limits import MAX_COLLECTIONS, MAX_IDS, MAX_OFFSET, check_count, check_filter
from .params import MAX_LIMIT, parse_bbox, parse_datetime, request_language

__all__ = ["PREFIX", "CatalogClient", "add_stac_api", "asset_router"]

PREFIX = "/stac"
STAC_VERSION = "1.1.0"
DESCRIPTION = N_("Scenes and detection products catalogued by yvy")
"""The landing page's description, in the language of ``?lang=`` (es, en, gn), else Accept-Language,
else the workspace's locale."""
"""Version declared on every published object (STAC 1.0 records are valid 1.1 records)."""
SORTABLE = ("id", "collection", "datetime", "eo:cloud_cover")
"""Fields ``sortby`` accepts (the store sorts on their indexed item columns)."""
QUERYABLES = {
    "id": {"description": "Item id", "type": "string"},
    "collection": {"description": "Collection id", "type": "string"},
    "geometry": {"description": "Footprint", "$ref": "https://geojson.org/schema/Geometry.json"},
    "datetime": {"description": "Acquisition time", "type": "string", "format": "date-time"},
    "eo:cloud_cover": {"description": "Cloud cover (%)", "type": "number", "minimum": 0, "maximum": 100},
    "platform": {"description": "Platform", "type": "string"},
    "constellation": {"description": "Constellation", "type": "string"},
}


def _ctx(request: Request):
    return request.app.state.yvy


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX + "/"


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _limit(limit) -> int:
    return max(1, min(int(limit or 10), MAX_LIMIT))


def _token_offset(token: str | None) -> int:
    if not token:
        return 0
    digits = token[1:]
    if not token.startswith("o") or not digits.isdigit() or len(digits) > 8 or int(digits) > MAX_OFFSET:
        raise InputError("token", f"{token[:40]!r} is not a paging token from this API")
    return int(digits)


def publish_item(item: dict, request: Request) -> dict:
    """Add STAC links and turn local asset paths into this server's URLs."""
    base, root = _base(request), _root(request)
    cid, iid = item["collection"], item["id"]
    qc, qi = quote(cid, safe=""), quote(iid, safe="")
    item = dict(item)
    assets = {}
    for key, asset in (item.get("assets") or {}).items():
        a = dict(asset)
        href = a.get("href", "")
        if "://" not in href:
            a["href"] = f"{root}/assets/{qc}/{qi}/{quote(key, safe='')}"
        assets[key] = a
    item["assets"] = assets
    links = [ln for ln in item.get("links", []) if ln.get("rel") not in
             ("self", "parent", "collection", "root", "tilejson")]
    links += [
        {"rel": "self", "type": "application/geo+json", "href": f"{base}collections/{qc}/items/{qi}"},
        {"rel": "parent", "type": "application/json", "href": f"{base}collections/{qc}"},
        {"rel": "collection", "type": "application/json", "href": f"{base}collections/{qc}"},
        {"rel": "root", "type": "application/json", "href": base},
    ]
    from ._render import layers_for_item

    for layer in layers_for_item(item):
        links.append({"rel": "tilejson", "type": "application/json", "title": f"{layer} tiles",
                      "href": f"{root}/tiles/{qc}/{qi}/{layer}/tilejson.json"})
    item["links"] = links
    item["stac_version"] = STAC_VERSION
    item.setdefault("stac_extensions", [])
    return item


def publish_collection(coll: dict, request: Request, extent: dict | None) -> dict:
    """Add links and the live extent to a stored collection."""
    base = _base(request)
    cid = quote(coll["id"], safe="")
    c = dict(coll)
    c.setdefault("type", "Collection")
    c["stac_version"] = STAC_VERSION
    c.setdefault("description", coll["id"])
    c.setdefault("license", "proprietary")
    if extent is not None and extent.get("count"):
        ext = {"spatial": extent["spatial"], "temporal": extent["temporal"]}
        c["extent"] = ext
    c.setdefault("extent", {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                            "temporal": {"interval": [[None, None]]}})
    c["links"] = [ln for ln in c.get("links", []) if ln.get("rel") not in
                  ("self", "parent", "root", "items")] + [
        {"rel": "self", "type": "application/json", "href": f"{base}collections/{cid}"},
        {"rel": "parent", "type": "application/json", "href": base},
        {"rel": "root", "type": "application/json", "href": base},
        {"rel": "items", "type": "application/geo+json", "href": f"{base}collections/{cid}/items"},
    ]
    return c


def _parse_sortby(sortby) -> list[tuple[str, bool]]:
    """[(field, descending)] from GET strings (``-datetime``) or POST dicts."""
    out = []
    for s in sortby or []:
        if isinstance(s, str):
            s = s.strip()
            desc = s.startswith("-")
            field = s.lstrip("+-").strip()
        else:
            d = s if isinstance(s, dict) else s.model_dump()
            field, desc = d["field"], str(d.get("direction", "asc")).lower().endswith("desc")
        field = field.removeprefix("properties.")
        if field not in SORTABLE:
            raise InputError("sortby", f"cannot sort by {field!r}; use one of {', '.join(SORTABLE)}")
        out.append((field, desc))
    return out


def _parse_filter(expr, lang: str | None):
    if expr is None or expr == "" or expr == {}:
        return None
    check_filter(expr)
    import cql2

    try:
        if isinstance(expr, dict):
            parsed = cql2.Expr(expr)
        elif lang == "cql2-json" or str(expr).lstrip().startswith("{"):
            parsed = cql2.Expr(json.loads(expr))
        else:
            parsed = cql2.Expr(str(expr))
        parsed.validate()
    except Exception as exc:  # noqa: BLE001 - cql2 raises plain Exception / ValueError with the parser report
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError("filter", f"not a valid CQL2 expression ({first})") from None
    return parsed


@attr.s
class CatalogClient(BaseCoreClient):
    """stac-fastapi backend reading the yvy catalog store."""

    def landing_page(self, **kwargs):
        page = super().landing_page(**kwargs)
        request = kwargs["request"]
        lang = request.query_params.get("lang")
        page["description"] = translator(request_language(request, lang if lang in LANGUAGES else None)).gettext(
            DESCRIPTION)
        return page

    def all_collections(self, request: Request, **kwargs) -> dict:
        store = _ctx(request).store
        colls = [publish_collection(c, request, store.collection_extent(c["id"]))
                 for c in store.list_collections()]
        base = _base(request)
        return {"collections": colls, "links": [
            {"rel": "self", "type": "application/json", "href": f"{base}collections"},
            {"rel": "root", "type": "application/json", "href": base},
            {"rel": "parent", "type": "application/json", "href": base},
        ]}

    def get_collection(self, collection_id: str, request: Request, **kwargs) -> dict:
        store = _ctx(request).store
        coll = store.get_collection(collection_id)
        return publish_collection(coll, request, store.collection_extent(collection_id))

    def get_item(self, item_id: str, collection_id: str, request: Request, **kwargs) -> dict:
        store = _ctx(request).store
        store.get_collection(collection_id)
        return publish_item(store.get_item(collection_id, item_id), request)

    def item_collection(self, collection_id: str, request: Request, bbox=None, datetime=None,
                        limit: int = 10, token: str | None = None, **kwargs) -> GeoJSONResponse:
        _ctx(request).store.get_collection(collection_id)
        return self._search(request, method="GET", collections=[collection_id], bbox=bbox,
                            datetime=datetime, limit=limit, token=token)

    def get_search(self, request: Request, collections=None, ids=None, bbox=None, intersects=None,
                   datetime=None, limit: int = 10, token: str | None = None, sortby=None,
                   filter_expr=None, filter_lang=None, **kwargs) -> GeoJSONResponse:
        if intersects is not None:
            try:
                intersects = json.loads(intersects)
            except ValueError:
                raise InputError("intersects", "not a GeoJSON geometry") from None
        return self._search(request, method="GET", collections=collections, ids=ids, bbox=bbox,
                            intersects=intersects, datetime=datetime, limit=limit, token=token,
                            sortby=sortby, filter_expr=filter_expr, filter_lang=filter_lang)

    def post_search(self, search_request, request: Request, **kwargs) -> GeoJSONResponse:
        s = search_request
        intersects = s.intersects.model_dump(exclude_none=True) if s.intersects is not None else None
        dt = s.datetime if isinstance(s.datetime, str) or s.datetime is None else None
        if dt is None and getattr(s, "start_date", None) is not None or getattr(s, "end_date", None):
            dt = "/".join(x.isoformat() if x else ".." for x in (s.start_date, s.end_date))
        return self._search(request, method="POST", collections=s.collections, ids=s.ids,
                            bbox=s.bbox, intersects=intersects, datetime=dt, limit=s.limit,
                            token=getattr(s, "token", None), sortby=getattr(s, "sortby", None),
                            filter_expr=getattr(s, "filter_expr", None),
                            filter_lang=getattr(s, "filter_lang", None), body=s)

    # -- search ----------------------------------------------------------------------------
    def _search(self, request: Request, *, method: str, collections=None, ids=None, bbox=None,
                intersects=None, datetime=None, limit=10, token=None, sortby=None,
                filter_expr=None, filter_lang=None, body=None) -> GeoJSONResponse:
        store = _ctx(request).store
        check_count("ids", ids, MAX_IDS)
        check_count("collections", collections, MAX_COLLECTIONS)
        if bbox is not None and not isinstance(bbox, str):
            bbox = ",".join(str(v) for v in bbox)
        box = parse_bbox(bbox)
        if box is not None and intersects is not None:
            raise InputError("bbox", "bbox and intersects are mutually exclusive")
        if intersects is not None:
            _check_geometry(intersects)
        start, end = parse_datetime(datetime)
        limit, offset = _limit(limit), _token_offset(token)
        order = _parse_sortby(sortby)
        where = _parse_filter(filter_expr, filter_lang)
        q = ItemQuery(collections=collections or None, ids=ids or None, bbox=box, intersects=intersects,
                      start=start, end=end, order=tuple(order))
        if where is not None:
            q = _push_down(where, q)
        more = False
        if where is None:  # sorted and paged in SQL
            page = store.search_items(replace(q, limit=limit, offset=offset))
            number = store.count_items(q)
            more = offset + len(page) < number
        else:  # CQL2 on the sorted stream, stopping once the page is full and one more match is seen
            page, seen, number = [], 0, None
            for it in store.iter_items(q):
                if not _matches(where, it):
                    continue
                if seen >= offset + limit:
                    more = True
                    break
                if seen >= offset:
                    page.append(it)
                seen += 1
            else:
                number = seen
        features = [publish_item(it, request) for it in page]
        links = [{"rel": "root", "type": "application/json", "href": _base(request)},
                 {"rel": "self", "type": "application/geo+json", "href": str(request.url)}]
        if more:
            links.append(_next_link(request, method, f"o{offset + limit}", body))
        out = {"type": "FeatureCollection", "features": features, "links": links, "numberReturned": len(features)}
        if number is not None:  # unknown when a filtered search stopped at the end of the page
            out["numberMatched"] = number
        # plain JSON values already: a response skips FastAPI's jsonable_encoder, which walks every
        # value of every item (most of a search's CPU); the bytes are the same
        return GeoJSONResponse(out)


def _push_down(expr, q: ItemQuery) -> ItemQuery:
    """Narrow the store query with the filter's top-level AND terms that map onto indexed item
    columns (``collection``/``id`` = or IN, ``eo:cloud_cover`` < or <=, ``datetime`` comparisons).
    The query only ever gets wider than the filter: the filter itself still decides each item."""
    doc = expr.to_json()
    terms = doc["args"] if doc.get("op") == "and" else [doc]
    for t in terms:
        op, args = t.get("op"), t.get("args") or []
        if len(args) != 2 or not isinstance(args[0], dict) or set(args[0]) != {"property"}:
            continue
        prop, value = args[0]["property"], args[1]
        values = value if op == "in" and isinstance(value, list) else [value] if op == "=" else None
        if prop in ("collection", "id") and values and all(isinstance(v, str) for v in values):
            field = "collections" if prop == "collection" else "ids"
            have = getattr(q, field)
            q = replace(q, **{field: [v for v in values if have is None or v in have]})
        elif prop == "eo:cloud_cover" and op in ("<", "<=") and isinstance(value, int | float):
            q = replace(q, max_cloud=min(float(value), q.max_cloud if q.max_cloud is not None else float(value)))
        elif prop == "datetime" and isinstance(value, dict) and isinstance(value.get("timestamp") or value.get("date"),
                                                                          str):
            when = value.get("timestamp") or value["date"]
            if op in (">", ">=") and (q.start is None or when > q.start):
                q = replace(q, start=when)
            elif op in ("<", "<=") and (q.end is None or when < q.end):
                q = replace(q, end=when)
    return q


def _matches(expr, item: dict) -> bool:
    """CQL2 evaluation; an item lacking a compared property does not match."""
    try:
        return bool(expr.matches(item))
    except Exception:  # noqa: BLE001 - cql2 cannot reduce comparisons with missing properties
        return False


def _check_geometry(geom) -> None:
    from shapely.geometry import shape

    try:
        g = shape(geom)
        if g.is_empty:
            raise ValueError("empty")
    except Exception as exc:  # noqa: BLE001 - shapely raises several types for malformed GeoJSON
        raise InputError("intersects", f"not a valid GeoJSON geometry ({exc})") from None


def _next_link(request: Request, method: str, token: str, body) -> dict:
    url = str(request.url).split("?")[0]
    if method == "POST":
        return {"rel": "next", "type": "application/geo+json", "href": url, "method": "POST",
                "body": {"token": token}, "merge": True}
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    params.append(("token", token))
    return {"rel": "next", "type": "application/geo+json", "href": f"{url}?{urlencode(params)}",
            "method": "GET"}


class SearchPostRequest(BaseSearchPostRequest):
    """POST /search body; ``collections`` and ``ids`` may also be a comma-separated string."""

    @field_validator("collections", "ids", mode="before")
    @classmethod
    def _split(cls, value):
        return [v for v in value.split(",") if v] if isinstance(value, str) else value


@attr.s
class QueryablesClient(BaseFiltersClient):
    """Queryables for the CQL2 filter (the same for every collection)."""

    def get_queryables(self, collection_id: str | None = None, **kwargs) -> dict:
        request = kwargs.get("request")
        if request is not None:  # the extension's routes are not under the STAC router's dependency
            read_access(request, current_user(request))
        base = _base(request) if request is not None else PREFIX + "/"
        return {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{base}queryables", "type": "object", "title": "yvy catalog queryables",
            "properties": QUERYABLES, "additionalProperties": True,
        }


def add_stac_api(app: FastAPI, title: str) -> StacApi:
    """Register the STAC API routes under :data:`PREFIX` on ``app``."""
    extensions = [
        TokenPaginationExtension(),
        SortExtension(),
        FilterExtension(client=QueryablesClient(), conformance_classes=[
            FilterConformanceClasses.FILTER, FilterConformanceClasses.SEARCH,
            FilterConformanceClasses.ITEMS, FilterConformanceClasses.CQL2_TEXT,
            FilterConformanceClasses.CQL2_JSON, FilterConformanceClasses.BASIC_CQL2,
        ]),
    ]
    settings = ApiSettings(stac_fastapi_title=f"{title} STAC API", stac_fastapi_description=DESCRIPTION,
        stac_fastapi_version=__version__,
        stac_fastapi_landing_id="yvy", openapi_url="/api", docs_url="/api.html")
    items_model = create_request_model("ItemCollectionURI", base_model=ItemCollectionUri,
                                       mixins=[GETTokenPagination], request_type="GET")
    return StacApi(
        settings=settings, client=CatalogClient(landing_page_id="yvy"), extensions=extensions, app=app,
        router=APIRouter(prefix=PREFIX, dependencies=[Depends(read_access)], tags=["STAC API"]),
        search_get_request_model=create_get_request_model(extensions),
        search_post_request_model=create_post_request_model(extensions, base_model=SearchPostRequest),
        items_get_request_model=items_model, exceptions={}, middlewares=[],
        title=f"{title} STAC API", description=DESCRIPTION,
        api_version=__version__, stac_version=STAC_VERSION,
    )


asset_router = APIRouter(tags=["STAC API"], dependencies=[Depends(read_access)])


@asset_router.get("/assets/{collection_id}/{item_id}/{key}", summary="Download an asset (HTTP Range)")
def get_asset(collection_id: str, item_id: str, key: str, request: Request):
    """The file behind a catalogued asset: a regular file under the workspace's ``assets/`` or a
    registered folder (symbolic links resolved); a remote ``http(s)`` asset is a redirect."""
    ctx = _ctx(request)
    item = ctx.store.get_item(collection_id, item_id)
    asset = (item.get("assets") or {}).get(key)
    subject = f"{collection_id}/{item_id}/{key}"
    if asset is None:
        raise NotFoundError(subject, "no such asset")
    href = str(asset.get("href", ""))
    if ctx.assets.is_remote(href):
        return RedirectResponse(href.removeprefix("/vsicurl/"), status_code=307)
    try:
        path = ctx.assets.local_path(href)
    except AssetRefused as exc:
        security_event(request, "asset-refused", outcome="failure", reason=exc.reason,
                       target=subject)
        raise NotFoundError(subject, "asset is not available from this server") from None
    return FileResponse(path, media_type=asset.get("type") or "application/octet-stream",
                        headers={"Cache-Control": "public, max-age=3600"})
