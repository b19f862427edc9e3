"""The storage port of field reports (implemented by :class:`yvy.storage.field_reports.SQLFieldReportStore`).

Must not import: yvy.storage, sqlalchemy, fastapi, click.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["FieldReportStore"]


class FieldReportStore(Protocol):
    """Field reports and their photos."""

    def add_report(self, report: dict, photos: list[dict]) -> None:
        """Insert a report and its photo rows (joining the caller's transaction)."""

    def get_report(self, report_id: str) -> dict | None:
        """The report with its photos, or None."""

    def reports(self, alert_id: str) -> list[dict]:
        """Reports on an alert, oldest first, each with its ``photos``."""
