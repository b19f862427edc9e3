"""The :class:`yvy.alerts.ports.AlertStore` adapter over the workspace :class:`~yvy.storage.Store`
(SQLite or PostGIS: the same SQLAlchemy Core statements).

Geometries are stored as GeoJSON (WGS84) with bbox columns. On SQLite the R*Trees
(``alerts_rtree``, ``context_rtree``, kept in sync by triggers) prefilter bboxes and exact tests
are done with shapely; on PostGIS the generated ``geom`` columns carry GiST indexes and filters
are ``&&`` / ``ST_Intersects`` in SQL (GeoAlchemy2). The audit table is append-only through
triggers; the hash chain detects edits made around them. Read-check-write sequences (the audit
chain, a review's status check, alert ids, context layer names) lock only what they check.

Usage: ``SQLAlertStore(open_store(url))``.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator, Sequence

import shapely
import sqlalchemy as sa
from shapely.geometry import mapping, shape

from ..alerts.audit import AuditEntry, chain_entry
from ..alerts.context import ContextFeature, ContextLayer
from ..alerts.model import Alert, AlertStatus, Confidence
from ..alerts.ports import AlertQuery
from ..dates import now_iso
from ..errors import ConflictError, NotFoundError
from .schema import (
    alert_counters,
    alert_merges,
    alert_reviews,
    alert_runs,
    alerts,
    audit_log,
    context_features,
    context_layers,
    extent,
    stored_columns,
)
from .store import StoreAdapter, _dialect_insert, page
from .where import Terms, Where, geometry_of, intersecting, paged, text_of

__all__ = ["SQLAlertStore"]

_DOC_FIELDS = ("products", "context", "legal", "review", "merged_from", "confirm_optical", "confirm_radar",
               "pchange")
AUDIT_TOPIC = "alerts"
"""Lock topic of alert read-check-writes on PostgreSQL (the audit chain is one sequence)."""


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class SQLAlertStore(StoreAdapter):
    """Alerts, reviews, merges, context layers and the audit log in the workspace database."""

    def transaction(self):
        """Re-entrant write transaction of the underlying store."""
        return self.store.transaction()

    def _lock_if_writing(self) -> bool:
        """Inside a write transaction, take the alerts lock before reading (what is read is then
        checked and written back: a read-check-write); True when inside one."""
        c = getattr(self.store._local, "conn", None)
        if c is not None:
            self.store.serialise(c, AUDIT_TOPIC)
        return c is not None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[sa.Connection]:
        """A transaction holding the alerts lock (PostgreSQL; SQLite writers are serial)."""
        with self.transaction() as c:
            self.store.serialise(c, AUDIT_TOPIC)
            yield c

    # -- alerts ------------------------------------------------------------------------
    def next_alert_id(self, prefix: str, year: int) -> str:
        with self.transaction():
            n = self.store.fetch(_s_counter(self.store.dialect), {"prefix": prefix, "year": year, "last": 1})[0][0]
        return f"{prefix}-{year}-{n:06d}"

    @staticmethod
    def _values(a: Alert) -> dict:
        minx, miny, maxx, maxy = a.geometry.bounds
        doc = {k: getattr(a, k) for k in _DOC_FIELDS}
        doc["products"], doc["merged_from"] = list(a.products), list(a.merged_from)
        return {
            "id": a.id, "status": a.status.value, "confidence": a.confidence.value,
            "first_detected": a.first_detected, "last_detected": a.last_detected, "last_clear": a.last_clear,
            "confirm_count": int(a.confirm_count), "area_ha": float(a.area_ha), "magnitude": a.magnitude,
            "pixel_count": int(a.pixel_count), "observed_until": a.observed_until,
            "in_protected": int(bool((a.context or {}).get("protected_areas"))),
            "legal_flag": (a.legal or {}).get("flag"), "legal_rule": (a.legal or {}).get("rule"),
            "region": (a.legal or {}).get("region") or (a.context or {}).get("region"),
            "merged_into": a.merged_into, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
            "geometry": text_of(a.geometry) or _dumps(mapping(a.geometry)), "doc": _dumps(doc),
            "created": a.created or now_iso("microseconds"), "updated": a.updated or now_iso("microseconds"),
        }

    def insert_alert(self, alert: Alert) -> None:
        with self._locked():
            if self.store.fetch(_S_EXISTS, {"aid": alert.id}):
                raise ConflictError(alert.id, "alert already exists")
            self.store.fetch(_S_INSERT, self._values(alert))

    def update_alert(self, alert: Alert) -> None:
        v = self._values(alert)
        v.pop("created")
        v["aid"] = v.pop("id")
        with self._locked():
            if not self.store.fetch(_S_UPDATE, v):
                raise NotFoundError(alert.id, "no such alert")

    @staticmethod
    def _alert(row) -> Alert:
        doc = json.loads(row.doc)
        return Alert(
            id=row.id, geometry=geometry_of(row.geometry), area_ha=row.area_ha,
            first_detected=row.first_detected, last_clear=row.last_clear,
            confirm_count=row.confirm_count, confidence=Confidence(row.confidence),
            status=AlertStatus(row.status), magnitude=row.magnitude, pixel_count=row.pixel_count,
            last_detected=row.last_detected, observed_until=row.observed_until,
            products=tuple(doc.get("products", ())), context=doc.get("context") or {},
            legal=doc.get("legal") or {}, review=doc.get("review") or {}, merged_into=row.merged_into,
            merged_from=tuple(doc.get("merged_from", ())), created=row.created, updated=row.updated,
            confirm_optical=doc.get("confirm_optical"), confirm_radar=doc.get("confirm_radar"),
            pchange=doc.get("pchange"),
        )

    def get_alert(self, alert_id: str) -> Alert:
        """The alert; inside a transaction, it stays locked until the transaction ends."""
        rows = self.store.fetch(_s_get(self.store.dialect, self._lock_if_writing()), {"aid": alert_id})
        if not rows:
            raise NotFoundError(alert_id, "no such alert (see `yvy alerts list`)")
        return self._alert(rows[0])

    def _where(self, q: AlertQuery) -> Where:
        """The WHERE terms of ``q`` (:data:`_TERMS`)."""
        w = Where()
        w.term("ids", list(q.ids) if q.ids else None)
        w.term("status", [getattr(s, "value", s) for s in q.status] if q.status else None)
        w.term("confidence", getattr(q.confidence, "value", q.confidence) if q.confidence else None)
        w.term("since", q.since[:10] if q.since else None)
        w.term("until", q.until[:10] if q.until else None)
        w.term("changed_after", None if q.changed_after is None else int(q.changed_after))
        w.term("min_area_ha", None if q.min_area_ha is None else float(q.min_area_ha))
        w.term("in_protected", None if q.in_protected_area is None else int(bool(q.in_protected_area)))
        w.term("legal_flag", q.legal_flag or None)
        if not q.include_merged:
            w.add("unmerged")
        exact = _exact(q)
        if exact is not None:
            self.store.spatial_term(w, exact)
        return w

    def iter_alerts(self, query: AlertQuery | None = None) -> Iterator[Alert]:
        """Alerts matching ``query`` (generator), ordered by first detection then id."""
        q = query or AlertQuery()
        if self.store.exact_spatial or _exact(q) is None:
            self._lock_if_writing()
            w = self._where(q)
            stmt = _s_find(self.store.dialect, w.shape, q.limit is not None, bool(q.offset))
            yield from (self._alert(r) for r in self.store.fetch(stmt, w.page(q.limit, q.offset)))
        else:
            yield from (self._alert(r) for r in page(self._hits(q), q.offset, q.limit))

    def _hits(self, q: AlertQuery) -> list:
        """SQLite, a spatial query: the rows of the alerts that intersect it (unpaged)."""
        self._lock_if_writing()
        w = self._where(q)
        return list(intersecting(self.store.fetch(_s_find(self.store.dialect, w.shape, False, False), w.values),
                                 _exact(q)))

    def find_alerts(self, query: AlertQuery | None = None) -> list[Alert]:
        return list(self.iter_alerts(query))

    def count_alerts(self, query: AlertQuery | None = None) -> int:
        q = query or AlertQuery()
        return self.store.count(_TERMS, self._where(q), None if self.store.exact_spatial else _exact(q))

    def page_alerts(self, query: AlertQuery) -> tuple[int, list[Alert]]:
        if self.store.exact_spatial or _exact(query) is None:
            return self.count_alerts(query), self.find_alerts(query)
        hits = self._hits(query)  # one query and one geometry pass for both
        return len(hits), [self._alert(r) for r in page(hits, query.offset, query.limit)]

    def alert_extent(self) -> tuple[list[float] | None, str | None, str | None]:
        """(WGS84 bbox, first and last first-detection day) of the unmerged alerts."""
        a = alerts.c
        row = self.store._first(sa.select(*extent(alerts), sa.func.min(a.first_detected), sa.func.max(a.first_detected))
                                .where(a.merged_into.is_(None)))
        return (list(row[:4]) if row[0] is not None else None), row[4], row[5]

    def change_cursor(self) -> int:
        """The newest committed alert change (see :attr:`AlertQuery.changed_after`); inside a
        write transaction, read under the alerts lock (and this transaction's writes count)."""
        self._lock_if_writing()
        return int(self.store._first(sa.select(sa.func.coalesce(sa.func.max(alerts.c.change_seq), 0)))[0])

    def record_merge(self, survivor: str, absorbed: str, *, at: str, product_id: str | None) -> None:
        self.store.write(sa.insert(alert_merges).values(survivor=survivor, absorbed=absorbed, at=at,
                                                        product_id=product_id))

    def merges(self, alert_id: str) -> list[dict]:
        m = alert_merges.c
        rows = self.store._all(sa.select(m.survivor, m.absorbed, m.at, m.product_id)
                               .where(sa.or_(m.survivor == alert_id, m.absorbed == alert_id)).order_by(m.pk))
        return [r._asdict() for r in rows]

    def add_review(self, alert_id: str, *, at: str, by: str, payload: dict) -> None:
        with self.transaction():
            self.store.fetch(_S_INSERT_REVIEW, {
                "alert_id": alert_id, "at": at, "by_name": by, "from_status": payload["from"],
                "to_status": payload["to"], "reason": payload.get("reason"), "note": payload.get("note"),
                "authority": payload.get("authority"), "case_number": payload.get("case")})

    def reviews(self, alert_id: str) -> list[dict]:
        r = alert_reviews.c
        rows = self.store._all(sa.select(r.at, r.by_name.label("by"), r.from_status.label("from"),
                                         r.to_status.label("to"), r.reason, r.note, r.authority,
                                         r.case_number.label("case"))
                               .where(r.alert_id == alert_id).order_by(r.pk))
        return [row._asdict() for row in rows]

    def record_run(self, *, at: str, product_id: str, params: dict, summary: dict) -> None:
        self.store.write(sa.insert(alert_runs).values(at=at, product_id=product_id, params=_dumps(params),
                                                      summary=_dumps(summary)))

    def runs(self) -> list[dict]:
        """Alert-update runs, oldest first."""
        r = alert_runs.c
        rows = self.store._all(sa.select(r.at, r.product_id, r.params, r.summary).order_by(r.pk))
        return [{"at": at, "product_id": p, "params": json.loads(pa), "summary": json.loads(s)}
                for at, p, pa, s in rows]

    def field_reports(self, alert_id: str) -> list[dict]:
        """Field reports on the alert, oldest first (:class:`~.field_reports.SQLFieldReportStore`)."""
        from .field_reports import SQLFieldReportStore

        return SQLFieldReportStore(self.store).reports(alert_id)

    # -- audit ---------------------------------------------------------------------------
    @staticmethod
    def _entry(row) -> AuditEntry:
        return AuditEntry(seq=row.seq, at=row.at, actor=row.actor, alert_id=row.alert_id,
                          action=row.action, payload=json.loads(row.payload),
                          prev_hash=row.prev_hash, hash=row.hash)

    def append_audit(self, *, at: str, actor: str, alert_id: str | None, action: str,
                     payload: dict) -> AuditEntry:
        with self._locked():
            rows = self.store.fetch(_S_LAST_AUDIT, {})
            e = chain_entry(self._entry(rows[0]) if rows else None, at=at, actor=actor, alert_id=alert_id,
                            action=action, payload=payload)
            self.store.fetch(_S_INSERT_AUDIT, {"seq": e.seq, "at": e.at, "actor": e.actor, "alert_id": e.alert_id,
                                               "action": e.action, "payload": _dumps(e.payload),
                                               "prev_hash": e.prev_hash, "hash": e.hash})
        return e

    def iter_audit(self, alert_id: str | None = None) -> Iterator[AuditEntry]:
        stmt = sa.select(audit_log).order_by(audit_log.c.seq)
        if alert_id is not None:
            stmt = stmt.where(audit_log.c.alert_id == alert_id)
        yield from (self._entry(r) for r in self.store._all(stmt))

    # -- context layers --------------------------------------------------------------------
    def add_context_layer(self, layer: ContextLayer, *, replace: bool = False) -> int:
        lc = context_layers.c
        with self._locked() as c:
            old = c.execute(sa.select(lc.pk).where(lc.name == layer.name)).first()
            if old is not None:
                if not replace:
                    raise ConflictError(layer.name, "a context layer with this name exists; pass --replace "
                                                    "or choose another --name")
                c.execute(sa.delete(context_layers).where(lc.pk == old[0]))  # features cascade
            lpk = c.execute(sa.insert(context_layers).values(
                name=layer.name, kind=layer.kind, source=layer.source, source_crs=layer.source_crs,
                name_field=layer.name_field, features=len(layer.features), added=now_iso("microseconds"),
            ).returning(lc.pk)).scalar_one()
            if layer.features:
                c.execute(sa.insert(context_features), [
                    dict(zip(("minx", "miny", "maxx", "maxy"), f.geometry.bounds, strict=True), layer_pk=lpk,
                         name=f.name, props=_dumps(f.props), geometry=_dumps(mapping(f.geometry)))
                    for f in layer.features])
        return lpk

    def list_context_layers(self) -> list[dict]:
        lc = context_layers.c
        rows = self.store._all(sa.select(lc.name, lc.kind, lc.source, lc.source_crs, lc.name_field, lc.features,
                                         lc.added).order_by(lc.kind, lc.name))
        return [r._asdict() for r in rows]

    def remove_context_layer(self, name: str) -> None:
        if self.store.write(sa.delete(context_layers).where(context_layers.c.name == name)) == 0:
            raise NotFoundError(name, "no such context layer (see `yvy context list`)")

    def _features(self, *where, pk: bool = False, limit: int | None = None, offset: int = 0):
        f, lc = context_features.c, context_layers.c
        stmt = (sa.select(f.pk, lc.name, lc.kind, f.name.label("fname"), f.props, f.geometry)
                .join_from(context_features, context_layers).where(*where)
                .order_by(lc.name, f.pk).limit(limit).offset(offset or None))
        return [((r.pk,) if pk else ()) + (ContextFeature(r.name, r.kind, r.fname, shape(json.loads(r.geometry)),
                                                          json.loads(r.props)),) for r in self.store._all(stmt)]

    def context_features(self, *, kinds: Sequence[str] | None = None,
                         bbox: tuple[float, float, float, float] | None = None) -> list[ContextFeature]:
        where = [context_layers.c.kind.in_(list(kinds))] if kinds else []
        if bbox is not None:
            where.append(self.store.bbox_filter(context_features, bbox))
        return [f for (f,) in self._features(*where)]

    def layer_features(self, name: str, *, bbox=None, feature_key: int | None = None, limit: int | None = None,
                       offset: int = 0) -> list[tuple[int, ContextFeature]]:
        """(stable key, feature) of one layer, optionally within a bbox or by key, one page of them."""
        return self._features(*self._layer_where(name, bbox, feature_key), pk=True, limit=limit, offset=offset)

    def count_layer_features(self, name: str, *, bbox=None) -> int:
        """How many features :meth:`layer_features` would return without paging."""
        return self.store.count_rows(context_features.join(context_layers), *self._layer_where(name, bbox, None))

    def _layer_where(self, name: str, bbox, feature_key: int | None) -> list:
        where = [context_layers.c.name == name]
        if bbox is not None:
            where.append(self.store.bbox_filter(context_features, bbox))
        if feature_key is not None:
            where.append(context_features.c.pk == int(feature_key))
        return where

    def layer_bbox(self, name: str) -> list[float] | None:
        """WGS84 bbox of a context layer's features (None when it has none)."""
        row = self.store._first(sa.select(*extent(context_features)).join_from(context_features, context_layers)
                                .where(context_layers.c.name == name))
        return list(row) if row[0] is not None else None


# statements of the hot paths, built once (values are bound at execution)
_TERMS = Terms(
    alerts,
    ids=alerts.c.id.in_,
    status=alerts.c.status.in_,
    confidence=lambda p: alerts.c.confidence == p,
    since=lambda p: alerts.c.first_detected >= p,
    until=lambda p: alerts.c.first_detected <= p,
    changed_after=lambda p: alerts.c.change_seq > p,
    min_area_ha=lambda p: alerts.c.area_ha >= p,
    in_protected=lambda p: alerts.c.in_protected == p,
    legal_flag=lambda p: alerts.c.legal_flag == p,
    unmerged=lambda _: alerts.c.merged_into.is_(None),
)
"""AlertQuery filters -> their WHERE terms."""


@functools.lru_cache(maxsize=256)
def _s_find(dialect: str, shape: tuple[str, ...], limit: bool, offset: bool):
    stmt = _TERMS.select(dialect, shape, *stored_columns(alerts))
    return paged(stmt.order_by(alerts.c.first_detected, alerts.c.id), limit, offset)

@functools.cache
def _s_counter(dialect: str):
    stmt = _dialect_insert(dialect, alert_counters)
    return stmt.on_conflict_do_update(index_elements=["prefix", "year"],
                                      set_={"last": alert_counters.c.last + 1}).returning(alert_counters.c.last)

@functools.cache
def _s_get(dialect: str, for_update: bool):
    stmt = sa.select(*stored_columns(alerts)).where(alerts.c.id == sa.bindparam("aid"))
    return stmt.with_for_update() if for_update else stmt


def _next_change():
    """One more than the newest change number; commit-ordered because alert writers hold the
    alerts lock (PostgreSQL) or the database's write lock (SQLite) until they commit."""
    inner = sa.select(alerts.c.change_seq).order_by(alerts.c.change_seq.desc()).limit(1).scalar_subquery()
    return sa.select(sa.func.coalesce(inner, 0) + 1).scalar_subquery()


_S_EXISTS = sa.select(alerts.c.pk).where(alerts.c.id == sa.bindparam("aid"))
_S_INSERT = sa.insert(alerts).values(change_seq=_next_change())
_S_UPDATE = (sa.update(alerts).where(alerts.c.id == sa.bindparam("aid")).values(change_seq=_next_change())
             .returning(alerts.c.pk))
_S_LAST_AUDIT = sa.select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)
_S_INSERT_AUDIT = sa.insert(audit_log)
_S_INSERT_REVIEW = sa.insert(alert_reviews)


def _exact(q: AlertQuery):
    """The geometry a query must intersect (its ``intersects`` or its bbox), or None."""
    if q.intersects is not None:
        return q.intersects
    return shapely.box(*q.bbox) if q.bbox is not None else None
