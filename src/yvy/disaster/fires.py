"""Fire events from active-fire hotspots: DBSCAN in space and time, event attributes and context.

Hotspots (see :mod:`.firms`) are clustered with scikit-learn's DBSCAN on a sparse precomputed
graph: neighbours within ``eps_km`` on the sphere (a haversine BallTree radius query) whose
acquisitions are at most ``max_gap_hours`` apart. With ``min_samples=1`` (the default) every
hotspot belongs to an event, and an event is a chain of hotspots each near another in space and
time. An event's id is ``FIRE-<start date>-<id of its first hotspot>``: stable when later
downloads extend it; when two events merge, the older id survives.

Each event carries start / last seen, hotspot count, FRP sum and maximum, sensors, a polygon (the
convex hull of the hotspots grown by half a pixel) and, from context layers, departments,
protected areas and distance to the national border (:func:`yvy.alerts.context.annotate`).

Imports numpy, pandas, scikit-learn, shapely; never click or storage.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import shapely

from ..errors import InputError

__all__ = ["ClusterParams", "FireEvent", "FireStore", "build_events", "cluster_hotspots", "webhook_payload"]

EARTH_KM = 6371.0088
PIXEL_KM = {"MODIS": 1.0, "VIIRS": 0.375}
PROTECTED_EVENT = "fire.protected_area"
"""Webhook event sent when a new fire event starts inside a protected area."""


@dataclass(frozen=True)
class ClusterParams:
    """DBSCAN neighbourhood in space (km on the sphere) and time (hours)."""

    eps_km: float = 2.0
    max_gap_hours: float = 48.0
    min_samples: int = 1
    workers: int = 2
    """Threads for the neighbour search (scikit-learn ``n_jobs``)."""

    def __post_init__(self):
        if not (self.eps_km > 0 and self.max_gap_hours > 0 and self.min_samples >= 1):
            raise InputError("cluster", "eps_km and max_gap_hours must be > 0, min_samples >= 1")


@dataclass
class FireEvent:
    """One fire: a cluster of hotspots."""

    id: str
    start: str
    last_seen: str
    hotspots: int
    frp_sum: float
    frp_max: float
    confidence_max: int
    sensors: list[str]
    geometry: dict
    bbox: tuple[float, float, float, float]
    context: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form (``end`` = last seen; departments and protected areas flattened)."""
        d = asdict(self)
        d["end"] = self.last_seen
        d["departments"] = [a["name"] for a in self.context.get("admin", [])]
        d["protected_areas"] = [a["name"] for a in self.context.get("protected_areas", [])]
        d["border_km"] = self.context.get("border_km")
        return d

    def to_feature(self) -> dict:
        """A GeoJSON Feature."""
        props = {k: v for k, v in self.to_dict().items() if k not in ("geometry", "bbox", "id")}
        return {"type": "Feature", "id": self.id, "geometry": self.geometry, "bbox": list(self.bbox),
                "properties": props}

    @classmethod
    def from_dict(cls, d: dict) -> FireEvent:
        """Inverse of :meth:`to_dict`."""
        names = cls.__dataclass_fields__
        d = {k: v for k, v in d.items() if k in names}
        d["bbox"] = tuple(d["bbox"])
        return cls(**d)


class FireStore(Protocol):
    """What fire ingest needs from storage (implemented in :mod:`yvy.storage.fires`)."""

    def add_hotspots(self, df: pd.DataFrame) -> int:
        """Insert new hotspots (duplicates by the FIRMS key ignored); the count inserted."""

    def hotspots(self, since: str | None = None) -> pd.DataFrame:
        """Hotspots (with their ``id``) acquired at or after ``since``, by id."""

    def replace_events(self, events: Sequence[FireEvent], hotspot_ids: np.ndarray, event_ids: np.ndarray,
                       since: str | None = None) -> None:
        """Replace the events touching hotspots since ``since`` and assign hotspots to events."""

    def event_ids(self) -> set[str]:
        """Ids of the stored events."""


def cluster_hotspots(lat: np.ndarray, lon: np.ndarray, t_hours: np.ndarray,
                     params: ClusterParams | None = None) -> np.ndarray:
    """DBSCAN labels of hotspots in space (haversine) and time.

    Parameters
    ----------
    lat, lon
        Degrees.
    t_hours
        Acquisition time in hours (any origin).

    Returns
    -------
    numpy.ndarray
        int labels, one per hotspot; -1 is noise (only with ``min_samples > 1``).
    """
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    params = params or ClusterParams()
    n = len(lat)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    eps = params.eps_km / EARTH_KM
    nn = NearestNeighbors(radius=eps, metric="haversine", algorithm="ball_tree", n_jobs=params.workers)
    graph = nn.fit(np.radians(np.column_stack([lat, lon]))).radius_neighbors_graph(mode="distance",
                                                                                   sort_results=True)
    rows = np.repeat(np.arange(n), np.diff(graph.indptr))
    t = np.asarray(t_hours, dtype=float)
    # stored entries are the neighbours: +tiny keeps co-located hotspots (distance 0) as entries,
    # and neighbours too far apart in time are dropped
    graph.data = np.where(np.abs(t[rows] - t[graph.indices]) <= params.max_gap_hours, graph.data + 1e-12, 0.0)
    graph.eliminate_zeros()
    return DBSCAN(eps=eps + 1e-12, min_samples=params.min_samples, metric="precomputed").fit_predict(graph)


def build_events(hotspots: pd.DataFrame, labels: np.ndarray, *, context=None) -> list[FireEvent]:
    """One :class:`FireEvent` per cluster label (noise, -1, skipped).

    ``hotspots`` needs ``id``, ``latitude``, ``longitude``, ``acquired``, ``frp``, ``confidence``
    and ``sensor``; ``context`` is a sequence of :class:`~yvy.alerts.context.ContextFeature`.
    """
    from ._context import overlay

    df = hotspots.assign(label=labels)
    df = df[df["label"] >= 0].sort_values(["acquired", "id"])
    if df.empty:
        return []
    df["frp"] = df["frp"].astype(float)
    df["half_km"] = df["sensor"].map(PIXEL_KM).fillna(1.0) / 2
    agg = df.groupby("label", sort=False).agg(
        first_id=("id", "first"), start=("acquired", "first"), last_seen=("acquired", "last"),
        hotspots=("id", "size"), frp_sum=("frp", "sum"), frp_max=("frp", "max"),
        confidence_max=("confidence", "max"), half_km=("half_km", "max"), lat=("latitude", "mean"))
    sensors = df.groupby("label", sort=False)["sensor"].unique()
    geoms = _footprints(df, agg)
    events = []
    for row, geom, sens in zip(agg.itertuples(), geoms, sensors.loc[agg.index], strict=True):
        events.append(FireEvent(
            id=_event_id(row.start, row.first_id), start=str(row.start), last_seen=str(row.last_seen),
            hotspots=int(row.hotspots), frp_sum=round(float(row.frp_sum), 2),
            frp_max=round(float(0.0 if row.frp_max != row.frp_max else row.frp_max), 2),
            confidence_max=int(row.confidence_max), sensors=sorted(sens), geometry=geom,
            bbox=tuple(round(float(v), 6) for v in geom.bounds)))
    if context:
        for ev, ctx in zip(events, overlay(geoms, context), strict=True):
            ev.context = ctx
    for ev in events:
        ev.geometry = shapely.geometry.mapping(ev.geometry)
    return events


def _footprints(df: pd.DataFrame, agg: pd.DataFrame) -> np.ndarray:
    """Per event: convex hull of its hotspots grown by half its largest pixel, all events at once.

    The hull is grown in a frame where one unit is half a pixel on both axes (degrees of
    longitude shrink with latitude), so the buffer is round on the ground.
    """
    order = {lab: i for i, lab in enumerate(agg.index)}
    idx = df["label"].map(order).to_numpy()
    dlat = agg["half_km"].to_numpy() / 111.32
    dlon = dlat / np.maximum(np.cos(np.radians(agg["lat"].to_numpy())), 0.05)
    scale = np.column_stack([dlon, dlat])
    xy = np.column_stack([df["longitude"].to_numpy(float), df["latitude"].to_numpy(float)]) / scale[idx]
    o = np.argsort(idx, kind="stable")
    hulls = shapely.convex_hull(shapely.multipoints(shapely.points(xy[o]), indices=idx[o]))
    grown = shapely.buffer(hulls, 1.0, quad_segs=4)
    coords, owner = shapely.get_coordinates(grown, return_index=True)
    return shapely.set_precision(shapely.set_coordinates(grown, coords * scale[owner]), 1e-6)


def hours(acquired: pd.Series) -> np.ndarray:
    """Hours since 1970 of ISO UTC timestamps."""
    t = pd.to_datetime(acquired, utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return (t.astype("int64") // 10**9).to_numpy() / 3600.0


def webhook_payload(event: FireEvent, webhook_id: int, root: str | None = None, locale: str = "es_PY") -> str:
    """The signed JSON body announcing a fire that started in a protected area, with a ``title`` and
    ``summary`` in ``locale``'s language (as alert notifications carry)."""
    from ..i18n import translator
    from ._feed_text import fire_summary

    tr = translator(locale)
    body = {"event": PROTECTED_EVENT, "webhook": webhook_id, "fire": event.to_feature(), "lang": tr.lang,
            "title": event.id, "summary": fire_summary(event.to_dict(), tr)}
    if root:
        body["links"] = {"fire": f"{root}/features/collections/fires/items/{event.id}"}
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


@dataclass
class IngestResult:
    """What :func:`ingest_fires` did."""

    files: int
    rows: int
    inserted: int
    events: int
    new_events: list[str]
    notified: int

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def ingest_fires(paths, store: FireStore, *, context=(), feeds=None, params: ClusterParams | None = None,
                 root: str | None = None, progress=None, locale: str = "es_PY") -> IngestResult:
    """Read FIRMS files, store new hotspots, re-cluster them into events, notify webhooks.

    Every stored hotspot is re-clustered (a season of a country is a few hundred thousand
    hotspots, seconds of work), so events stay the same whatever order files arrive in.
    ``feeds`` (a :class:`yvy.storage.feeds.SQLFeedStore`) gets one ``fire.protected_area``
    delivery per active webhook whose area a *new* event touches, when the event touches a
    protected area; its ``title`` and ``summary`` are in ``locale``'s language (the workspace's).
    """
    from .firms import read_many

    paths = list(paths)
    df = read_many(paths)
    inserted = store.add_hotspots(df)
    if progress:
        progress(1, 3, "clustering")
    hs = store.hotspots()
    labels = cluster_hotspots(hs["latitude"].to_numpy(float), hs["longitude"].to_numpy(float),
                              hours(hs["acquired"]), params)
    events = build_events(hs, labels, context=list(context))
    if progress:
        progress(2, 3, "storing events")
    old = store.event_ids()
    store.replace_events(events, hs["id"].to_numpy(), event_id_of_rows(hs, labels))
    new = [e for e in events if e.id not in old]
    notified = notify_protected(new, feeds, root, locale) if feeds is not None else 0
    if progress:
        progress(3, 3, "done")
    return IngestResult(len(paths), len(df), inserted, len(events), [e.id for e in new], notified)


def event_id_of_rows(hotspots: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """The event id of each hotspot row (None for noise): ``FIRE-<start date>-<first hotspot id>``."""
    df = hotspots.assign(label=labels)
    first = df[df["label"] >= 0].sort_values(["acquired", "id"]).drop_duplicates("label")
    ids = {lab: _event_id(acq, hid) for lab, acq, hid in zip(first["label"], first["acquired"], first["id"],
                                                               strict=True)}
    return np.array([ids.get(lab) for lab in labels], dtype=object)


def _event_id(acquired: str, hotspot_id) -> str:
    return f"FIRE-{acquired[:10].replace('-', '')}-{int(hotspot_id)}"


def notify_protected(events: Sequence[FireEvent], feeds, root: str | None = None, locale: str = "es_PY") -> int:
    """Queue a ``fire.protected_area`` delivery per (active webhook, new event in a protected area)."""
    hot = [e for e in events if e.context.get("protected_areas")]
    if not hot:
        return 0
    queued = 0
    for hook in feeds.list_webhooks(active_only=True):
        area = shapely.geometry.shape(hook.area) if hook.area else None
        for ev in hot:
            if area is None or area.intersects(shapely.geometry.shape(ev.geometry)):
                queued += feeds.enqueue(hook.id, ev.id, PROTECTED_EVENT, webhook_payload(ev, hook.id, root, locale))
    return queued
