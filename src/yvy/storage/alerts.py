"""The :class:`yvy.alerts.ports.AlertStore` adapter over the workspace :class:`~yvy.storage.Store`
(SQLite or PostGIS: the same SQL, with the engine's dialect hooks where they differ).

Tables come from migration ``0002_alerts``. Geometries are stored as GeoJSON (WGS84) with bbox
columns. On SQLite, R*Trees (``alerts_rtree``, ``context_rtree``) index the bboxes and exact
tests are done with shapely after the index lookup; on PostGIS, ``geom`` columns
(``geometry(Geometry, 4326)``, generated from the GeoJSON) carry GiST indexes and filters are
``&&`` / ``ST_Intersects`` in SQL. The audit table is made append-only with triggers (re-created
here when missing); the hash chain detects edits made around them.

Usage: ``SQLAlertStore(open_store(url))`` (``SQLiteAlertStore`` is the same class).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import shapely
from shapely.geometry import mapping, shape

from ..alerts.audit import AuditEntry, chain_entry
from ..alerts.context import ContextFeature, ContextLayer
from ..alerts.model import Alert, AlertStatus, Confidence
from ..alerts.ports import AlertQuery
from ..errors import ConflictError, NotFoundError
from ._engine import in_clause
from .store import Store, _now, page

__all__ = ["PostGISAlertStore", "SQLAlertStore", "SQLiteAlertStore"]

_ALERT_COLUMNS = (
    "a.pk, a.id, a.status, a.confidence, a.first_detected, a.last_detected, a.last_clear, "
    "a.confirm_count, a.area_ha, a.magnitude, a.pixel_count, a.observed_until, a.in_protected, "
    "a.legal_flag, a.legal_rule, a.region, a.merged_into, a.minx, a.miny, a.maxx, a.maxy, "
    "a.geometry, a.doc, a.created, a.updated"
)

_DOC_FIELDS = ("products", "context", "legal", "review", "merged_from", "confirm_optical", "confirm_radar", "pchange")


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class SQLAlertStore:
    """Alerts, reviews, merges, context layers and the audit log in the workspace database."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine
        ddl = self.engine.append_only_ddl("audit_log")
        if not all(self.engine.has_trigger(store.conn, name) for name, _ in ddl):
            with store.transaction() as c:
                for name, sql in ddl:
                    if not self.engine.has_trigger(c, name):
                        c.execute(sql)

    @property
    def conn(self):
        return self.store.conn

    def transaction(self):
        """Re-entrant BEGIN IMMEDIATE transaction of the underlying store."""
        return self.store.transaction()

    # -- alerts ------------------------------------------------------------------------
    def next_alert_id(self, prefix: str, year: int) -> str:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO alert_counters(prefix, year, last) VALUES (?,?,1) "
                "ON CONFLICT(prefix, year) DO UPDATE SET last = alert_counters.last + 1",
                (prefix, year),
            )
            n = c.execute("SELECT last FROM alert_counters WHERE prefix=? AND year=?", (prefix, year)).fetchone()[0]
        return f"{prefix}-{year}-{n:06d}"

    def _values(self, a: Alert) -> dict:
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
            "geometry": _dumps(mapping(a.geometry)), "doc": _dumps(doc),
            "created": a.created or _now(), "updated": a.updated or _now(),
        }

    def insert_alert(self, alert: Alert) -> None:
        v = self._values(alert)
        cols = ", ".join(v)
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM alerts WHERE id=?", (alert.id,)).fetchone():
                raise ConflictError(alert.id, "alert already exists")
            pk = c.execute(f"INSERT INTO alerts({cols}) VALUES ({', '.join('?' * len(v))}) RETURNING pk",
                           list(v.values())).fetchone()[0]
            self.engine.index_bounds(c, "alerts", pk, (v["minx"], v["miny"], v["maxx"], v["maxy"]))

    def update_alert(self, alert: Alert) -> None:
        v = self._values(alert)
        v.pop("created")
        sets = ", ".join(f"{k}=?" for k in v if k != "id")
        with self.transaction() as c:
            row = c.execute("SELECT pk FROM alerts WHERE id=?", (alert.id,)).fetchone()
            if row is None:
                raise NotFoundError(alert.id, "no such alert")
            c.execute(f"UPDATE alerts SET {sets} WHERE pk=?", [x for k, x in v.items() if k != "id"] + [row[0]])
            self.engine.unindex(c, "alerts", "pk=?", (row[0],))
            self.engine.index_bounds(c, "alerts", row[0], (v["minx"], v["miny"], v["maxx"], v["maxy"]))

    @staticmethod
    def _alert(row) -> Alert:
        doc = json.loads(row["doc"])
        return Alert(
            id=row["id"], geometry=shape(json.loads(row["geometry"])), area_ha=row["area_ha"],
            first_detected=row["first_detected"], last_clear=row["last_clear"],
            confirm_count=row["confirm_count"], confidence=Confidence(row["confidence"]),
            status=AlertStatus(row["status"]), magnitude=row["magnitude"], pixel_count=row["pixel_count"],
            last_detected=row["last_detected"], observed_until=row["observed_until"],
            products=tuple(doc.get("products", ())), context=doc.get("context") or {},
            legal=doc.get("legal") or {}, review=doc.get("review") or {}, merged_into=row["merged_into"],
            merged_from=tuple(doc.get("merged_from", ())), created=row["created"], updated=row["updated"],
            confirm_optical=doc.get("confirm_optical"), confirm_radar=doc.get("confirm_radar"),
            pchange=doc.get("pchange"),
        )

    def get_alert(self, alert_id: str) -> Alert:
        row = self.conn.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts a WHERE a.id=?", (alert_id,)).fetchone()
        if row is None:
            raise NotFoundError(alert_id, "no such alert (see `yvy alerts list`)")
        return self._alert(row)

    def _where(self, q: AlertQuery) -> tuple[str, list]:
        clauses, args = [], []
        for column, values in (("a.id", q.ids),
                               ("a.status", [getattr(s, "value", s) for s in q.status or ()])):
            if values:
                sql, vals = in_clause(column, values)
                clauses.append(sql)
                args += vals
        if q.confidence:
            clauses.append("a.confidence = ?")
            args.append(getattr(q.confidence, "value", q.confidence))
        if q.since:
            clauses.append("a.first_detected >= ?")
            args.append(q.since[:10])
        if q.until:
            clauses.append("a.first_detected <= ?")
            args.append(q.until[:10])
        if q.min_area_ha is not None:
            clauses.append("a.area_ha >= ?")
            args.append(float(q.min_area_ha))
        if q.in_protected_area is not None:
            clauses.append("a.in_protected = ?")
            args.append(int(bool(q.in_protected_area)))
        if q.legal_flag:
            clauses.append("a.legal_flag = ?")
            args.append(q.legal_flag)
        if not q.include_merged:
            clauses.append("a.merged_into IS NULL")
        exact = _exact(q)
        if exact is not None:
            sql, a = (self.engine.intersects_clause("a", "alerts", exact)
                      or self.engine.bbox_clause("a", "alerts", exact.bounds))
            clauses.append(sql)
            args += a
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def iter_alerts(self, query: AlertQuery | None = None) -> Iterator[Alert]:
        """Alerts matching ``query`` (generator), ordered by first detection then id."""
        q = query or AlertQuery()
        where, args = self._where(q)
        sql = f"SELECT {_ALERT_COLUMNS} FROM alerts a{where} ORDER BY a.first_detected, a.id"
        exact = None if self.engine.exact_spatial else _exact(q)
        if exact is None:
            lim, a = self.engine.limit_clause(q.limit, q.offset)
            for row in self.conn.execute(sql + lim, [*args, *a]).fetchall():
                yield self._alert(row)
            return
        alerts = (self._alert(row) for row in self.conn.execute(sql, args).fetchall())
        yield from page((a for a in alerts if a.geometry.intersects(exact)), q.offset, q.limit)

    def find_alerts(self, query: AlertQuery | None = None) -> list[Alert]:
        return list(self.iter_alerts(query))

    def count_alerts(self, query: AlertQuery | None = None) -> int:
        from dataclasses import replace

        q = query or AlertQuery()
        if _exact(q) is None or self.engine.exact_spatial:
            where, args = self._where(q)
            return int(self.conn.execute(f"SELECT COUNT(*) FROM alerts a{where}", args).fetchone()[0])
        return sum(1 for _ in self.iter_alerts(replace(q, limit=None, offset=0)))

    def record_merge(self, survivor: str, absorbed: str, *, at: str, product_id: str | None) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO alert_merges(survivor, absorbed, at, product_id) VALUES (?,?,?,?)",
                      (survivor, absorbed, at, product_id))

    def merges(self, alert_id: str) -> list[dict]:
        rows = self.conn.execute(
            "SELECT survivor, absorbed, at, product_id FROM alert_merges WHERE survivor=? OR absorbed=? "
            "ORDER BY pk", (alert_id, alert_id)).fetchall()
        return [dict(r) for r in rows]

    def add_review(self, alert_id: str, *, at: str, by: str, payload: dict) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO alert_reviews(alert_id, at, by_name, from_status, to_status, reason, note, "
                "authority, case_number) VALUES (?,?,?,?,?,?,?,?,?)",
                (alert_id, at, by, payload["from"], payload["to"], payload.get("reason"), payload.get("note"),
                 payload.get("authority"), payload.get("case")),
            )

    def reviews(self, alert_id: str) -> list[dict]:
        rows = self.conn.execute(
            'SELECT at, by_name AS "by", from_status AS "from", to_status AS "to", reason, note, authority, '
            'case_number AS "case" FROM alert_reviews WHERE alert_id=? ORDER BY pk', (alert_id,)).fetchall()
        return [dict(r) for r in rows]

    def record_run(self, *, at: str, product_id: str, params: dict, summary: dict) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO alert_runs(at, product_id, params, summary) VALUES (?,?,?,?)",
                      (at, product_id, _dumps(params), _dumps(summary)))

    def runs(self) -> list[dict]:
        """Alert-update runs, oldest first."""
        rows = self.conn.execute("SELECT at, product_id, params, summary FROM alert_runs ORDER BY pk").fetchall()
        return [{"at": r[0], "product_id": r[1], "params": json.loads(r[2]), "summary": json.loads(r[3])}
                for r in rows]

    # -- audit ---------------------------------------------------------------------------
    @staticmethod
    def _entry(row) -> AuditEntry:
        return AuditEntry(seq=row["seq"], at=row["at"], actor=row["actor"], alert_id=row["alert_id"],
                          action=row["action"], payload=json.loads(row["payload"]),
                          prev_hash=row["prev_hash"], hash=row["hash"])

    def append_audit(self, *, at: str, actor: str, alert_id: str | None, action: str,
                     payload: dict) -> AuditEntry:
        with self.transaction() as c:
            row = c.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            prev = self._entry(row) if row else None
            e = chain_entry(prev, at=at, actor=actor, alert_id=alert_id, action=action, payload=payload)
            c.execute(
                "INSERT INTO audit_log(seq, at, actor, alert_id, action, payload, prev_hash, hash) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (e.seq, e.at, e.actor, e.alert_id, e.action, _dumps(e.payload), e.prev_hash, e.hash),
            )
        return e

    def iter_audit(self, alert_id: str | None = None) -> Iterator[AuditEntry]:
        if alert_id is None:
            rows = self.conn.execute("SELECT * FROM audit_log ORDER BY seq")
        else:
            rows = self.conn.execute("SELECT * FROM audit_log WHERE alert_id=? ORDER BY seq", (alert_id,))
        for row in rows.fetchall():
            yield self._entry(row)

    # -- context layers --------------------------------------------------------------------
    def add_context_layer(self, layer: ContextLayer, *, replace: bool = False) -> int:
        with self.transaction() as c:
            old = c.execute("SELECT pk FROM context_layers WHERE name=?", (layer.name,)).fetchone()
            if old is not None:
                if not replace:
                    raise ConflictError(layer.name, "a context layer with this name exists; pass --replace "
                                                    "or choose another --name")
                self._delete_layer(c, old[0])
            lpk = c.execute(
                "INSERT INTO context_layers(name, kind, source, source_crs, name_field, features, added) "
                "VALUES (?,?,?,?,?,?,?) RETURNING pk",
                (layer.name, layer.kind, layer.source, layer.source_crs, layer.name_field, len(layer.features),
                 _now()),
            ).fetchone()[0]
            for f in layer.features:
                bounds = f.geometry.bounds
                fpk = c.execute(
                    "INSERT INTO context_features(layer_pk, name, props, minx, miny, maxx, maxy, geometry) "
                    "VALUES (?,?,?,?,?,?,?,?) RETURNING pk",
                    (lpk, f.name, _dumps(f.props), *bounds, _dumps(mapping(f.geometry))),
                ).fetchone()[0]
                self.engine.index_bounds(c, "context_features", fpk, bounds)
        return lpk

    def _delete_layer(self, c, lpk: int) -> None:
        self.engine.unindex(c, "context_features", "layer_pk=?", (lpk,))
        c.execute("DELETE FROM context_features WHERE layer_pk=?", (lpk,))
        c.execute("DELETE FROM context_layers WHERE pk=?", (lpk,))

    def list_context_layers(self) -> list[dict]:
        rows = self.conn.execute(
            "SELECT name, kind, source, source_crs, name_field, features, added FROM context_layers "
            "ORDER BY kind, name").fetchall()
        return [dict(r) for r in rows]

    def remove_context_layer(self, name: str) -> None:
        with self.transaction() as c:
            row = c.execute("SELECT pk FROM context_layers WHERE name=?", (name,)).fetchone()
            if row is None:
                raise NotFoundError(name, "no such context layer (see `yvy context list`)")
            self._delete_layer(c, row[0])

    def context_features(self, *, kinds: Sequence[str] | None = None,
                         bbox: tuple[float, float, float, float] | None = None) -> list[ContextFeature]:
        clauses, args = [], []
        if kinds:
            sql, vals = in_clause("l.kind", kinds)
            clauses.append(sql)
            args += vals
        if bbox is not None:
            sql, a = self.engine.bbox_clause("f", "context_features", bbox)
            clauses.append(sql)
            args += a
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.conn.execute(
            "SELECT l.name AS layer, l.kind, f.name, f.props, f.geometry FROM context_features f "
            f"JOIN context_layers l ON l.pk = f.layer_pk{where} ORDER BY l.name, f.pk", args).fetchall()
        return [ContextFeature(r["layer"], r["kind"], r["name"], shape(json.loads(r["geometry"])),
                               json.loads(r["props"])) for r in rows]


def _exact(q: AlertQuery):
    """The geometry a query must intersect (its ``intersects`` or its bbox), or None."""
    if q.intersects is not None:
        return q.intersects
    return shapely.box(*q.bbox) if q.bbox is not None else None


SQLiteAlertStore = SQLAlertStore
"""Former name, kept for imports: the class serves both engines."""
PostGISAlertStore = SQLAlertStore
"""The same class over a :class:`~yvy.storage.postgis.PostGISStore`."""
