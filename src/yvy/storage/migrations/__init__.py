"""SQLite migrations (``NNNN_name.sql``); their PostgreSQL twins are in ``pg/``."""
