"""The public texts of an alert (Atom feed entries, webhook summaries) in the reader's language.

Pure: the alert model and :mod:`yvy.i18n` only; never storage, cli or fastapi.
"""

from __future__ import annotations

from datetime import date

from ..i18n import N_

__all__ = ["CONFIDENCE_WORDS", "STATUS_WORDS", "alert_summary", "alert_title", "feed_title"]

CONFIDENCE_WORDS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}
STATUS_WORDS = {"new": N_("new"), "under_review": N_("under review"), "confirmed": N_("confirmed"),
                "dismissed": N_("dismissed"), "referred": N_("referred")}


def feed_title(site: str, tr) -> str:
    """The title of the alerts feed (``<site>: deforestation alerts``)."""
    return tr.gettext("{site}: deforestation alerts").format(site=site)


def alert_title(alert, tr) -> str:
    """``<id>: <area>`` in the reader's number format."""
    return f"{alert.id}: {tr.area_ha(alert.area_ha, 2)}"


def alert_summary(alert, tr) -> str:
    """One sentence: area, first detection, confidence, status and department."""
    admin = ", ".join(a.get("name", "") for a in (alert.context or {}).get("admin", []))
    try:
        first = tr.date(date.fromisoformat(alert.first_detected[:10]))
    except (TypeError, ValueError):
        first = alert.first_detected
    text = tr.gettext("{area} of forest loss first detected on {date} ({confidence} confidence, {status})").format(
        area=tr.area_ha(alert.area_ha, 2), date=first,
        confidence=tr.gettext(CONFIDENCE_WORDS.get(alert.confidence.value, alert.confidence.value)),
        status=tr.gettext(STATUS_WORDS.get(alert.status.value, alert.status.value)))
    return text + (tr.gettext(", in {place}").format(place=admin) if admin else "")
