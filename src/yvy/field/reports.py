"""Field reports: what a ranger found at an alert (clearing confirmed, machinery, fire, nothing),
a note, geotagged photos and the device's position and time.

:func:`file_report` stores one report idempotently (its id is generated on the phone, so a queue
replayed after a lost answer stores it once; the same id with other content is a conflict), with
the SHA-256 of every photo, the distance from each photo's EXIF position and from the device to
the alert, an audit entry, and, when asked, the alert's move from ``new`` to ``under_review``
through the review workflow (:mod:`yvy.alerts.review`): a report on an alert already past
``new`` is kept and the status left as the server has it. All of it is one transaction.

Must not import: yvy.storage, fastapi, click.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ..dates import now_iso, parse_instant, to_iso
from ..errors import ConflictError, InputError
from .photos import distance_to_m, photo_info, photo_path

__all__ = ["FINDINGS", "NEAR_M", "evidence_reports", "file_report", "report_summary"]

FINDINGS = ("clearing_confirmed", "machinery", "fire", "nothing")
"""What a ranger can report having found."""
NEAR_M = 500.0
"""A photo or device position farther than this from the alert polygon is flagged as away."""
MAX_PHOTOS = 10
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _digest(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _check(report_id: str, finding: str, note: str | None, position: dict | None, photos: list[str]) -> None:
    if not _UUID.match(report_id or ""):
        raise InputError("id", f"{report_id!r} is not a UUID (the client generates one per report)")
    if finding not in FINDINGS:
        raise InputError("finding", f"{finding!r} is not one of {', '.join(FINDINGS)}")
    if note is not None and len(note) > 4000:
        raise InputError("note", "at most 4000 characters")
    if position is not None:
        lon, lat = position.get("lon"), position.get("lat")
        if not (isinstance(lon, int | float) and isinstance(lat, int | float) and -180 <= lon <= 180
                and -90 <= lat <= 90):
            raise InputError("position", "needs lon in [-180, 180] and lat in [-90, 90]")
    if len(photos) > MAX_PHOTOS or any(not _SHA.match(p) for p in photos):
        raise InputError("photos", f"at most {MAX_PHOTOS} lowercase hex SHA-256 values")


def _photo_rows(folder: Path, shas: list[str], alert) -> list[dict]:
    rows = []
    for sha in dict.fromkeys(shas):
        found = [p for p in (folder / sha[:2]).glob(f"{sha}.*")] if (folder / sha[:2]).is_dir() else []
        if not found:
            raise InputError(f"photo {sha[:12]}", "not uploaded; send it before the report")
        info = photo_info(found[0].read_bytes(), name=f"photo {sha[:12]}")
        if info["sha256"] != sha:
            raise ConflictError(f"photo {sha[:12]}", "stored file does not match its SHA-256")
        rows.append({**info, "path": str(photo_path(folder, sha, info["media_type"])),
                     "distance_m": distance_to_m(alert.geometry, info["lon"], info["lat"])})
    return rows


def file_report(alerts, reports, photo_dir: str | Path, *, report_id: str, alert_id: str, by: str,
                finding: str, note: str | None = None, position: dict | None = None,
                observed: str | None = None, photos: list[str] = (),
                to_review: bool = False) -> tuple[dict, bool]:
    """Store a field report; return ``(report, created)`` (False: this id was already stored).

    Parameters
    ----------
    alerts
        The :class:`~yvy.alerts.ports.AlertStore`.
    reports
        The :class:`~yvy.field.ports.FieldReportStore` (same database).
    photo_dir
        Folder the photos were uploaded to (:class:`yvy.field.photos.PhotoUpload`).
    position
        ``{"lon", "lat", "accuracy_m"}`` of the device when filed.
    observed
        The device's time (ISO); default now.
    to_review
        Move a ``new`` alert to ``under_review`` (audited review by ``by``).
    """
    from ..alerts.model import AlertStatus
    from ..alerts.review import review_alert

    photos = list(photos)
    note = note.strip() if note and note.strip() else None
    _check(report_id, finding, note, position, photos)
    observed = to_iso(parse_instant(observed, "observed")) if observed else now_iso()
    pos = position or {}
    sent = {"alert_id": alert_id, "finding": finding, "note": note, "photos": photos, "observed": observed,
            "lon": pos.get("lon"), "lat": pos.get("lat"), "accuracy_m": pos.get("accuracy_m"),
            "to_review": bool(to_review)}
    digest = _digest(sent)
    with alerts.transaction():
        alert = alerts.get_alert(alert_id)  # locks the alerts (and so report ids) until commit
        old = reports.get_report(report_id)
        if old is not None:
            if old["digest"] != digest:
                raise ConflictError(report_id, "a different report was already filed with this id")
            return old, False
        rows = _photo_rows(Path(photo_dir), photos, alert)
        change = None
        if to_review and alert.status is AlertStatus.NEW and not alert.merged_into:
            review_alert(alerts, alert_id, AlertStatus.UNDER_REVIEW, by=by,
                         note=f"field report {report_id}: {finding}")
            change = "new -> under_review"
        report = {"id": report_id, "alert_id": alert_id, "by_name": by, "finding": finding, "note": note,
                  "lon": pos.get("lon"), "lat": pos.get("lat"), "accuracy_m": pos.get("accuracy_m"),
                  "distance_m": distance_to_m(alert.geometry, pos.get("lon"), pos.get("lat")),
                  "observed": observed, "received": now_iso("microseconds"), "digest": digest,
                  "status_change": change}
        reports.add_report(report, rows)
        alerts.append_audit(at=report["received"], actor=by, alert_id=alert_id, action="field_report",
                            payload={"report": report_id, "finding": finding, "note": note,
                                     "position": [report["lon"], report["lat"]], "observed": observed,
                                     "photos": [r["sha256"] for r in rows], "status_change": change})
    return {**report, "photos": rows}, True


def report_summary(report: dict) -> str:
    """One line about a report (for the CLI and the evidence package)."""
    far = [p for p in report["photos"] if p.get("distance_m") is not None and p["distance_m"] > NEAR_M]
    where = "" if report.get("distance_m") is None else f", filed {report['distance_m']:.0f} m from the alert"
    photos = f", {len(report['photos'])} photo(s)" + (f" ({len(far)} taken over {NEAR_M:.0f} m away)" if far else "")
    return (f"{report['observed']} {report['by_name']}: {report['finding']}{where}{photos}"
            + (f" - {report['note']}" if report.get("note") else ""))


def evidence_reports(alert_store, alert_id: str, out: str | Path, images: dict[str, str]) -> list[dict]:
    """Field reports for an alert's evidence package: each photo copied to ``out`` (named by its
    SHA-256, so the package manifest hashes it) and added to ``images`` (key ``field_<sha256>``)
    for the PDF; returns the reports (``[]`` when the store keeps none)."""
    import shutil

    find = getattr(alert_store, "field_reports", None)
    reports = find(alert_id) if find is not None else []
    for r in reports:
        for p in r["photos"]:
            src = Path(p["path"])
            if not src.exists():
                continue
            dest = Path(out) / f"field_{p['sha256'][:16]}{src.suffix}"
            shutil.copyfile(src, dest)
            p["file"] = dest.name
            images[f"field_{p['sha256']}"] = str(dest)
    return reports
