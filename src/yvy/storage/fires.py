"""Fire hotspots and fire events in the workspace database (migration 0014; SQLite or PostGIS).

Implements :class:`yvy.disaster.fires.FireStore` over a :class:`yvy.storage.Store`. Kept small
and self-contained: plain SQL on two tables, geometry as GeoJSON text with a bbox.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ..errors import NotFoundError

__all__ = ["SQLFireStore"]

HOTSPOT_COLUMNS = ("sensor", "satellite", "latitude", "longitude", "acq_date", "acq_time", "acquired",
                   "confidence", "confidence_class", "frp", "brightness", "daynight", "version", "source")
EVENT_COLUMNS = ("id", "start", "last_seen", "hotspots", "frp_sum", "frp_max", "confidence_max", "sensors",
                 "minx", "miny", "maxx", "maxy", "geometry", "context", "protected", "updated")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _plain(col: pd.Series) -> list:
    """Python values of a column (numpy scalars unwrapped, NaN as None)."""
    values = col.tolist()
    if col.dtype.kind == "f":
        return [None if v != v else v for v in values]
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in values]


class SQLFireStore:
    """Hotspots and fire events over the workspace :class:`yvy.storage.Store`."""

    def __init__(self, store):
        self.store = store

    def add_hotspots(self, df: pd.DataFrame) -> int:
        """Insert new hotspots; rows already stored (same FIRMS key) are ignored. The count inserted."""
        cols = ", ".join(HOTSPOT_COLUMNS)
        marks = ",".join("?" * (len(HOTSPOT_COLUMNS) + 1))
        sql = (f"INSERT INTO fire_hotspots({cols}, ingested) VALUES ({marks}) ON CONFLICT "
               "(sensor, satellite, latitude, longitude, acq_date, acq_time) DO NOTHING")
        now = _now()
        cols = [_plain(df[c]) for c in HOTSPOT_COLUMNS]
        rows = [(*r, now) for r in zip(*cols, strict=True)]
        with self.store.transaction() as c:
            before = self.count_hotspots()
            c.executemany(sql, rows)
            return self.count_hotspots() - before

    def count_hotspots(self) -> int:
        """Number of stored hotspots."""
        return int(self.store.conn.execute("SELECT COUNT(*) FROM fire_hotspots").fetchone()[0])

    def hotspots(self, since: str | None = None, event_id: str | None = None) -> pd.DataFrame:
        """Hotspots (``id`` plus :data:`HOTSPOT_COLUMNS` and ``event_id``), by id."""
        sql, args = f"SELECT id, {', '.join(HOTSPOT_COLUMNS)}, event_id FROM fire_hotspots WHERE 1=1", []
        if since:
            sql += " AND acquired >= ?"
            args.append(since)
        if event_id:
            sql += " AND event_id = ?"
            args.append(event_id)
        rows = self.store.conn.execute(sql + " ORDER BY id", args).fetchall()
        return pd.DataFrame([tuple(r) for r in rows], columns=["id", *HOTSPOT_COLUMNS, "event_id"])

    def event_ids(self) -> set[str]:
        """Ids of the stored events."""
        return {r[0] for r in self.store.conn.execute("SELECT id FROM fire_events")}

    def replace_events(self, events: Sequence, hotspot_ids: np.ndarray, event_ids: np.ndarray,
                       since: str | None = None) -> None:
        """Replace every event (or those seen since ``since``) and assign hotspots, in one transaction."""
        now = _now()
        rows = [(e.id, e.start, e.last_seen, e.hotspots, e.frp_sum, e.frp_max, e.confidence_max,
                 json.dumps(e.sensors), *e.bbox, json.dumps(e.geometry), json.dumps(e.context),
                 int(bool(e.context.get("protected_areas"))), now) for e in events]
        with self.store.transaction() as c:
            if since:
                c.execute("DELETE FROM fire_events WHERE last_seen >= ?", (since,))
            else:
                c.execute("DELETE FROM fire_events")
            c.executemany(f"INSERT INTO fire_events({', '.join(EVENT_COLUMNS)}) VALUES "
                          f"({','.join('?' * len(EVENT_COLUMNS))})", rows)
            c.executemany("UPDATE fire_hotspots SET event_id=? WHERE id=?",
                          list(zip(event_ids.tolist(), np.asarray(hotspot_ids).tolist(), strict=True)))

    def find_events(self, *, bbox=None, since: str | None = None, until: str | None = None,
                    protected: bool | None = None, limit: int | None = None, offset: int = 0) -> list[dict]:
        """Events as dicts (see :class:`yvy.disaster.fires.FireEvent`), newest start first."""
        sql, args = self._where(bbox, since, until, protected)
        sql = f"SELECT * FROM fire_events{sql} ORDER BY start DESC, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [int(limit), int(offset)]
        return [self._event(r) for r in self.store.conn.execute(sql, args).fetchall()]

    def count_events(self, *, bbox=None, since=None, until=None, protected=None) -> int:
        """Number of events matching the filters of :meth:`find_events`."""
        sql, args = self._where(bbox, since, until, protected)
        return int(self.store.conn.execute(f"SELECT COUNT(*) FROM fire_events{sql}", args).fetchone()[0])

    def get_event(self, event_id: str) -> dict:
        """One event, or NotFoundError."""
        r = self.store.conn.execute("SELECT * FROM fire_events WHERE id=?", (event_id,)).fetchone()
        if r is None:
            raise NotFoundError(event_id, "no such fire event")
        return self._event(r)

    @staticmethod
    def _where(bbox, since, until, protected) -> tuple[str, list]:
        parts, args = [], []
        if bbox:
            parts.append("maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?")
            args += [bbox[0], bbox[2], bbox[1], bbox[3]]
        if since:
            parts.append("last_seen >= ?")
            args.append(since)
        if until:
            parts.append("start <= ?")
            args.append(until if len(until) > 10 else until + "T23:59:59Z")
        if protected is not None:
            parts.append("protected = ?")
            args.append(int(protected))
        return (" WHERE " + " AND ".join(parts) if parts else ""), args

    @staticmethod
    def _event(r) -> dict:
        return {"id": r["id"], "start": r["start"], "last_seen": r["last_seen"], "hotspots": r["hotspots"],
                "frp_sum": r["frp_sum"], "frp_max": r["frp_max"], "confidence_max": r["confidence_max"],
                "sensors": json.loads(r["sensors"]), "geometry": json.loads(r["geometry"]),
                "bbox": (r["minx"], r["miny"], r["maxx"], r["maxy"]), "context": json.loads(r["context"])}
