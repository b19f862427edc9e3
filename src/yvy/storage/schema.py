"""The workspace database schema: one SQLAlchemy Core definition for SQLite and PostGIS.

Every table is declared once here, in :data:`metadata`. What differs between the engines is
declared beside the column it concerns:

- text columns are ``COLLATE "C"`` on PostgreSQL (:data:`TEXT`), so text sorts and compares
  byte-wise as on SQLite;
- keys are ``BIGINT`` identity columns on PostgreSQL and ``INTEGER PRIMARY KEY`` (rowid) on
  SQLite (:func:`key`);
- geometries are GeoJSON text (WGS84) with bbox columns on both engines; on PostGIS a
  ``geom`` column (``geometry(Geometry, 4326)``, GeoAlchemy2) is generated from the GeoJSON and
  GiST-indexed (:func:`postgis_geom`; left out of SQLite's DDL); on SQLite an R*Tree side table
  kept in sync by triggers indexes the bbox columns (:data:`RTREES`, :func:`guards`);
- the audit log is append-only through triggers on both engines (:func:`guards`).

Adding a table: declare it here, then add one Alembic revision in ``migrations/versions/``
that creates it with ``op.create_table`` (see ``docs/storage.md``). Must not import: click,
fastapi, yvy.cli, yvy.api.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn

from ..accounts import ROLES

__all__ = ["RTREES", "TEXT", "extent", "guards", "key", "metadata", "postgis_geom", "stored_columns"]

metadata = sa.MetaData()

TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
"""Text that sorts byte-wise on both engines."""
JSON_TEXT = sa.Text()
"""JSON or GeoJSON kept as text (never sorted)."""
REAL = sa.REAL().with_variant(DOUBLE_PRECISION(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""64-bit integers (SQLite's INTEGER is 64-bit; its rowid keys must be spelled INTEGER)."""
INT = sa.Integer()
AUDIT_GUARD = "audit log is append-only"

RTREES = {"items": "items_rtree", "alerts": "alerts_rtree", "context_features": "context_rtree"}
"""Table -> its R*Tree side table on SQLite (pk, minx, maxx, miny, maxy)."""
BBOX_COLUMNS = {"items": "bbox_geom", "alerts": "geom", "context_features": "geom"}
"""Table -> the PostGIS column a bbox filter uses (items may have a bbox but no geometry)."""


def key(name: str = "pk") -> sa.Column:
    """An auto-numbered primary key (identity on PostgreSQL, rowid alias on SQLite)."""
    return sa.Column(name, BIGINT, sa.Identity(), primary_key=True)


def postgis_geom(name: str, expr: str) -> sa.Column:
    """A PostGIS-only ``geometry(Geometry, 4326)`` column generated from ``expr``."""
    return sa.Column(name, Geometry("GEOMETRY", 4326, spatial_index=False),
                     sa.Computed(expr, persisted=True), info={"postgis": True})


@compiles(CreateColumn, "sqlite")
def _sqlite_column(element, compiler, **kw):
    """Leave PostGIS-only columns out of SQLite's CREATE TABLE."""
    if element.element.info.get("postgis"):
        return None
    return compiler.visit_create_column(element, **kw)


def stored_columns(table: sa.Table) -> list[sa.Column]:
    """The columns of ``table`` written by yvy: all but the generated ones (which include every
    PostGIS-only column), so the same on both engines."""
    return [c for c in table.columns if c.computed is None]


def extent(table: sa.Table) -> list[sa.ColumnElement]:
    """MIN(minx), MIN(miny), MAX(maxx), MAX(maxy) of ``table``'s bbox columns (NULLs: no rows)."""
    return [sa.func.min(table.c.minx), sa.func.min(table.c.miny), sa.func.max(table.c.maxx), sa.func.max(table.c.maxy)]


def _bounds(nullable: bool = False) -> list[sa.Column]:
    return [sa.Column(n, REAL, nullable=nullable) for n in ("minx", "miny", "maxx", "maxy")]


def _gist(name: str, column) -> sa.Index:
    return sa.Index(name, column, postgresql_using="gist").ddl_if(dialect="postgresql")


# -- catalog (STAC collections and items) and resumable jobs ---------------------------------
collections = sa.Table(
    "collections", metadata,
    sa.Column("id", TEXT, primary_key=True),
    sa.Column("doc", JSON_TEXT, nullable=False),
    sa.Column("updated", TEXT, nullable=False),
)

items = sa.Table(
    "items", metadata,
    key(),
    sa.Column("collection", TEXT, sa.ForeignKey("collections.id"), nullable=False),
    sa.Column("id", TEXT, nullable=False),
    sa.Column("start_dt", TEXT),          # ISO UTC; datetime or start_datetime
    sa.Column("end_dt", TEXT),            # ISO UTC; datetime or end_datetime
    sa.Column("cloud_cover", REAL),
    *_bounds(nullable=True),
    sa.Column("geometry", JSON_TEXT),     # GeoJSON (WGS84)
    sa.Column("doc", JSON_TEXT, nullable=False),
    sa.Column("created", TEXT, nullable=False),
    sa.Column("updated", TEXT, nullable=False),
    postgis_geom("geom", "yvy_geojson(geometry)"),
    postgis_geom("bbox_geom", "ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)"),
    sa.UniqueConstraint("collection", "id"),
)
sa.Index("items_start", items.c.start_dt)
sa.Index("items_end", items.c.end_dt)
sa.Index("items_id", items.c.id)
_gist("items_geom", items.c.geom)
_gist("items_bbox", items.c.bbox_geom)

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", TEXT, primary_key=True),
    sa.Column("kind", TEXT, nullable=False),
    sa.Column("params", JSON_TEXT, nullable=False),
    sa.Column("state", TEXT, nullable=False),  # running | done | failed
    sa.Column("progress", JSON_TEXT, nullable=False, server_default="{}"),
    sa.Column("created", TEXT, nullable=False),
    sa.Column("updated", TEXT, nullable=False),
)

# -- alerts, reviews, merges, runs, audit log, context layers ----------------------------------
alerts = sa.Table(
    "alerts", metadata,
    key(),
    sa.Column("id", TEXT, nullable=False, unique=True),  # PY-2024-000123
    sa.Column("status", TEXT, nullable=False, server_default="new"),
    sa.Column("confidence", TEXT, nullable=False, server_default="low"),
    sa.Column("first_detected", TEXT, nullable=False),
    sa.Column("last_detected", TEXT),
    sa.Column("last_clear", TEXT),
    sa.Column("confirm_count", INT, nullable=False, server_default="0"),
    sa.Column("area_ha", REAL, nullable=False),
    sa.Column("magnitude", REAL),
    sa.Column("pixel_count", INT, nullable=False, server_default="0"),
    sa.Column("observed_until", TEXT),
    sa.Column("in_protected", INT, nullable=False, server_default="0"),
    sa.Column("legal_flag", TEXT),
    sa.Column("legal_rule", TEXT),
    sa.Column("region", TEXT),
    sa.Column("merged_into", TEXT),       # id of the surviving alert
    *_bounds(),
    sa.Column("geometry", JSON_TEXT, nullable=False),
    sa.Column("doc", JSON_TEXT, nullable=False),  # products, context, legal, review, merged_from
    sa.Column("created", TEXT, nullable=False),
    sa.Column("updated", TEXT, nullable=False),
    # order of the last write, commit-ordered (alert writers hold the alerts lock): the cursor
    # of the notification service
    sa.Column("change_seq", BIGINT, nullable=False, server_default="0"),
    postgis_geom("geom", "yvy_geojson(geometry)"),
)
sa.Index("alerts_status", alerts.c.status)
sa.Index("alerts_first", alerts.c.first_detected)
sa.Index("alerts_merged", alerts.c.merged_into)
sa.Index("alerts_change", alerts.c.change_seq)
_gist("alerts_geom", alerts.c.geom)

alert_counters = sa.Table(
    "alert_counters", metadata,
    sa.Column("prefix", TEXT, primary_key=True),
    sa.Column("year", INT, primary_key=True, autoincrement=False),
    sa.Column("last", INT, nullable=False),
)

alert_reviews = sa.Table(
    "alert_reviews", metadata,
    key(),
    sa.Column("alert_id", TEXT, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("at", TEXT, nullable=False),
    sa.Column("by_name", TEXT, nullable=False),
    sa.Column("from_status", TEXT, nullable=False),
    sa.Column("to_status", TEXT, nullable=False),
    sa.Column("reason", TEXT),
    sa.Column("note", JSON_TEXT),
    sa.Column("authority", TEXT),
    sa.Column("case_number", TEXT),
)
sa.Index("alert_reviews_alert", alert_reviews.c.alert_id)

alert_merges = sa.Table(
    "alert_merges", metadata,
    key(),
    sa.Column("survivor", TEXT, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("absorbed", TEXT, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("at", TEXT, nullable=False),
    sa.Column("product_id", TEXT),
)

alert_runs = sa.Table(
    "alert_runs", metadata,
    key(),
    sa.Column("at", TEXT, nullable=False),
    sa.Column("product_id", TEXT, nullable=False),
    sa.Column("params", JSON_TEXT, nullable=False),
    sa.Column("summary", JSON_TEXT, nullable=False),
)

audit_log = sa.Table(  # append-only, hash-chained (see yvy.alerts.audit)
    "audit_log", metadata,
    sa.Column("seq", BIGINT, primary_key=True, autoincrement=False),
    sa.Column("at", TEXT, nullable=False),
    sa.Column("actor", TEXT, nullable=False),
    sa.Column("alert_id", TEXT),
    sa.Column("action", TEXT, nullable=False),
    sa.Column("payload", JSON_TEXT, nullable=False),
    sa.Column("prev_hash", TEXT, nullable=False),
    sa.Column("hash", TEXT, nullable=False),
)
sa.Index("audit_log_alert", audit_log.c.alert_id)

context_layers = sa.Table(
    "context_layers", metadata,
    key(),
    sa.Column("name", TEXT, nullable=False, unique=True),
    sa.Column("kind", TEXT, nullable=False),
    sa.Column("source", TEXT, nullable=False),
    sa.Column("source_crs", TEXT, nullable=False),
    sa.Column("name_field", TEXT),
    sa.Column("features", INT, nullable=False),
    sa.Column("added", TEXT, nullable=False),
)

context_features = sa.Table(
    "context_features", metadata,
    key(),
    sa.Column("layer_pk", BIGINT, sa.ForeignKey("context_layers.pk", ondelete="CASCADE"), nullable=False),
    sa.Column("name", TEXT, nullable=False),
    sa.Column("props", JSON_TEXT, nullable=False),
    *_bounds(),
    sa.Column("geometry", JSON_TEXT, nullable=False),
    postgis_geom("geom", "yvy_geojson(geometry)"),
)
sa.Index("context_features_layer", context_features.c.layer_pk)
_gist("context_features_geom", context_features.c.geom)

# -- users, API keys, web sessions --------------------------------------------------------------
def role_check(roles: tuple[str, ...]) -> str:
    """The CHECK of ``users.role`` admitting ``roles``."""
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


ROLE_CHECK = role_check(ROLES)
"""The roles a user row may hold (:data:`yvy.accounts.ROLES`)."""
users = sa.Table(
    "users", metadata,
    key("id"),
    sa.Column("username", TEXT, nullable=False, unique=True),
    sa.Column("role", TEXT, sa.CheckConstraint(ROLE_CHECK), nullable=False),  # ranger 0004, trainee 0005
    sa.Column("password_hash", TEXT),     # scrypt$N$r$p$salt_b64$hash_b64 (NULL: API keys only)
    sa.Column("active", INT, nullable=False, server_default="1"),
    sa.Column("created", TEXT, nullable=False),
    sa.Column("updated", TEXT, nullable=False),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", TEXT, primary_key=True),  # public part of the key (yvy_<id>_<secret>)
    sa.Column("user_id", BIGINT, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("secret_hash", TEXT, nullable=False),  # SHA-256 hex of the random secret
    sa.Column("label", TEXT),
    sa.Column("created", TEXT, nullable=False),
    sa.Column("last_used", TEXT),
    sa.Column("revoked", TEXT),
    sa.Column("scope", TEXT),      # read | review | admin (NULL: the user's role)   (revision 0003)
    sa.Column("expires", TEXT),    # ISO UTC; NULL: never                              (revision 0003)
)
sa.Index("api_keys_user", api_keys.c.user_id)

auth_throttle = sa.Table(  # failed sign-ins and lockouts (revision 0003)
    "auth_throttle", metadata,
    sa.Column("key", TEXT, primary_key=True),        # ip:<address> | pair:<user>|<address> | user:<user>
    sa.Column("failures", INT, nullable=False),
    sa.Column("first_failure", TEXT, nullable=False),  # start of the counting window
    sa.Column("locked_until", TEXT),                 # NULL: not locked
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("token_hash", TEXT, primary_key=True),  # SHA-256 hex of the cookie token
    sa.Column("user_id", BIGINT, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created", TEXT, nullable=False),
    sa.Column("expires", TEXT, nullable=False),
)
sa.Index("sessions_user", sessions.c.user_id)

# -- webhooks and their deliveries; service leases and cursors ----------------------------------
webhooks = sa.Table(
    "webhooks", metadata,
    key("id"),
    sa.Column("url", JSON_TEXT, nullable=False),
    sa.Column("secret", JSON_TEXT, nullable=False),  # HMAC-SHA256 key shared with the subscriber
    sa.Column("area", JSON_TEXT),                    # GeoJSON geometry (WGS84); NULL: everywhere
    sa.Column("owner_id", BIGINT, sa.ForeignKey("users.id")),
    sa.Column("label", TEXT),
    sa.Column("active", INT, nullable=False, server_default="1"),
    sa.Column("created", TEXT, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries", metadata,
    key("id"),
    sa.Column("webhook_id", BIGINT, sa.ForeignKey("webhooks.id"), nullable=False),
    sa.Column("alert_id", TEXT, nullable=False),
    sa.Column("event", TEXT, nullable=False),        # alert.high_confidence
    sa.Column("payload", JSON_TEXT, nullable=False),  # the exact JSON body signed and sent
    sa.Column("status", TEXT, nullable=False),       # pending | delivered | failed | skipped
    sa.Column("attempts", INT, nullable=False, server_default="0"),
    sa.Column("next_attempt", TEXT),
    sa.Column("last_code", INT),
    sa.Column("last_error", JSON_TEXT),
    sa.Column("created", TEXT, nullable=False),
    sa.Column("updated", TEXT, nullable=False),
    sa.UniqueConstraint("webhook_id", "alert_id", "event"),
)
sa.Index("webhook_deliveries_due", webhook_deliveries.c.status, webhook_deliveries.c.next_attempt)

leases = sa.Table(  # one holder at a time for a service (e.g. the notifier), until it expires
    "leases", metadata,
    sa.Column("name", TEXT, primary_key=True),
    sa.Column("holder", TEXT, nullable=False),
    sa.Column("expires", TEXT, nullable=False),      # ISO UTC
)

cursors = sa.Table(  # how far a service has read a stream of changes (e.g. alerts.updated)
    "cursors", metadata,
    sa.Column("name", TEXT, primary_key=True),
    sa.Column("value", TEXT, nullable=False),
    sa.Column("updated", TEXT, nullable=False),
)

# -- active fires (NASA FIRMS hotspots and the fire events they are clustered into; revision 0004)
fire_hotspots = sa.Table(
    "fire_hotspots", metadata,
    sa.Column("id", BIGINT, sa.Identity(), primary_key=True),
    sa.Column("sensor", TEXT, nullable=False),        # MODIS | VIIRS
    sa.Column("satellite", TEXT, nullable=False),     # Terra, Aqua, Suomi NPP, NOAA-20...
    sa.Column("latitude", REAL, nullable=False),      # WGS84, 5 decimals (FIRMS precision)
    sa.Column("longitude", REAL, nullable=False),
    sa.Column("acq_date", TEXT, nullable=False),      # YYYY-MM-DD (UTC)
    sa.Column("acq_time", TEXT, nullable=False),      # HHMM (UTC)
    sa.Column("acquired", TEXT, nullable=False),      # ISO UTC of acq_date + acq_time
    sa.Column("confidence", INT, nullable=False),     # 0-100 (VIIRS l/n/h -> 15/55/90)
    sa.Column("confidence_class", TEXT, nullable=False),  # low | nominal | high
    sa.Column("frp", REAL),                           # fire radiative power (MW)
    sa.Column("brightness", REAL),                    # MODIS brightness / VIIRS bright_ti4 (K)
    sa.Column("daynight", TEXT),
    sa.Column("version", TEXT),
    sa.Column("source", TEXT),                        # file name it came from first
    sa.Column("event_id", TEXT),                      # fire_events.id
    sa.Column("ingested", TEXT, nullable=False),
    sa.UniqueConstraint("sensor", "satellite", "latitude", "longitude", "acq_date", "acq_time"),
)
sa.Index("fire_hotspots_acquired", fire_hotspots.c.acquired)
sa.Index("fire_hotspots_event", fire_hotspots.c.event_id)

fire_events = sa.Table(
    "fire_events", metadata,
    sa.Column("id", TEXT, primary_key=True),          # FIRE-<start yyyymmdd>-<id of the first hotspot>
    sa.Column("start", TEXT, nullable=False),
    sa.Column("last_seen", TEXT, nullable=False),
    sa.Column("hotspots", INT, nullable=False),
    sa.Column("frp_sum", REAL, nullable=False),
    sa.Column("frp_max", REAL, nullable=False),
    sa.Column("confidence_max", INT, nullable=False),
    sa.Column("sensors", JSON_TEXT, nullable=False),  # JSON list
    *_bounds(),
    sa.Column("geometry", JSON_TEXT, nullable=False),  # GeoJSON (WGS84)
    sa.Column("context", JSON_TEXT, nullable=False),   # JSON: admin, protected_areas, indigenous_lands, border_km
    sa.Column("protected", INT, nullable=False, server_default="0"),
    sa.Column("updated", TEXT, nullable=False),
)
sa.Index("fire_events_start", fire_events.c.start)
sa.Index("fire_events_last_seen", fire_events.c.last_seen)


# -- training simulator: exercises, their cases, trainees' sessions and answers (revision 0004) ----
# apart from the alerts and the audit log: nothing a trainee does touches them
training_exercises = sa.Table(
    "training_exercises", metadata,
    sa.Column("id", TEXT, primary_key=True),           # EX-20240101-1a2b3c
    sa.Column("title", TEXT, nullable=False),
    sa.Column("source", TEXT, nullable=False),          # demo | alerts
    sa.Column("created", TEXT, nullable=False),
    sa.Column("created_by", TEXT, nullable=False),
    sa.Column("params", JSON_TEXT, nullable=False),
)

training_cases = sa.Table(
    "training_cases", metadata,
    key(),
    sa.Column("exercise_id", TEXT, sa.ForeignKey("training_exercises.id", ondelete="CASCADE"), nullable=False),
    sa.Column("case_id", TEXT, nullable=False),         # C01, C02...
    sa.Column("kind", TEXT, nullable=False),            # the truth: clearing | seasonal | cloud_shadow | fire | permit
    sa.Column("doc", JSON_TEXT, nullable=False),        # yvy.training.model.Case.to_dict()
    sa.UniqueConstraint("exercise_id", "case_id"),
)

training_sessions = sa.Table(
    "training_sessions", metadata,
    sa.Column("id", TEXT, primary_key=True),
    sa.Column("exercise_id", TEXT, sa.ForeignKey("training_exercises.id", ondelete="CASCADE"), nullable=False),
    sa.Column("trainee", TEXT, nullable=False),
    sa.Column("started", TEXT, nullable=False),
    sa.Column("finished", TEXT),
)
sa.Index("training_sessions_exercise", training_sessions.c.exercise_id)

training_answers = sa.Table(
    "training_answers", metadata,
    key(),
    sa.Column("session_id", TEXT, sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("case_id", TEXT, nullable=False),
    sa.Column("answered", TEXT, nullable=False),
    sa.Column("answer", JSON_TEXT, nullable=False),     # yvy.training.model.Answer.to_dict()
    sa.Column("result", JSON_TEXT, nullable=False),     # yvy.training.score.AnswerResult.to_dict()
    sa.UniqueConstraint("session_id", "case_id"),
)


# -- engine-specific guards: idempotent DDL run after create_all and by migrations ------------
_PG_FUNCTIONS = [
    # GeoJSON text -> 2D geometry(…, 4326); NULL for 'null' or what PostGIS cannot parse
    """CREATE OR REPLACE FUNCTION yvy_geojson(doc text) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF doc IS NULL OR doc = 'null' THEN
        RETURN NULL;
    END IF;
    RETURN ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(doc), 4326));
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$""",
    f"""CREATE OR REPLACE FUNCTION yvy_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{AUDIT_GUARD}' USING ERRCODE = 'insufficient_privilege';
END
$$""",
]


def _rtree_sql(table: str) -> list[str]:
    rt = RTREES[table]
    new = "SELECT NEW.pk, NEW.minx, NEW.maxx, NEW.miny, NEW.maxy WHERE NEW.minx IS NOT NULL"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {rt} USING rtree(pk, minx, maxx, miny, maxy)",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_ins AFTER INSERT ON {table} BEGIN "
        f"INSERT OR REPLACE INTO {rt} {new}; END",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_upd AFTER UPDATE ON {table} BEGIN "
        f"DELETE FROM {rt} WHERE pk = OLD.pk; INSERT OR REPLACE INTO {rt} {new}; END",
        f"CREATE TRIGGER IF NOT EXISTS {rt}_del AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {rt} WHERE pk = OLD.pk; END",
    ]


def guard_triggers(dialect: str) -> list[str]:
    """Names of the triggers :func:`guards` creates (to check that none was dropped)."""
    made = (re.match(r"CREATE (?:OR REPLACE )?TRIGGER (?:IF NOT EXISTS )?(\w+)", s) for s in guards(dialect))
    return [m[1] for m in made if m]


def guards(dialect: str) -> list[str]:
    """Idempotent DDL that the tables need beyond their columns on ``dialect``: the audit log's
    append-only triggers, PostGIS helper functions (PostgreSQL), R*Tree side tables and their
    sync triggers (SQLite)."""
    if dialect == "sqlite":
        out = [f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
               f"BEGIN SELECT RAISE(ABORT, '{AUDIT_GUARD}'); END" for op in ("UPDATE", "DELETE")]
        return out + [s for t in RTREES for s in _rtree_sql(t)]
    return [*_PG_FUNCTIONS] + [
        f"CREATE OR REPLACE TRIGGER audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
        f"FOR EACH {'STATEMENT' if op == 'TRUNCATE' else 'ROW'} EXECUTE FUNCTION yvy_append_only()"
        for op in ("UPDATE", "DELETE", "TRUNCATE")]


def create_all(conn, names: tuple[str, ...] | None = None) -> None:
    """Create the tables ``names`` of :data:`metadata` (default: every one, a new database) on
    ``conn``, with their indexes."""
    metadata.create_all(conn, None if names is None else [metadata.tables[n] for n in names])
    # GeoAlchemy2's SQLite DDL hooks (meant for SpatiaLite) leave generated geometry columns
    # with a placeholder type; give them theirs back for the next PostgreSQL use of metadata
    for table in metadata.tables.values():
        for col in table.columns:
            if hasattr(col, "_actual_type"):
                col.type = col._actual_type
                del col._actual_type


# PostGIS functions must exist before CREATE TABLE uses them in generated columns
sa.event.listen(metadata, "before_create", sa.DDL(_PG_FUNCTIONS[0]).execute_if(dialect="postgresql"))


# -- field reports of rangers (revision 0004) ---------------------------------------------------
field_reports = sa.Table(
    "field_reports", metadata,
    key(),
    sa.Column("id", TEXT, nullable=False, unique=True),   # generated by the client (UUID): replays are idempotent
    sa.Column("alert_id", TEXT, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("by_name", TEXT, nullable=False),
    sa.Column("finding", TEXT, nullable=False),          # clearing_confirmed | machinery | fire | nothing
    sa.Column("note", JSON_TEXT),
    sa.Column("lon", REAL),                              # the device's position when filed
    sa.Column("lat", REAL),
    sa.Column("accuracy_m", REAL),
    sa.Column("distance_m", REAL),                       # device position to the alert polygon
    sa.Column("observed", TEXT, nullable=False),         # the device's time (ISO UTC)
    sa.Column("received", TEXT, nullable=False),         # the server's time
    sa.Column("digest", TEXT, nullable=False),           # SHA-256 of what the client sent
    sa.Column("status_change", TEXT),                    # e.g. "new -> under_review"; NULL: none
)
sa.Index("field_reports_alert", field_reports.c.alert_id)

field_photos = sa.Table(
    "field_photos", metadata,
    key(),
    sa.Column("report_id", TEXT, sa.ForeignKey("field_reports.id"), nullable=False),
    sa.Column("sha256", TEXT, nullable=False),
    sa.Column("path", JSON_TEXT, nullable=False),        # under the workspace's field/photos/
    sa.Column("bytes", BIGINT, nullable=False),
    sa.Column("media_type", TEXT, nullable=False),
    sa.Column("taken", TEXT),                            # EXIF DateTimeOriginal, as written
    sa.Column("lon", REAL),                              # EXIF GPS
    sa.Column("lat", REAL),
    sa.Column("distance_m", REAL),                       # EXIF GPS position to the alert polygon
    sa.UniqueConstraint("report_id", "sha256"),
)
sa.Index("field_photos_report", field_photos.c.report_id)
