"""Scoring a trainee against the known outcome: per answer (decision, reason, action, polygon IoU,
feedback) and per session (accuracy, Cohen's kappa, reason and action accuracy, mean IoU, time per
case).

Cohen's kappa is scikit-learn's :func:`~sklearn.metrics.cohen_kappa_score` over the decisions
(confirm / dismiss); IoU is shapely's intersection over union of the trainee's polygon and the
cleared polygon, computed in the case's UTM zone (pyproj), so areas are metric. Imports numpy,
shapely, pyproj and scikit-learn; must not import click, fastapi, yvy.storage.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import median

from ..errors import InputError
from ..i18n import N_, Translator
from .model import KINDS, Answer, Case

__all__ = ["AnswerResult", "SessionScore", "feedback_text", "polygon_iou", "score_answer", "score_session"]

EXPLAIN = {
    "clearing": N_("A real clearing: the forest was cut around {date} and NDVI did not recover."),
    "seasonal": N_("A seasonal dip: this {cover} field greens and browns every year; nothing was cleared."),
    "cloud_shadow": N_("A cloud shadow on {date}: the scene classification marks it and the next clear "
                       "scene shows the forest standing."),
    "fire": N_("A fire around {date}: the vegetation burnt but the land was not cleared."),
    "permit": N_("A clearing inside the approved permit {permit}: legal, no action is needed."),
}
"""The expert's explanation of each kind of case (message ids; see ``training.po``)."""


@dataclass(frozen=True)
class AnswerResult:
    """How one answer compares with the truth."""

    case_id: str
    decision_ok: bool
    reason_ok: bool
    action_ok: bool
    iou: float | None
    """IoU of the trainee's polygon with the cleared one (confirmed real clearings only)."""
    truth_decision: str
    truth_reason: str
    truth_action: str
    kind: str
    seconds: float

    def to_dict(self) -> dict:
        """Plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class SessionScore:
    """A trainee's score over an exercise."""

    cases: int
    answered: int
    accuracy: float | None
    """Share of answered cases whose decision (confirm / dismiss) was right."""
    kappa: float | None
    """Cohen's kappa of the decisions against the truth (None when undefined)."""
    reason_accuracy: float | None
    action_accuracy: float | None
    mean_iou: float | None
    """Mean IoU over the real clearings the trainee confirmed."""
    median_seconds: float | None
    total_seconds: float
    by_kind: dict
    """kind -> [right, answered]."""

    def to_dict(self) -> dict:
        """Plain dict."""
        return asdict(self)


def _utm(geom):
    from pyproj import CRS, Transformer
    from shapely.ops import transform

    c = geom.centroid
    zone = int((c.x + 180) // 6) + 1
    crs = CRS.from_epsg((32600 if c.y >= 0 else 32700) + zone)
    tr = Transformer.from_crs(4326, crs, always_xy=True)
    return lambda g: transform(tr.transform, g)


def polygon_iou(a: dict, b: dict) -> float:
    """Intersection over union of two GeoJSON (WGS84) polygons, in metres of their UTM zone."""
    from shapely.geometry import shape
    from shapely.validation import make_valid

    try:
        ga, gb = make_valid(shape(a)), make_valid(shape(b))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError("geometry", "not a GeoJSON polygon") from exc
    if ga.is_empty or gb.is_empty:
        return 0.0
    to_m = _utm(gb)
    ga, gb = to_m(ga), to_m(gb)
    union = ga.union(gb).area
    return float(ga.intersection(gb).area / union) if union > 0 else 0.0


def score_answer(case: Case, answer: Answer) -> AnswerResult:
    """Compare ``answer`` with ``case``'s known outcome."""
    decision_ok = answer.decision == case.truth_decision
    iou = None
    if case.kind == "clearing" and answer.decision == "confirm" and case.truth_geometry:
        iou = polygon_iou(answer.geometry or case.geometry, case.truth_geometry)
    return AnswerResult(
        case_id=case.id, decision_ok=decision_ok, reason_ok=answer.reason == case.truth_reason,
        action_ok=answer.action == case.truth_action, iou=iou, truth_decision=case.truth_decision,
        truth_reason=case.truth_reason, truth_action=case.truth_action, kind=case.kind,
        seconds=float(answer.seconds))


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _kappa(truth: list[str], given: list[str]) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if not truth:
        return None
    if len(set(truth) | set(given)) == 1:  # one label everywhere: kappa is undefined
        return None
    k = float(cohen_kappa_score(truth, given, labels=["confirm", "dismiss"]))
    return None if math.isnan(k) else k


def score_session(cases: list[Case], results: list[AnswerResult]) -> SessionScore:
    """The session's score from the results of its answers (at most one per case)."""
    seconds = [r.seconds for r in results]
    ious = [r.iou for r in results if r.iou is not None]
    given = ["confirm" if r.decision_ok == (r.truth_decision == "confirm") else "dismiss" for r in results]
    by_kind = {k: [sum(r.decision_ok and r.reason_ok for r in results if r.kind == k),
                   sum(r.kind == k for r in results)] for k in KINDS}
    return SessionScore(
        cases=len(cases), answered=len(results), accuracy=_share([r.decision_ok for r in results]),
        kappa=_kappa([r.truth_decision for r in results], given),
        reason_accuracy=_share([r.reason_ok for r in results]),
        action_accuracy=_share([r.action_ok for r in results]),
        mean_iou=sum(ious) / len(ious) if ious else None,
        median_seconds=median(seconds) if seconds else None, total_seconds=float(sum(seconds)),
        by_kind={k: v for k, v in by_kind.items() if v[1]})


def feedback_text(case: Case, result: AnswerResult, tr: Translator) -> str:
    """What the trainee reads after answering: right or wrong, and the expert's explanation."""
    t = tr.gettext
    verdict = t("Correct.") if result.decision_ok and result.reason_ok else (
        t("Right decision, wrong reason.") if result.decision_ok else t("Wrong decision."))
    when = case.truth_date
    facts = {"date": tr.date(_day(when)) if when else "?",
             "cover": t(case.note.get("cover", "farm")), "permit": case.note.get("permit", "?")}
    parts = [verdict, t(EXPLAIN[case.kind]).format(**facts)]
    if result.iou is not None:
        parts.append(t("Polygon overlap (IoU): {iou}.").format(iou=tr.number(result.iou, 2)))
    if not result.action_ok:
        parts.append(t("Expected action: {action}.").format(action=t(ACTION_NAMES[result.truth_action])))
    return " ".join(parts)


ACTION_NAMES = {"refer": N_("refer to the authorities"), "drone": N_("send a drone"), "none": N_("no action")}


def _day(text: str):
    from datetime import date

    return date.fromisoformat(str(text)[:10])
