-- Login throttling and lockout (per address, per account and address, per account), and API
-- keys that are scoped and expire.
CREATE TABLE auth_throttle (
    key           TEXT PRIMARY KEY,     -- ip:<address> | pair:<user>|<address> | user:<user>
    failures      INTEGER NOT NULL,
    first_failure TEXT NOT NULL,        -- start of the counting window
    locked_until  TEXT                  -- NULL: not locked
);
ALTER TABLE api_keys ADD COLUMN scope TEXT;     -- read | review | admin (NULL: the user's role)
ALTER TABLE api_keys ADD COLUMN expires TEXT;   -- NULL: never
