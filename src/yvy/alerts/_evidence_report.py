"""The PDF of an evidence package, laid out for a court: a cover with the case facts in words and the
coordinates (lat/lon and UTM), the locator map, the image chips, the method in plain language, the
legal rule with its article, the chain of custody (scenes, checksums, ingest times, audit entries).

Text comes in through the report's :class:`~yvy.i18n.Translator` (Spanish by default). Imports fpdf2
(through :mod:`yvy._pdf`) and pyproj; never storage, cli or matplotlib.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from .._pdf import Report
from ..i18n import N_
from . import _geo
from ._feed_text import CONFIDENCE_WORDS

__all__ = ["coordinates", "write_report"]

FLAG_WORDS = {
    "likely_illegal": N_("likely illegal (to be reviewed by a person before any action)"),
    "not_flagged": N_("not flagged by the legal rules"),
    "unknown_region": N_("no legal rule applies: the place is outside the known regions"),
}
REGION_WORDS = {"oriental": N_("Eastern Region"), "chaco": N_("Western Region (Chaco)")}
STATUS_WORDS = {"new": N_("new, not reviewed yet"), "confirmed": N_("confirmed by an analyst"),
                "dismissed": N_("dismissed by an analyst"), "referred": N_("referred to an authority"),
                "under_review": N_("under review")}
FINDING_WORDS = {"clearing_confirmed": N_("clearing confirmed on the ground"), "machinery": N_("machinery seen"),
                 "fire": N_("fire seen"), "nothing": N_("nothing found")}


def _d(tr, iso: str | None, fmt: str = "long") -> str:
    if not iso:
        return "-"
    try:
        return tr.date(date.fromisoformat(str(iso)[:10]), fmt)
    except ValueError:
        return str(iso)


def _dt(tr, iso: str | None) -> str:
    if not iso:
        return "-"
    try:
        return tr.datetime(datetime.fromisoformat(str(iso).replace("Z", "+00:00")), "medium") + " UTC"
    except ValueError:
        return str(iso)


def _dms(value: float, pos: str, neg: str) -> str:
    v = abs(value)
    d = int(v)
    m = int((v - d) * 60)
    s = (v - d - m / 60) * 3600
    return f"{d}° {m:02d}' {s:04.1f}\" {pos if value >= 0 else neg}"


def coordinates(geom, tr) -> dict:
    """Lat/lon (decimal and degrees-minutes-seconds) and UTM of an alert's representative point."""
    p = geom.representative_point()
    crs, zone = _geo.utm_crs(p.x, p.y)
    u = _geo.reproject(p, _geo.WGS84, crs)
    west = tr.gettext("W")
    return {
        "lat": round(p.y, 6), "lon": round(p.x, 6), "utm_crs": crs, "utm_zone": zone,
        "easting": round(u.x, 1), "northing": round(u.y, 1),
        "latlon_text": f"{tr.number(p.y, 6)}°, {tr.number(p.x, 6)}° (WGS 84)",
        "dms_text": f"{_dms(p.y, 'N', 'S')}, {_dms(p.x, 'E', west)}".replace(".", ",")
        if tr.format_locale.language == "es" else f"{_dms(p.y, 'N', 'S')}, {_dms(p.x, 'E', west)}",
        "utm_text": tr.gettext("zone {zone}, E {e} m, N {n} m ({crs}, WGS 84 / UTM)").format(
            zone=zone, e=tr.number(u.x, 0), n=tr.number(u.y, 0), crs=crs),
    }


def _place(tr, alert) -> str:
    admin = (alert.context or {}).get("admin") or []
    region = REGION_WORDS.get((alert.legal or {}).get("region") or "")
    if not admin:
        return tr.gettext("a place outside the loaded departments")
    where = tr.gettext("the department of {name}").format(name=admin[0]["name"])
    return f"{where}, {tr.gettext(region)}" if region else where


def case_facts(tr, alert, coords: dict, profile: str | None) -> list[str]:
    """The case in sentences: what was seen, where, when, how sure, and which rule applies."""
    _ = tr.gettext
    legal = alert.legal or {}
    out = [_("On {first}, satellite monitoring first detected the loss of forest cover over {area} in {place}, "
             "at {latlon}.").format(first=_d(tr, alert.first_detected), area=tr.area_ha(alert.area_ha, 2),
                                    place=_place(tr, alert), latlon=coords["latlon_text"])]
    if alert.last_clear:
        out.append(_("The last clear view of the place before the change is from {date}.").format(
            date=_d(tr, alert.last_clear)))
    out.append(_("{n} later clear observations confirmed the loss; the confidence of the detection is {level}.")
               .format(n=alert.confirm_count, level=_(CONFIDENCE_WORDS.get(alert.confidence.value, "low"))))
    border = (alert.context or {}).get("border_km")
    if border is not None:
        out.append(_("The alert lies {km} km from the international border.").format(km=tr.number(border, 1)))
    flag = _(FLAG_WORDS.get(legal.get("flag"), legal.get("flag") or "-"))
    if legal.get("rule"):
        out.append(_("Legal assessment ({profile} profile): {flag}. Rule {rule}: {law}{article}.").format(
            profile=profile or legal.get("profile") or "-", flag=flag, rule=legal["rule"], law=legal.get("law") or "",
            article=f", {legal['article']}" if legal.get("article") else ""))
    else:
        out.append(_("Legal assessment: {flag}.").format(flag=flag))
    out.append(_("Status of the alert: {status}.").format(status=_(STATUS_WORDS.get(alert.status.value,
                                                                                      alert.status.value))))
    return out


def write_report(path: Path, alert, facts: dict, images: dict[str, str], warnings: list[str], tr) -> None:
    """Write the evidence PDF (atomically) from the facts gathered by :func:`yvy.alerts.evidence.build_evidence`."""
    _ = tr.gettext
    rep = Report(_("Evidence report - deforestation alert {id}").format(id=alert.id),
                 _("Generated on {when}").format(when=_dt(tr, facts["generated"])), _("by"))
    _cover(rep, tr, alert, facts)
    if "locator" in images:
        rep.image(images["locator"], width=180)
    _imagery(rep, tr, facts, images)
    _field(rep, tr, facts, images)
    _method(rep, tr, alert, facts)
    _legal(rep, tr, alert)
    _custody(rep, tr, facts)
    if warnings:
        rep.heading(_("Notes"))
        for w in warnings:
            rep.paragraph(w, italic=True)
    rep.save(path)


def _cover(rep, tr, alert, facts) -> None:
    _ = tr.gettext
    rep.heading(_("Case facts"))
    for line in case_facts(tr, alert, facts["coordinates"], facts.get("profile")):
        rep.paragraph(line)
    c = facts["coordinates"]
    ctx = alert.context or {}
    names = lambda key: "; ".join(x["name"] for x in ctx.get(key) or []) or _("none")  # noqa: E731
    rep.rows([
        (_("Alert"), alert.id),
        (_("Area"), tr.area_ha(alert.area_ha, 2)),
        (_("First detection"), _d(tr, alert.first_detected)),
        (_("Last clear view"), _d(tr, alert.last_clear)),
        (_("Latitude, longitude"), c["latlon_text"]),
        (_("Degrees, minutes, seconds"), c["dms_text"]),
        (_("UTM"), c["utm_text"]),
        (_("Department"), names("admin")),
        (_("Protected areas"), names("protected_areas")),
        (_("Indigenous lands"), names("indigenous_lands")),
        (_("Permits"), names("permits")),
    ])


def _imagery(rep, tr, facts, images) -> None:
    _ = tr.gettext
    rep.heading(_("Satellite images before and after"))
    scenes = facts["scenes"]
    for side, label in (("before", _("Before")), ("after", _("After"))):
        row = scenes.get(side)
        if row:
            rep.paragraph(_("{side}: scene {id} of {date} ({share} of the alert seen clear).").format(
                side=label, id=row["id"], date=_d(tr, row["date"]), share=f"{round(100 * row['clear_fraction'])} %"))
    pairs = [images[k] for k in ("before_true", "after_true") if k in images]
    rep.image_row(pairs, width=88)
    pairs = [images[k] for k in ("before_false", "after_false") if k in images]
    rep.image_row(pairs, width=88)
    rep.paragraph(_("Both dates share one display stretch (the 2nd to 98th percentile of their pixels together, "
                    "then gamma 0.6), so a brighter clearing after the change is in the data, not in the "
                    "display. The yellow line is the alert's outline."), small=True)
    if "drone" in images:
        rep.image(images["drone"], width=88)
    if "series" in images:
        rep.image(images["series"], width=180)


def _field(rep, tr, facts, images) -> None:
    """Reports filed on the ground (``yvy.field``): who, when, what was found, where from, and each
    photo with its SHA-256 and the position and time its EXIF gives."""
    reports = facts.get("field_reports") or []
    if not reports:
        return
    _ = tr.gettext
    rep.heading(_("Field reports"))
    for r in reports:
        where = _away(tr, r.get("distance_m"))
        rep.rows([(_("Observed"), _dt(tr, r["observed"])), (_("By"), r["by_name"]),
                  (_("Finding"), _(FINDING_WORDS.get(r["finding"], r["finding"]))), (_("Filed"), where),
                  (_("Note"), r.get("note") or "-")])
        for p in r.get("photos") or []:
            taken = _dt(tr, p["taken"]) if p.get("taken") else _("no EXIF time")
            far = _away(tr, p.get("distance_m"))
            rep.paragraph(_("Photo {sha}: taken {taken}, {where}.").format(sha=p["sha256"], taken=taken, where=far),
                          small=True)
            if f"field_{p['sha256']}" in images:
                rep.image(images[f"field_{p['sha256']}"], width=88)


def _away(tr, metres: float | None) -> str:
    return "-" if metres is None else tr.gettext("{m} m from the alert").format(m=tr.number(metres, 0))


def _method(rep, tr, alert, facts) -> None:
    _ = tr.gettext
    m = facts["method"]
    rep.heading(_("Method"))
    rep.paragraph(_("Images: {n} scenes from {sensors} between {start} and {end} cover the alert.").format(
        n=m["scenes"], sensors=", ".join(m["sensors"]) or "-", start=_d(tr, m["first"]), end=_d(tr, m["last"])))
    if m.get("detector"):
        p = m["detector"]
        rep.paragraph(_("Detector: BFAST Monitor on the {index} vegetation index. For every 10 m pixel a model of "
                        "the normal year (trend and seasons) is fitted to the history, from {history} to "
                        "{monitor}. From {monitor} on, each new clear observation is compared with what the "
                        "model expects; a break is declared when the accumulated difference leaves the bounds of "
                        "a statistical test (MOSUM, window h = {h}, significance level {level}). Only pixels that "
                        "were forest during the history count; neighbouring break pixels form the alert polygon.")
                      .format(index=p["index"].upper(), history=_d(tr, p["history_start"]),
                              monitor=_d(tr, p["monitor_start"]), h=tr.number(p["h"], 2),
                              level=tr.number(p["level"], 2)))
    mag = "-" if alert.magnitude is None else tr.number(alert.magnitude, 2)
    rep.paragraph(_("Confidence: {level}. {n} valid observations after the break confirmed the loss; the median "
                    "change of the index over the alert is {mag}.").format(
        level=_(CONFIDENCE_WORDS.get(alert.confidence.value, "low")), n=alert.confirm_count, mag=mag))


def _legal(rep, tr, alert) -> None:
    _ = tr.gettext
    legal = alert.legal or {}
    rep.heading(_("Legal rule"))
    if not legal.get("rule"):
        rep.paragraph(_(FLAG_WORDS.get(legal.get("flag"), legal.get("flag") or "-")))
        return
    rep.rows([(_("Rule"), legal["rule"]), (_("Law"), legal.get("law") or "-"),
              (_("Article"), legal.get("article") or "-"), (_("What it says"), legal.get("text") or "-")])
    if legal.get("quote"):
        rep.paragraph(f"«{legal['quote']}» ({legal.get('article') or legal.get('law')})", italic=True)
    rep.paragraph(_("This is decision support, not a legal finding: a person reviews every flagged alert."),
                  small=True)


def _custody(rep, tr, facts) -> None:
    _ = tr.gettext
    rep.heading(_("Chain of custody"))
    rep.paragraph(_("Every scene read for this report, with its acquisition date, when it entered the catalog "
                    "and the SHA-256 checksum of each band file read (custody.csv has the same list; "
                    "manifest.json has the checksum of every file of this package)."), small=True)
    rep.table([_("Scene"), _("Date"), _("Ingested"), _("Band files (SHA-256)")], [
        (s["id"], s["date"], _dt(tr, s.get("ingested")),
         "\n".join(f"{b}: {h or '-'}" for b, h in s["checksums"].items())) for s in facts["custody"]],
        widths=(44, 16, 30, 100), size=5.8)
    audit = facts["audit"]
    rep.heading(_("Audit log of the alert"), level=2)
    rep.paragraph(_("Audit chain verified: {ok}; head {head}.").format(
        ok=_("yes") if audit["ok"] else _("NO"), head=audit["head"]), small=True)
    rep.table([_("No."), _("When"), _("Who"), _("What"), _("Entry hash")], [
        (str(e["seq"]), _dt(tr, e["at"]), e["actor"], e["action"], e["hash"]) for e in audit["entries"]],
        widths=(10, 36, 24, 24, 96), size=5.8)
    if facts.get("reviews"):
        rep.heading(_("Review history"), level=2)
        for r in facts["reviews"]:
            extra = f" - {r['authority']} {r['case']}" if r.get("authority") else ""
            rep.paragraph(f"{_dt(tr, r['at'])}  {r['by']}: {r['from']} -> {r['to']}  {r.get('reason') or ''} "
                          f"{r.get('note') or ''}{extra}", small=True)
