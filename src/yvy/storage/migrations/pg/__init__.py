"""PostgreSQL/PostGIS twins of the SQLite migrations (same version numbers and names)."""
