"""Fire hotspots and fire events in the workspace database (tables ``fire_hotspots`` and
``fire_events``, revision 0003; SQLite or PostGIS).

Implements :class:`yvy.disaster.fires.FireStore` over a :class:`yvy.storage.Store`; geometry as
GeoJSON text with a bbox.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..dates import now_iso
from ..errors import NotFoundError
from .schema import extent, fire_events, fire_hotspots
from .store import StoreAdapter

__all__ = ["SQLFireStore"]

HOTSPOT_COLUMNS = ("sensor", "satellite", "latitude", "longitude", "acq_date", "acq_time", "acquired",
                   "confidence", "confidence_class", "frp", "brightness", "daynight", "version", "source")
EVENT_COLUMNS = ("id", "start", "last_seen", "hotspots", "frp_sum", "frp_max", "confidence_max", "sensors",
                 "minx", "miny", "maxx", "maxy", "geometry", "context", "protected", "updated")


def _plain(col: pd.Series) -> list:
    """Python values of a column (numpy scalars unwrapped, NaN as None)."""
    values = col.tolist()
    if col.dtype.kind == "f":
        return [None if v != v else v for v in values]
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in values]


class SQLFireStore(StoreAdapter):
    """Hotspots and fire events over the workspace :class:`yvy.storage.Store`."""

    def add_hotspots(self, df: pd.DataFrame) -> int:
        """Insert new hotspots; rows already stored (same FIRMS key) are ignored. The count inserted."""
        now = now_iso()
        cols = [_plain(df[c]) for c in HOTSPOT_COLUMNS]
        rows = [dict(zip(HOTSPOT_COLUMNS, r, strict=True), ingested=now) for r in zip(*cols, strict=True)]
        if not rows:
            return 0
        stmt = self.store._insert(fire_hotspots).on_conflict_do_nothing(
            index_elements=["sensor", "satellite", "latitude", "longitude", "acq_date", "acq_time"])
        with self.store.transaction() as c:
            before = self.store.count_rows(fire_hotspots)
            self.store._executemany(c, stmt, rows)
            return self.store.count_rows(fire_hotspots) - before

    def count_hotspots(self) -> int:
        """Number of stored hotspots."""
        return self.store.count_rows(fire_hotspots)

    def hotspots(self, since: str | None = None, event_id: str | None = None) -> pd.DataFrame:
        """Hotspots (``id`` plus :data:`HOTSPOT_COLUMNS` and ``event_id``), by id."""
        h = fire_hotspots.c
        stmt = sa.select(h.id, *(h[c] for c in HOTSPOT_COLUMNS), h.event_id).order_by(h.id)
        if since:
            stmt = stmt.where(h.acquired >= since)
        if event_id:
            stmt = stmt.where(h.event_id == event_id)
        rows = self.store._all(stmt)
        return pd.DataFrame([tuple(r) for r in rows], columns=["id", *HOTSPOT_COLUMNS, "event_id"])

    def event_ids(self) -> set[str]:
        """Ids of the stored events."""
        return {r[0] for r in self.store._all(sa.select(fire_events.c.id))}

    def replace_events(self, events: Sequence, hotspot_ids: np.ndarray, event_ids: np.ndarray,
                       since: str | None = None) -> None:
        """Replace every event (or those seen since ``since``) and assign hotspots, in one transaction."""
        now = now_iso()
        rows = [dict(zip(EVENT_COLUMNS, (
            e.id, e.start, e.last_seen, e.hotspots, e.frp_sum, e.frp_max, e.confidence_max, json.dumps(e.sensors),
            *e.bbox, json.dumps(e.geometry), json.dumps(e.context), int(bool(e.context.get("protected_areas"))),
            now), strict=True)) for e in events]
        assign = [{"b_id": int(i), "b_event": str(ev)}
                  for ev, i in zip(event_ids.tolist(), np.asarray(hotspot_ids).tolist(), strict=True)]
        with self.store.transaction() as c:
            delete = sa.delete(fire_events)
            c.execute(delete.where(fire_events.c.last_seen >= since) if since else delete)
            if rows:
                c.execute(sa.insert(fire_events), rows)
            self.store._executemany(c, sa.update(fire_hotspots).where(fire_hotspots.c.id == sa.bindparam("b_id"))
                                    .values(event_id=sa.bindparam("b_event")), assign)

    def find_events(self, *, bbox=None, since: str | None = None, until: str | None = None,
                    protected: bool | None = None, limit: int | None = None, offset: int = 0) -> list[dict]:
        """Events as dicts (see :class:`yvy.disaster.fires.FireEvent`), newest start first."""
        e = fire_events.c
        stmt = sa.select(fire_events).where(*self._where(bbox, since, until, protected)).order_by(e.start.desc(), e.id)
        if limit is not None:
            stmt = stmt.limit(int(limit)).offset(int(offset))
        return [self._event(r) for r in self.store._all(stmt)]

    def count_events(self, *, bbox=None, since=None, until=None, protected=None) -> int:
        """Number of events matching the filters of :meth:`find_events`."""
        return self.store.count_rows(fire_events, *self._where(bbox, since, until, protected))

    def extent(self) -> tuple[list | None, list]:
        """(bbox of every event or None, [first start, last seen]) for the ``fires`` collection."""
        e = fire_events.c
        r = self.store._first(sa.select(*extent(fire_events), sa.func.min(e.start), sa.func.max(e.last_seen)))
        return (list(r[:4]) if r[0] is not None else None), [r[4], r[5]]

    def get_event(self, event_id: str) -> dict:
        """One event, or NotFoundError."""
        return self._event(self.store.one(sa.select(fire_events).where(fire_events.c.id == event_id),
                                          NotFoundError(event_id, "no such fire event")))

    @staticmethod
    def _where(bbox, since, until, protected) -> list:
        e = fire_events.c
        parts = []
        if bbox:
            parts += [e.maxx >= bbox[0], e.minx <= bbox[2], e.maxy >= bbox[1], e.miny <= bbox[3]]
        if since:
            parts.append(e.last_seen >= since)
        if until:
            parts.append(e.start <= (until if len(until) > 10 else until + "T23:59:59Z"))
        if protected is not None:
            parts.append(e.protected == int(protected))
        return parts

    @staticmethod
    def _event(r) -> dict:
        return {"id": r.id, "start": r.start, "last_seen": r.last_seen, "hotspots": r.hotspots,
                "frp_sum": r.frp_sum, "frp_max": r.frp_max, "confidence_max": r.confidence_max,
                "sensors": json.loads(r.sensors), "geometry": json.loads(r.geometry),
                "bbox": (r.minx, r.miny, r.maxx, r.maxy), "context": json.loads(r.context)}
