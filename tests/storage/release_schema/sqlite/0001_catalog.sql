-- Catalog: STAC collections and items, and job state for resumable work.
CREATE TABLE collections (
    id        TEXT PRIMARY KEY,
    doc       TEXT NOT NULL,          -- STAC Collection JSON
    updated   TEXT NOT NULL
);

CREATE TABLE items (
    pk          INTEGER PRIMARY KEY,
    collection  TEXT NOT NULL REFERENCES collections(id),
    id          TEXT NOT NULL,
    start_dt    TEXT,                 -- ISO UTC; datetime or start_datetime
    end_dt      TEXT,                 -- ISO UTC; datetime or end_datetime
    cloud_cover REAL,
    minx REAL, miny REAL, maxx REAL, maxy REAL,
    geometry    TEXT,                 -- GeoJSON (WGS84)
    doc         TEXT NOT NULL,        -- STAC Item JSON
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    UNIQUE (collection, id)
);
CREATE INDEX items_start ON items(start_dt);
CREATE INDEX items_end ON items(end_dt);

CREATE VIRTUAL TABLE items_rtree USING rtree(pk, minx, maxx, miny, maxy);

CREATE TABLE jobs (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    params    TEXT NOT NULL,          -- JSON
    state     TEXT NOT NULL,          -- running | done | failed
    progress  TEXT NOT NULL DEFAULT '{}',
    created   TEXT NOT NULL,
    updated   TEXT NOT NULL
);
