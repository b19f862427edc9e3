"""WHERE clauses of the serving hot paths, built once per query shape.

A query (alerts, items) is collected as a :class:`Where`: the names of its terms (its *shape*) and
the values they bind. The table's :class:`Terms` build the statement of a shape once
(:meth:`Terms.select`, cached) and the values are bound at execution: building a SQLAlchemy
statement and computing its cache key costs more than SQLite's work on a page of rows. The
spatial terms (:data:`SPATIAL_TERMS`) are index-backed bbox tests on both engines, and exact
``ST_Intersects`` on PostGIS; on SQLite :func:`intersecting` makes a bbox match exact.

Must not import: click, fastapi, yvy.cli, yvy.api.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator

import sqlalchemy as sa

from .schema import BBOX_COLUMNS, RTREES

__all__ = ["SPATIAL_TERMS", "Terms", "Where", "bbox_term", "box_values", "geometry_of", "intersecting", "paged",
           "text_of"]

_BOX = ("rt_x0", "rt_y0", "rt_x1", "rt_y1")


def box_values(box) -> dict:
    """The values :func:`bbox_term` binds for ``box`` (minx, miny, maxx, maxy)."""
    return dict(zip(_BOX, (float(v) for v in box), strict=True))


def bbox_term(table: sa.Table, dialect: str) -> sa.ColumnElement:
    """The row's bbox overlaps the box bound as ``rt_x0, rt_y0, rt_x1, rt_y1``; index-backed (the
    R*Tree on SQLite, the GiST index on PostGIS)."""
    if dialect == "postgresql":
        env = sa.func.ST_MakeEnvelope(*(sa.bindparam(k, type_=sa.Float) for k in _BOX), 4326)
        return table.c[BBOX_COLUMNS[table.name]].intersects(env)
    return sa.text(f"{table.name}.pk IN (SELECT pk FROM {RTREES[table.name]} WHERE minx <= :rt_x1 "
                   "AND maxx >= :rt_x0 AND miny <= :rt_y1 AND maxy >= :rt_y0)")


def intersects_term(table: sa.Table, dialect: str) -> sa.ColumnElement:
    """PostGIS: the row's geometry intersects the geometry bound as ``geom`` (WKB, WGS84)."""
    return table.c.geom.ST_Intersects(sa.func.ST_GeomFromWKB(sa.bindparam("geom", type_=sa.LargeBinary), 4326))


SPATIAL_TERMS = {"bbox": bbox_term, "intersects": intersects_term}
"""Spatial term name -> its clause factory ``(table, dialect)``."""


class Where:
    """The WHERE terms of one query: ``shape`` (their names) and the ``values`` they bind."""

    def __init__(self):
        self.names: list[str] = []
        self.values: dict = {}

    @property
    def shape(self) -> tuple[str, ...]:
        """The names of the terms, in order: what the statement depends on."""
        return tuple(self.names)

    def term(self, name: str, value) -> None:
        """The term ``name`` bound to ``value`` (none when it is None). A list binds ``name0``,
        ``name1``… and is ``name:N`` in the shape."""
        if isinstance(value, list):
            self.add(f"{name}:{len(value)}", **{f"{name}{i}": v for i, v in enumerate(value)})
        elif value is not None:
            self.add(name, **{name: value})

    def add(self, name: str, **values) -> None:
        """The term ``name`` binding ``values``."""
        self.names.append(name)
        self.values.update(values)

    def page(self, limit: int | None, offset: int) -> dict:
        """The values with those of :func:`paged`."""
        return {**self.values, "limit": limit, "offset": offset}


class Terms:
    """The WHERE terms of one table's queries: name -> factory of its clause from its parameter
    (``sa.bindparam(name)``, or the list of them of a list term); :data:`SPATIAL_TERMS` too."""

    def __init__(self, table: sa.Table, **factories):
        self.table, self.factories = table, factories

    def select(self, dialect: str, shape: tuple[str, ...], *columns, bounds: bool = False) -> sa.Select:
        """SELECT ``columns`` (default COUNT(*); with ``bounds``, the bbox columns and GeoJSON
        geometry too, for :func:`intersecting`) WHERE the terms ``shape``; built once per shape."""
        return _select(self, dialect, shape, columns, bounds)


@functools.lru_cache(maxsize=512)
def _select(terms: Terms, dialect: str, shape: tuple[str, ...], columns: tuple, bounds: bool) -> sa.Select:
    c = terms.table.c
    cols = [*columns, *((c.minx, c.miny, c.maxx, c.maxy, c.geometry) if bounds else ())]
    stmt = sa.select(*cols) if cols else sa.select(sa.func.count()).select_from(terms.table)
    where = []
    for entry in shape:
        name, _, n = entry.partition(":")
        if name in SPATIAL_TERMS:
            where.append(SPATIAL_TERMS[name](terms.table, dialect))
        else:
            where.append(terms.factories[name]([sa.bindparam(f"{name}{i}") for i in range(int(n))] if n
                                               else sa.bindparam(name)))
    return stmt.where(*where)


def paged(stmt: sa.Select, limit: bool, offset: bool) -> sa.Select:
    """``stmt`` with LIMIT and/or OFFSET, bound as ``limit`` and ``offset`` (:meth:`Where.page`)."""
    stmt = stmt.limit(sa.bindparam("limit")) if limit else stmt
    return stmt.offset(sa.bindparam("offset")) if offset else stmt


@functools.lru_cache(maxsize=1024)
def geometry_of(text: str):
    """The shapely geometry of a stored GeoJSON text, parsed once per text: a large alert that
    overlaps many query boxes (an update matching hundreds of candidates) is parsed once, not
    for each of them. Shapely geometries are immutable, so the parsed one is shared."""
    import shapely

    geom = shapely.from_geojson(text)
    with _TEXTS_LOCK:  # the server reads alerts from several threads
        _TEXTS[id(geom)] = (geom, text)
        while len(_TEXTS) > 1024:
            del _TEXTS[next(iter(_TEXTS))]
    return geom


_TEXTS: dict[int, tuple] = {}
"""id -> (geometry, its text) of the geometries :func:`geometry_of` parsed last."""
_TEXTS_LOCK = threading.Lock()


def text_of(geom) -> str | None:
    """The stored text ``geom`` was parsed from by :func:`geometry_of` (None for another
    geometry): an alert written back with its geometry unchanged is not serialised again."""
    hit = _TEXTS.get(id(geom))
    return hit[1] if hit is not None and hit[0] is geom else None


def intersecting(rows, exact) -> Iterator:
    """The rows (with bbox columns and GeoJSON ``geometry``; their bbox already overlaps ``exact``'s)
    whose geometry intersects ``exact``. When ``exact`` is a rectangle, a row whose bbox lies inside
    it intersects it without a geometry test; only rows across its edge are parsed and tested."""
    import shapely

    x0, y0, x1, y1 = exact.bounds
    box = shapely.box(x0, y0, x1, y1)
    rect = shapely.equals_exact(box, exact, 0) or box.equals(exact)  # the first: a bbox query's own box
    shapely.prepare(exact)
    for r in rows:
        if r.geometry in (None, "null"):  # an item may have a bbox but no geometry (PostGIS: no geom)
            continue
        if rect and r.minx >= x0 and r.miny >= y0 and r.maxx <= x1 and r.maxy <= y1:
            yield r
        elif exact.intersects(geometry_of(r.geometry)):
            yield r
