"""Former module of the alert store, kept for imports; see :mod:`yvy.storage.alerts`."""

from .alerts import PostGISAlertStore, SQLAlertStore, SQLiteAlertStore

__all__ = ["PostGISAlertStore", "SQLAlertStore", "SQLiteAlertStore"]
