-- Users, roles, API keys and web sessions of the dissemination server (yvy serve).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash TEXT,                 -- scrypt$N$r$p$salt_b64$hash_b64 (NULL: API keys only)
    active        INTEGER NOT NULL DEFAULT 1,
    created       TEXT NOT NULL,
    updated       TEXT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,       -- public part of the key (yvy_<id>_<secret>)
    user_id     INTEGER NOT NULL REFERENCES users(id),
    secret_hash TEXT NOT NULL,          -- SHA-256 hex of the random secret
    label       TEXT,
    created     TEXT NOT NULL,
    last_used   TEXT,
    revoked     TEXT                    -- when revoked (NULL: valid)
);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,        -- SHA-256 hex of the cookie token
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created    TEXT NOT NULL,
    expires    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
