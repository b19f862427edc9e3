"""The review workflow: new -> under_review -> confirmed | dismissed; confirmed -> referred.

:func:`apply_review` validates one transition and returns the updated alert and the audit
payload; :func:`review_alert` runs it against an :class:`~yvy.alerts.ports.AlertStore` in one
transaction (alert row, review history and audit entry commit together or not at all).
Confirming or dismissing a ``new`` alert opens it for review first (``under_review``, its own
audited transition in the same transaction): the one rule for the CLI, the API and the web map.
Illegal transitions raise ConflictError, bad reasons or missing fields InputError, unknown ids
NotFoundError; nothing changes in any of these cases.
"""

from __future__ import annotations

from ..dates import now_iso
from ..errors import ConflictError, InputError
from ..security.events import emit
from .model import DISMISS_REASONS, TRANSITIONS, Alert, AlertStatus
from .ports import AlertStore

__all__ = ["AUDIT_TIMESPEC", "OPENED_FIRST", "apply_review", "review_alert"]

AUDIT_TIMESPEC = "microseconds"
"""Review and audit times keep microseconds, so entries of one second stay ordered."""


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
        raise InputError("reason", "say why the alert is confirmed (a reason or a note)")
    if target is AlertStatus.REFERRED:
        if not (authority and authority.strip()) or not (case and case.strip()):
            raise InputError("referred", "needs the authority and the case number")
        authority, case = authority.strip(), case.strip()
    elif authority or case:
        raise InputError("authority", "an authority and a case number only apply to status referred")
    at = at or now_iso(AUDIT_TIMESPEC)
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
    """Apply a transition to a stored alert; one transaction with its audit entry.

    A ``new`` alert asked to become confirmed or dismissed is opened for review first
    (:data:`OPENED_FIRST`), both transitions audited and committed together or not at all.
    """
    with store.transaction():
        alert = store.get_alert(alert_id)
        target, previous = AlertStatus.parse(status), alert.status
        if alert.status is AlertStatus.NEW and target in OPENED_FIRST and not alert.merged_into:
            alert = _store_transition(store, alert, AlertStatus.UNDER_REVIEW, by=by,
                                      note=f"opened for review to be {target.value}")
        new = _store_transition(store, alert, target, by=by, reason=reason, note=note,
                                authority=authority, case=case)
    emit("review", user=new.review["by"], target=alert_id, reason=f"{previous.value} -> {new.status.value}")
    return new


OPENED_FIRST = frozenset({AlertStatus.CONFIRMED, AlertStatus.DISMISSED})
"""Targets that a ``new`` alert reaches through ``under_review`` in one request."""


def _store_transition(store: AlertStore, alert: Alert, target: AlertStatus, **kw) -> Alert:
    at = now_iso(AUDIT_TIMESPEC)
    new, payload = apply_review(alert, target, at=at, **kw)
    store.update_alert(new)
    store.add_review(alert.id, at=at, by=new.review["by"], payload=payload)
    store.append_audit(at=at, actor=new.review["by"], alert_id=alert.id, action="status", payload=payload)
    return new

