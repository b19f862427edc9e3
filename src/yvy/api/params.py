"""Shared query parameters: bbox, datetime intervals and limit/offset paging.

Parsing is the domain's (:mod:`yvy.bbox`, :mod:`yvy.dates`); errors are
:class:`~yvy.errors.InputError` (400) naming the parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from ..bbox import parse_bbox
from ..dates import parse_interval

__all__ = [
    "MAX_LIMIT",
    "BBox",
    "Datetime",
    "DocLang",
    "Limit",
    "Offset",
    "RowId",
    "parse_bbox",
    "parse_datetime",
    "request_language",
]

MAX_LIMIT = 1000
"""Largest page a client may ask for (bigger asks are cropped to this)."""

BBox = Annotated[str | None, Query(description="minx,miny,maxx,maxy in WGS84 lon/lat",
                                   examples=["-58.5,-23.5,-57.5,-22.5"])]
Datetime = Annotated[str | None, Query(
    description="RFC 3339 instant or interval (`start/end`, `../end`, `start/..`)",
    examples=["2024-01-01T00:00:00Z/2024-12-31T23:59:59Z"])]
Limit = Annotated[int, Query(ge=1, description=f"page size (cropped to {MAX_LIMIT})")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="items to skip")]
DocLang = Annotated[str | None, Query(
    pattern="^(es|en|gn)$",
    description="language of titles and descriptions; default: the Accept-Language header, else the workspace's")]
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="database id (a 64-bit integer)")]
"""A numeric id in a URL path: larger values are a 422, not an overflow in the database."""


def request_language(request, lang: str | None = None) -> str:
    """The language of a response's texts: ``lang`` (``?lang=``), else the request's
    ``Accept-Language`` (es, en or gn), else the workspace's locale."""
    from ..i18n import accept_language

    return lang or accept_language(request.headers.get("accept-language")) or request.app.state.yvy.workspace.locale


def parse_datetime(value: str | None, name: str = "datetime") -> tuple[str | None, str | None]:
    """(start, end) ISO UTC strings of an instant or interval; open ends are None."""
    return parse_interval(value, name)
