"""Detections -> stored alerts with stable identity.

:func:`update_alerts` is what ``yvy detect`` and ``yvy monitor update`` call at the end: it
extracts candidate polygons from the detection layers and matches each with the stored alerts
it overlaps. No overlap: a new alert with a new id. One: that alert is updated (its geometry
grows to the union, dates widen, confirmations and confidence only go up). Several: they are
merged into the oldest one (earliest first detection, then lowest id), the others keep their
record with ``merged_into`` set and the merge is recorded. Re-running on the same detection
changes nothing. Every creation, change and merge is an audit entry (actor ``system``); each
candidate is one transaction (reviews go on between candidates).

The stored alerts are read once per update (those in the candidates' bounding box) and kept as
the update writes them; they are read again only when another writer changed alerts between
two candidates. A candidate is tested against an alert on the polygons and holes of both that
lie in the intersection of their boxes (a large alert is thousands of polygons), and the whole
geometries are overlaid only when that shared area is within 1e-6 of the matching threshold:
the decisions, and so the alerts, are those of overlaying the whole geometries.

Imports the domain only; receives the store as an :class:`~yvy.alerts.ports.AlertStore`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import shapely

from ..dates import now_iso
from . import _geo
from .context import annotate, border_geometry
from .model import Alert, Confidence
from .ports import AlertQuery, AlertStore
from .review import AUDIT_TIMESPEC
from .rules import Profile, evaluate_rules, load_profile
from .vectorize import AlertParams, Candidate, DetectionLayers, days_to_iso, extract_candidates

__all__ = ["AlertParams", "DetectionLayers", "confidence_of", "refresh_context", "update_alerts"]

SYSTEM = "system"


def confidence_of(confirm_count: int, params: AlertParams, pchange: float | None = None) -> Confidence:
    """The confidence rule: ``high`` when at least ``params.high_confidence_obs`` valid observations
    confirm the loss and, for a fused (bayts / sar) alert (``pchange`` not None), its median
    probability of change at confirmation is at least ``params.high_pchange``; else ``low``.

    For bayts the confirming observations are the dates from the flag to the confirmation plus
    later dates still showing non-forest, so 2 means the flag and at least one later confirming
    observation (optical or radar).
    """
    if confirm_count < params.high_confidence_obs:
        return Confidence.LOW
    if pchange is not None and not pchange >= params.high_pchange:
        return Confidence.LOW
    return Confidence.HIGH


def _fused_fields(alerts: list, cand: Candidate | None) -> dict:
    """Per-sensor counts and Pchange of a grown alert: the largest seen (None where none had one)."""
    out = {}
    for name in ("confirm_optical", "confirm_radar", "pchange"):
        vals = [getattr(a, name) for a in alerts if getattr(a, name) is not None]
        if cand is not None and getattr(cand, name) is not None:
            vals.append(getattr(cand, name))
        out[name] = max(vals) if vals else None
    return out


class _Context:
    """Context features and border loaded once per run, and the legal profile."""

    def __init__(self, store: AlertStore, profile: Profile):
        self.features = store.context_features()
        self.border = border_geometry(self.features)
        self.profile = profile

    def apply(self, alert: Alert) -> Alert:
        ctx = annotate(alert.geometry, self.features, border=self.border, region_field=self.profile.region_field)
        legal = evaluate_rules(self.profile, ctx, alert.first_detected)
        return alert.with_(context=ctx, legal=legal)


def _same(a, b) -> bool:
    """The same geometry, vertex for vertex (what a re-run or an update of an unchanged alert
    extracts): overlays on it would give it back."""
    return a.geom_type == b.geom_type and bool(shapely.equals_exact(a, b, tolerance=0.0))


def _covers(a, b) -> bool:
    shapely.prepare(a)  # kept on the (shared, immutable) stored geometry for the next candidate
    return bool(a.covers(b))


_MARGIN = 1e-6
"""Relative margin of the shared area computed on the geometries' local pieces: closer to the
threshold than this, it is computed as before, by one overlay of the whole geometries."""


class _Parts:
    """A geometry prepared for many tests, and its polygons and their holes with their boxes: a
    large alert is thousands of polygons, one with thousands of holes, and a candidate meets a
    few of them (overlays on the whole geometry cost as much as the whole geometry)."""

    def __init__(self, geom):
        self.geom = geom
        shapely.prepare(geom)
        self.size = int(shapely.get_num_coordinates(geom))
        self.parts = shapely.get_parts(geom)
        self.boxes = shapely.bounds(self.parts)
        self._rings: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def intersects(self, other: _Parts) -> bool:
        """Whether the two intersect (tested on the prepared one with more vertices)."""
        big, small = (self, other) if self.size >= other.size else (other, self)
        return bool(big.geom.intersects(small.geom))

    def local(self, box):
        """The geometry's points in ``box`` as a smaller geometry: the polygons whose box meets
        it, each with only the holes whose box meets it."""
        out = []
        for j in _meeting(self.boxes, box):
            p = self.parts[j]
            if shapely.get_num_interior_rings(p) == 0:
                out.append(p)
                continue
            if j not in self._rings:
                rings = shapely.get_rings(p)
                self._rings[j] = (rings, shapely.bounds(rings[1:]))
            rings, hboxes = self._rings[j]
            k = _meeting(hboxes, box)
            out.append(p if k.size == hboxes.shape[0] else shapely.Polygon(rings[0], holes=rings[1:][k]))
        return shapely.MultiPolygon(out) if len(out) != 1 else out[0]


def _meeting(boxes: np.ndarray, box) -> np.ndarray:
    """Indices of the ``boxes`` (n x 4) that meet ``box`` (minx, miny, maxx, maxy)."""
    return np.flatnonzero((boxes[:, 0] <= box[2]) & (boxes[:, 2] >= box[0])
                          & (boxes[:, 1] <= box[3]) & (boxes[:, 3] >= box[1]))


def _matches(a: Alert, ap: _Parts, cand: Candidate, cp: _Parts, params: AlertParams) -> bool:
    """Whether the candidate updates ``a`` (whose geometry intersects it): they share at least
    ``params.match_overlap`` of the smaller area (all of the candidate's area always counts).

    Both geometries meet only inside the intersection of their boxes, so the shared area is that
    of their local pieces there (:meth:`_Parts.local`); only when it is within :data:`_MARGIN` of
    the threshold does one overlay of the whole geometries decide, as it always did."""
    g, c = a.geometry, cand.geometry
    whole = cand.area_ha > 0 and params.match_overlap <= 1  # sharing all of its area is a match
    if whole and _same(g, c):
        return True
    if whole and cand.area_ha <= a.area_ha * (1 + _MARGIN) and g.covers(c):
        return True  # shares all of the candidate's area
    need = params.match_overlap * min(a.area_ha, cand.area_ha)
    if need > 0:
        gb, cb = g.bounds, c.bounds
        box = (max(gb[0], cb[0]), max(gb[1], cb[1]), min(gb[2], cb[2]), min(gb[3], cb[3]))
        shared = _geo.area_ha(ap.local(box).intersection(cp.local(box)))
        if shared >= need * (1 + _MARGIN):
            return True
        if shared < need * (1 - _MARGIN):
            return False
    if g.touches(c):  # borders only: no area shared
        return False
    inter = g.intersection(c)
    if inter.is_empty:
        return False
    shared = _geo.area_ha(inter)
    return shared > 0 and shared >= need


class _Live:
    """The unmerged alerts an update can match (those whose geometry intersects the candidates'
    bounding box), read once and kept as the update writes them: what
    :meth:`AlertStore.find_alerts` with ``intersects=`` would return for each candidate. They are
    read again only when another writer changed alerts between two candidates (a review): the
    store's change cursor, read under the alerts lock, says so."""

    def __init__(self, cands: list[Candidate]):
        self.alerts: dict[str, tuple[Alert, tuple, _Parts | None]] = {}
        self.cursor: int | None = None
        self.box = None
        if cands:
            b = shapely.bounds([c.geometry for c in cands])
            self.box = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))

    def refresh(self, store: AlertStore) -> None:
        """Inside the candidate's transaction: read the alerts again if anyone else wrote any."""
        cursor = store.change_cursor()
        if cursor == self.cursor:
            return
        old, self.alerts = self.alerts, {}
        for a in store.find_alerts(AlertQuery(bbox=self.box)):
            kept = old.get(a.id)
            if kept is not None and kept[0].geometry is a.geometry:  # the same text: prepared already
                self.alerts[a.id] = (a, kept[1], kept[2])
            else:
                self.put(a)
        self.cursor = cursor

    def put(self, a: Alert) -> None:
        self.alerts[a.id] = (a, a.geometry.bounds, None)

    def drop(self, alert_id: str) -> None:
        self.alerts.pop(alert_id, None)

    def matching(self, cand: Candidate, params: AlertParams) -> list[Alert]:
        """The alerts the candidate updates."""
        x0, y0, x1, y1 = cand.geometry.bounds
        cp = None
        out = []
        for aid, (a, box, ap) in list(self.alerts.items()):
            if box[0] > x1 or box[2] < x0 or box[1] > y1 or box[3] < y0:
                continue
            if ap is None:
                ap = _Parts(a.geometry)
                self.alerts[aid] = (a, box, ap)
            cp = cp or _Parts(cand.geometry)
            if ap.intersects(cp) and _matches(a, ap, cand, cp, params):
                out.append(a)
        return out


def _new_alert(store: AlertStore, cand: Candidate, layers: DetectionLayers, params: AlertParams, at: str) -> Alert:
    first = days_to_iso(cand.first_days)
    alert_id = store.next_alert_id(params.id_prefix, int(first[:4]))
    return Alert(
        id=alert_id, geometry=cand.geometry, area_ha=cand.area_ha, first_detected=first,
        last_clear=days_to_iso(cand.last_clear_days), confirm_count=cand.confirm_count,
        confidence=confidence_of(cand.confirm_count, params, cand.pchange), magnitude=cand.magnitude,
        pixel_count=cand.pixel_count, last_detected=days_to_iso(cand.last_days),
        observed_until=days_to_iso(layers.observed_until_days), products=(layers.product_id,),
        created=at, updated=at, confirm_optical=cand.confirm_optical, confirm_radar=cand.confirm_radar,
        pchange=cand.pchange,
    )


def _grow(base: Alert, others: list[Alert], cand: Candidate, layers: DetectionLayers,
          params: AlertParams) -> Alert:
    """``base`` after absorbing ``others`` and the candidate (monotonic: nothing shrinks)."""
    if not others and (_same(base.geometry, cand.geometry) or _covers(base.geometry, cand.geometry)):
        geom, area = base.geometry, base.area_ha  # candidate inside the alert: keep it bit-identical
    else:
        geom = shapely.normalize(shapely.union_all([base.geometry, cand.geometry, *(o.geometry for o in others)]))
        area = _geo.area_ha(geom)
        if area <= base.area_ha * (1 + 1e-9) and not others:
            geom, area = base.geometry, base.area_ha  # candidate inside the alert: keep it bit-identical
    firsts = [(base.first_detected, base.last_clear)] + [(o.first_detected, o.last_clear) for o in others]
    firsts.append((days_to_iso(cand.first_days), days_to_iso(cand.last_clear_days)))
    first, last_clear = min(firsts, key=lambda t: t[0])
    lasts = [d for d in [base.last_detected, days_to_iso(cand.last_days), *(o.last_detected for o in others)] if d]
    confirm = max([base.confirm_count, cand.confirm_count, *(o.confirm_count for o in others)])
    products = tuple(dict.fromkeys([*base.products, *(p for o in others for p in o.products), layers.product_id]))
    obs = [d for d in [base.observed_until, days_to_iso(layers.observed_until_days)] if d]
    fused = _fused_fields([base, *others], cand)
    conf = confidence_of(confirm, params, fused["pchange"])
    if any(a.confidence == Confidence.HIGH for a in (base, *others)):
        conf = Confidence.HIGH  # confidence only goes up
    return base.with_(
        geometry=geom, area_ha=area, first_detected=first, last_clear=last_clear,
        last_detected=max(lasts) if lasts else None, confirm_count=confirm, **fused,
        confidence=conf, magnitude=cand.magnitude if area > base.area_ha else base.magnitude,
        pixel_count=max(base.pixel_count, cand.pixel_count) if not others
        else base.pixel_count + sum(o.pixel_count for o in others),
        observed_until=max(obs) if obs else None, products=products,
        merged_from=tuple(dict.fromkeys([*base.merged_from, *(o.id for o in others)])),
    )


_TRACKED = ("area_ha", "first_detected", "last_clear", "last_detected", "confirm_count", "confidence",
            "observed_until", "products", "merged_from", "confirm_optical", "confirm_radar", "pchange")


def _changes(old: Alert, new: Alert) -> dict:
    out = {}
    for name in _TRACKED:
        a, b = getattr(old, name), getattr(new, name)
        if name == "area_ha":
            if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
                out[name] = [round(a, 6), round(b, 6)]
        elif a != b:
            out[name] = [getattr(a, "value", a) if not isinstance(a, tuple) else list(a),
                         getattr(b, "value", b) if not isinstance(b, tuple) else list(b)]
    if old.legal.get("flag") != new.legal.get("flag") or old.legal.get("rule") != new.legal.get("rule"):
        out["legal"] = [[old.legal.get("flag"), old.legal.get("rule")], [new.legal.get("flag"), new.legal.get("rule")]]
    return out


def update_alerts(store: AlertStore, layers: DetectionLayers, params: AlertParams | None = None, *,
                  profile: Profile | str = "paraguay",
                  progress: Callable[[int, int], None] | None = None) -> dict:
    """Create, grow and merge alerts from one detection; return a summary.

    Parameters
    ----------
    store
        An :class:`~yvy.alerts.ports.AlertStore`, e.g.
        ``yvy.storage.alerts.SQLAlertStore(open_store(url))``.
    layers
        The detection rasters of one run (:class:`DetectionLayers`).
    params
        :class:`AlertParams` (window, loss threshold, minimum mapping unit, ...).
    profile
        Legal-rule profile (name of a packaged profile or a TOML path, or a loaded Profile).
    progress
        Optional ``callback(done, total)`` over candidates.

    Returns
    -------
    dict
        ``candidates``, ``created``, ``updated``, ``unchanged``, ``merged`` (counts), ``ids``
        (created and updated ids), ``product_id``.
    """
    if not isinstance(store, AlertStore):
        raise TypeError("update_alerts needs an AlertStore; wrap the catalog store with "
                        "yvy.storage.alerts.SQLAlertStore(store)")
    params = params or AlertParams()
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    cands = extract_candidates(layers, params)
    summary = {"product_id": layers.product_id, "candidates": len(cands), "created": 0, "updated": 0,
               "unchanged": 0, "merged": 0, "ids": []}
    at = now_iso(AUDIT_TIMESPEC)
    ctx = _Context(store, prof)
    live = _Live(cands)
    for i, cand in enumerate(cands):
        with store.transaction():  # one candidate at a time: reviews go on between candidates
            live.refresh(store)
            _apply_candidate(store, live, cand, layers, params, ctx, at, summary)
            live.cursor = store.change_cursor()
        if progress:
            progress(i + 1, len(cands))
    with store.transaction():
        run_params = {k: v for k, v in asdict(params).items() if k != "extra"}
        run_params["forest_mask"] = layers.forest_source if layers.forest is not None else None
        store.record_run(at=at, product_id=layers.product_id, params=run_params,
                         summary={k: v for k, v in summary.items() if k != "ids"})
    return summary


def _apply_candidate(store, live: _Live, cand, layers, params, ctx: _Context, at: str, summary: dict) -> None:
    matches = live.matching(cand, params)
    if not matches:
        alert = ctx.apply(_new_alert(store, cand, layers, params, at))
        store.insert_alert(alert)
        live.put(alert)
        store.append_audit(at=at, actor=SYSTEM, alert_id=alert.id, action="created",
                           payload={"product_id": layers.product_id, "area_ha": round(alert.area_ha, 6),
                                    "first_detected": alert.first_detected, "confidence": alert.confidence.value,
                                    "legal": [alert.legal.get("flag"), alert.legal.get("rule")]})
        summary["created"] += 1
        summary["ids"].append(alert.id)
        return
    matches.sort(key=lambda a: (a.first_detected, a.id))
    base, others = matches[0], matches[1:]
    grown = _grow(base, others, cand, layers, params)
    if grown.geometry is not base.geometry or grown.first_detected != base.first_detected:
        grown = ctx.apply(grown)
    changes = _changes(base, grown)
    if not changes:
        summary["unchanged"] += 1
        return
    grown = grown.with_(updated=at)
    store.update_alert(grown)
    live.put(grown)
    for o in others:
        store.update_alert(o.with_(merged_into=base.id, updated=at))
        live.drop(o.id)
        store.record_merge(base.id, o.id, at=at, product_id=layers.product_id)
        store.append_audit(at=at, actor=SYSTEM, alert_id=o.id, action="merged",
                           payload={"into": base.id, "product_id": layers.product_id})
        summary["merged"] += 1
    store.append_audit(at=at, actor=SYSTEM, alert_id=base.id, action="updated",
                       payload={"product_id": layers.product_id, "changes": changes})
    summary["updated"] += 1
    summary["ids"].append(base.id)


def refresh_context(store: AlertStore, profile: Profile | str = "paraguay", *, actor: str = SYSTEM) -> dict:
    """Recompute context and legal flags of every alert (after context layers change).

    A change of legal flag or rule is an audit entry. Returns ``{"alerts": n, "changed": m}``.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    at = now_iso(AUDIT_TIMESPEC)
    n = changed = 0
    with store.transaction():
        ctx = _Context(store, prof)
        for a in store.find_alerts(AlertQuery()):
            n += 1
            new = ctx.apply(a)
            if new.context == a.context and new.legal == a.legal:
                continue
            changed += 1
            store.update_alert(new.with_(updated=at))
            if (a.legal.get("flag"), a.legal.get("rule")) != (new.legal.get("flag"), new.legal.get("rule")):
                store.append_audit(at=at, actor=actor, alert_id=a.id, action="context",
                                   payload={"legal": [[a.legal.get("flag"), a.legal.get("rule")],
                                                      [new.legal.get("flag"), new.legal.get("rule")]]})
    return {"alerts": n, "changed": changed}
