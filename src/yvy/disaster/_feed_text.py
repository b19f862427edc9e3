"""The public texts of a fire event (Atom feed entries, webhook payloads) in the reader's language.

Pure: :mod:`yvy.i18n` only; never storage, cli or fastapi.
"""

from __future__ import annotations

__all__ = ["fire_summary", "fires_title"]


def fires_title(site: str, tr) -> str:
    """The title of the fires feed (``<site>: fire events``)."""
    return tr.gettext("{site}: fire events").format(site=site)


def fire_summary(event: dict, tr) -> str:
    """One sentence: hotspots, FRP, first and last seen, departments and protected areas of an event
    (its :meth:`~yvy.disaster.fires.FireEvent.to_dict` or stored form)."""
    ctx = event.get("context") or {}
    where = ", ".join(a["name"] for a in ctx.get("admin", []))
    pas = ", ".join(a["name"] for a in ctx.get("protected_areas", []))
    text = tr.ngettext("{n} hotspot, FRP {frp} MW, {start} to {end}", "{n} hotspots, FRP {frp} MW, {start} to {end}",
                       event["hotspots"]).format(n=event["hotspots"], frp=tr.number(event["frp_sum"], 1),
                                                 start=event["start"], end=event["last_seen"])
    return (text + (tr.gettext(" in {place}").format(place=where) if where else "")
            + (tr.gettext("; protected area: {names}").format(names=pas) if pas else ""))
