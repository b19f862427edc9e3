-- Webhook subscriptions and their deliveries (yvy serve notifications).
CREATE TABLE webhooks (
    id       INTEGER PRIMARY KEY,
    url      TEXT NOT NULL,
    secret   TEXT NOT NULL,             -- HMAC-SHA256 key shared with the subscriber
    area     TEXT,                      -- GeoJSON geometry (WGS84); NULL: everywhere
    owner_id INTEGER REFERENCES users(id),
    label    TEXT,
    active   INTEGER NOT NULL DEFAULT 1,
    created  TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES webhooks(id),
    alert_id     TEXT NOT NULL,
    event        TEXT NOT NULL,         -- alert.high_confidence
    payload      TEXT NOT NULL,         -- the exact JSON body that is signed and sent
    status       TEXT NOT NULL,         -- pending | delivered | failed | skipped (existed at subscription)
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT,                  -- ISO UTC; when a pending delivery is due
    last_code    INTEGER,               -- HTTP status of the last attempt
    last_error   TEXT,
    created      TEXT NOT NULL,
    updated      TEXT NOT NULL,
    UNIQUE (webhook_id, alert_id, event)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt);
