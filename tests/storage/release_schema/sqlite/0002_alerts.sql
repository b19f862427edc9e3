-- Deforestation alerts, their reviews and merges, context layers, and the audit log.
-- Geometries are GeoJSON text in WGS84 with bbox columns and an R*Tree index (portable: the
-- PostGIS adapter maps them to geometry columns). Dates are ISO text.
CREATE TABLE alerts (
    pk              INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,          -- PY-2024-000123
    status          TEXT NOT NULL DEFAULT 'new',
    confidence      TEXT NOT NULL DEFAULT 'low',
    first_detected  TEXT NOT NULL,                 -- ISO date
    last_detected   TEXT,
    last_clear      TEXT,
    confirm_count   INTEGER NOT NULL DEFAULT 0,
    area_ha         REAL NOT NULL,
    magnitude       REAL,
    pixel_count     INTEGER NOT NULL DEFAULT 0,
    observed_until  TEXT,
    in_protected    INTEGER NOT NULL DEFAULT 0,    -- denormalised from context for filtering
    legal_flag      TEXT,
    legal_rule      TEXT,
    region          TEXT,
    merged_into     TEXT,                          -- id of the surviving alert
    minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL,
    geometry        TEXT NOT NULL,                 -- GeoJSON (WGS84)
    doc             TEXT NOT NULL,                 -- JSON: products, context, legal, review, merged_from
    created         TEXT NOT NULL,
    updated         TEXT NOT NULL
);
CREATE INDEX alerts_status ON alerts(status);
CREATE INDEX alerts_first ON alerts(first_detected);
CREATE INDEX alerts_merged ON alerts(merged_into);
CREATE VIRTUAL TABLE alerts_rtree USING rtree(pk, minx, maxx, miny, maxy);

CREATE TABLE alert_counters (
    prefix  TEXT NOT NULL,
    year    INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE alert_reviews (
    pk        INTEGER PRIMARY KEY,
    alert_id  TEXT NOT NULL REFERENCES alerts(id),
    at        TEXT NOT NULL,
    by_name   TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason    TEXT,
    note      TEXT,
    authority TEXT,
    case_number TEXT
);
CREATE INDEX alert_reviews_alert ON alert_reviews(alert_id);

CREATE TABLE alert_merges (
    pk         INTEGER PRIMARY KEY,
    survivor   TEXT NOT NULL REFERENCES alerts(id),
    absorbed   TEXT NOT NULL REFERENCES alerts(id),
    at         TEXT NOT NULL,
    product_id TEXT
);

CREATE TABLE alert_runs (
    pk         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    product_id TEXT NOT NULL,
    params     TEXT NOT NULL,                      -- JSON
    summary    TEXT NOT NULL                       -- JSON
);

-- Append-only, hash-chained: hash = sha256(canonical JSON of the other columns + prev_hash).
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    alert_id   TEXT,
    action     TEXT NOT NULL,
    payload    TEXT NOT NULL,                      -- JSON
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_alert ON audit_log(alert_id);

CREATE TABLE context_layers (
    pk          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    source_crs  TEXT NOT NULL,
    name_field  TEXT,
    features    INTEGER NOT NULL,
    added       TEXT NOT NULL
);

CREATE TABLE context_features (
    pk        INTEGER PRIMARY KEY,
    layer_pk  INTEGER NOT NULL REFERENCES context_layers(pk) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    props     TEXT NOT NULL,                       -- JSON
    minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL,
    geometry  TEXT NOT NULL                        -- GeoJSON (WGS84)
);
CREATE INDEX context_features_layer ON context_features(layer_pk);
CREATE VIRTUAL TABLE context_rtree USING rtree(pk, minx, maxx, miny, maxy);
