"""The review workflow: new -> under_review -> confirmed | dismissed; confirmed -> referred.

:func:`apply_review` validates one transition and returns the updated alert and the audit
payload; :func:`review_alert` runs it against an :class:`~yvy.alerts.ports.AlertStore` in one
transaction (alert row, review history and audit entry commit together or not at all).
Illegal transitions raise ConflictError, bad reasons or missing fields InputError, unknown ids
NotFoundError; nothing changes in any of these cases.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import ConflictError, InputError
from .model import DISMISS_REASONS, TRANSITIONS, Alert, AlertStatus
from .ports import AlertStore

__all__ = ["apply_review", "decide_alert", "now_iso", "review_alert"]


def now_iso() -> str:
    """Current UTC time as ISO 8601 with microseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def apply_review(alert: Alert, status: str | AlertStatus, *, by: str, reason: str | None = None,
                 note: str | None = None, authority: str | None = None, case: str | None = None,
                 at: str | None = None) -> tuple[Alert, dict]:
    """Validate and apply one status transition (pure).

    Returns
    -------
    (Alert, dict)
        The alert in its new status and the audit payload (from, to, reason, note, ...).
    """
    target = AlertStatus.parse(status)
    by = (by or "").strip()
    if not by:
        raise InputError("by", "the reviewer's name is required")
    if alert.merged_into:
        raise ConflictError(alert.id, f"was merged into {alert.merged_into}; review that alert")
    allowed = TRANSITIONS[alert.status]
    if target not in allowed:
        nxt = ", ".join(sorted(s.value for s in allowed)) or "none (final state)"
        raise ConflictError(alert.id, f"cannot go from {alert.status.value} to {target.value}; allowed: {nxt}")
    reason = reason.strip() if reason else None
    note = note.strip() if note else None
    if target is AlertStatus.DISMISSED:
        if reason not in DISMISS_REASONS:
            got = "no reason" if reason is None else repr(reason)
            raise InputError("reason", f"{got} is not a dismissal reason; use one of {', '.join(DISMISS_REASONS)}")
    elif target in (AlertStatus.CONFIRMED,) and not (reason or note):
        raise InputError("reason", "say why the alert is confirmed (--reason or --note)")
    if target is AlertStatus.REFERRED:
        if not (authority and authority.strip()) or not (case and case.strip()):
            raise InputError("referred", "needs the authority and the case number (--authority, --case)")
        authority, case = authority.strip(), case.strip()
    elif authority or case:
        raise InputError("authority", "--authority and --case only apply to status referred")
    at = at or now_iso()
    review = {"by": by, "at": at, "status": target.value, "reason": reason, "note": note}
    if target is AlertStatus.REFERRED:
        review.update(authority=authority, case=case)
    elif alert.review.get("authority"):
        review.update(authority=alert.review["authority"], case=alert.review.get("case"))
    payload = {"from": alert.status.value, "to": target.value, "reason": reason, "note": note,
               "authority": authority, "case": case}
    return alert.with_(status=target, review=review, updated=at), payload


def review_alert(store: AlertStore, alert_id: str, status: str | AlertStatus, *, by: str,
                 reason: str | None = None, note: str | None = None, authority: str | None = None,
                 case: str | None = None) -> Alert:
    """Apply a transition to a stored alert; one transaction with its audit entry."""
    with store.transaction():
        alert = store.get_alert(alert_id)
        at = now_iso()
        new, payload = apply_review(alert, status, by=by, reason=reason, note=note, authority=authority,
                                    case=case, at=at)
        store.update_alert(new)
        store.add_review(alert_id, at=at, by=new.review["by"], payload=payload)
        store.append_audit(at=at, actor=new.review["by"], alert_id=alert_id, action="status", payload=payload)
    return new


def decide_alert(store: AlertStore, alert_id: str, status: str | AlertStatus, *, by: str,
                 reason: str | None = None, note: str | None = None, authority: str | None = None,
                 case: str | None = None) -> Alert:
    """A review as the CLI and the API apply it: a decision (confirmed or dismissed) on an alert
    that is still new first records the workflow's under_review step; both commit together,
    or neither does (a refused decision leaves the alert new)."""
    target = AlertStatus.parse(status)
    with store.transaction():
        if target in (AlertStatus.CONFIRMED, AlertStatus.DISMISSED) and \
                store.get_alert(alert_id).status is AlertStatus.NEW:
            review_alert(store, alert_id, AlertStatus.UNDER_REVIEW, by=by, note="opened for review with the decision")
        return review_alert(store, alert_id, target, by=by, reason=reason, note=note, authority=authority,
                            case=case)
