-- Active-fire hotspots (NASA FIRMS) and the fire events they are clustered into (yvy fires).
CREATE TABLE fire_hotspots (
    id               INTEGER PRIMARY KEY,
    sensor           TEXT NOT NULL,     -- MODIS | VIIRS
    satellite        TEXT NOT NULL,     -- Terra, Aqua, Suomi NPP, NOAA-20...
    latitude         REAL NOT NULL,     -- WGS84, 5 decimals (FIRMS precision)
    longitude        REAL NOT NULL,
    acq_date         TEXT NOT NULL,     -- YYYY-MM-DD (UTC)
    acq_time         TEXT NOT NULL,     -- HHMM (UTC)
    acquired         TEXT NOT NULL,     -- ISO UTC timestamp of acq_date + acq_time
    confidence       INTEGER NOT NULL,  -- 0-100 (VIIRS l/n/h -> 15/55/90)
    confidence_class TEXT NOT NULL,     -- low | nominal | high
    frp              REAL,              -- fire radiative power (MW)
    brightness       REAL,              -- MODIS brightness / VIIRS bright_ti4 (K)
    daynight         TEXT,
    version          TEXT,
    source           TEXT,              -- file name it came from first
    event_id         TEXT,              -- fire_events.id
    ingested         TEXT NOT NULL,
    UNIQUE (sensor, satellite, latitude, longitude, acq_date, acq_time)
);
CREATE INDEX fire_hotspots_acquired ON fire_hotspots(acquired);
CREATE INDEX fire_hotspots_event ON fire_hotspots(event_id);

CREATE TABLE fire_events (
    id             TEXT PRIMARY KEY,    -- FIRE-<start yyyymmdd>-<id of the first hotspot>
    start          TEXT NOT NULL,       -- ISO UTC of the first hotspot
    last_seen      TEXT NOT NULL,       -- ISO UTC of the last hotspot
    hotspots       INTEGER NOT NULL,
    frp_sum        REAL NOT NULL,
    frp_max        REAL NOT NULL,
    confidence_max INTEGER NOT NULL,
    sensors        TEXT NOT NULL,       -- JSON list
    minx           REAL NOT NULL,
    miny           REAL NOT NULL,
    maxx           REAL NOT NULL,
    maxy           REAL NOT NULL,
    geometry       TEXT NOT NULL,       -- GeoJSON (WGS84)
    context        TEXT NOT NULL,       -- JSON: admin, protected_areas, indigenous_lands, border_km
    protected      INTEGER NOT NULL DEFAULT 0,  -- 1 when it touches a protected area
    updated        TEXT NOT NULL
);
CREATE INDEX fire_events_start ON fire_events(start);
CREATE INDEX fire_events_last_seen ON fire_events(last_seen);
