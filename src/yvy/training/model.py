"""What a training exercise is made of: cases with a known outcome, a trainee's answers, scores.

A :class:`Case` is one candidate detection shown to a trainee (a polygon, imagery before and
after, an NDVI series, the legal context) together with its known outcome (the truth), which
is never shown before the trainee has answered. Pure dataclasses; imports nothing beyond the
standard library and :mod:`yvy.errors`. Must not import: click, fastapi, sqlalchemy, yvy.storage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..errors import InputError

__all__ = ["ACTIONS", "DECISIONS", "KINDS", "REASONS", "Answer", "Case", "Exercise", "check_answer_input"]

KINDS = ("clearing", "seasonal", "cloud_shadow", "fire", "permit")
"""What a case really is: a real clearing, or a trap (seasonal dip, cloud shadow, fire, a clearing
inside an approved permit)."""
DECISIONS = ("confirm", "dismiss")
REASONS = ("clearing", "seasonal", "cloud_shadow", "fire", "permit", "other")
"""Why a trainee confirms (``clearing``) or dismisses (the others) a case."""
ACTIONS = ("refer", "drone", "none")
"""What follows: refer to the forest police / prosecutor, send a drone to verify, or nothing."""
REFER_MIN_HA = 10.0
"""A confirmed clearing of at least this many hectares is referred on the imagery alone; a smaller
one gets a drone flight first (the truth of :attr:`Case.truth_action`)."""


@dataclass(frozen=True)
class Case:
    """One candidate detection of an exercise, with its known outcome."""

    id: str
    """``C01``, ``C02``... in the order trainees see them."""
    kind: str
    """The truth: one of :data:`KINDS`."""
    geometry: dict
    """The candidate polygon shown (GeoJSON, WGS84)."""
    area_ha: float
    """Area of the candidate polygon."""
    before: dict
    """The scene before: ``{"date", "item", "chip"}`` (chip: PNG file name in the exercise folder)."""
    after: dict
    """The scene after, same keys."""
    series: dict
    """``{"dates": [...], "ndvi": [...], "flagged": [...]}``: the zone's mean NDVI per scene and
    whether the scene's classification marked most of it cloud or shadow."""
    legal: dict
    """``{"department", "region", "permit", "protected_areas"}`` (permit: ``{"name", "geometry"}``)."""
    truth_geometry: dict | None = None
    """What was really cleared (GeoJSON, WGS84), for the polygon score; None for traps without one."""
    truth_date: str | None = None
    """When it happened (clearing day, fire start, scene of the shadow, driest scene)."""
    source: str = ""
    """Where the case comes from (``demo clearing 3``, ``alert PY-2024-000012``, ``scene ... SCL``)."""
    note: dict = field(default_factory=dict)
    """Facts for the feedback (``cover`` of a field, ``permit`` name...)."""

    @property
    def truth_decision(self) -> str:
        """``confirm`` for a real clearing, ``dismiss`` for every trap."""
        return "confirm" if self.kind == "clearing" else "dismiss"

    @property
    def truth_reason(self) -> str:
        """The reason an expert gives (one of :data:`REASONS`)."""
        return self.kind

    @property
    def truth_action(self) -> str:
        """``refer`` (clearing of at least :data:`REFER_MIN_HA`), ``drone`` (a smaller one), ``none``."""
        if self.kind != "clearing":
            return "none"
        return "refer" if self.area_ha >= REFER_MIN_HA else "drone"

    def public(self) -> dict:
        """What a trainee sees before answering (no truth)."""
        return {"id": self.id, "geometry": self.geometry, "area_ha": self.area_ha, "before": self.before,
                "after": self.after, "series": self.series, "legal": self.legal}

    def to_dict(self) -> dict:
        """Everything, truth included (for storage)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Case:
        """The inverse of :meth:`to_dict`."""
        return cls(**d)


@dataclass(frozen=True)
class Exercise:
    """A named set of cases made by an instructor."""

    id: str
    title: str
    created: str
    created_by: str
    source: str
    """``demo`` or ``alerts``."""
    cases: tuple[Case, ...]
    params: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Number of cases of each kind."""
        return {k: sum(c.kind == k for c in self.cases) for k in KINDS}

    def case(self, case_id: str) -> Case:
        """The case ``case_id``."""
        for c in self.cases:
            if c.id == case_id:
                return c
        from ..errors import NotFoundError

        raise NotFoundError(case_id, f"no such case in exercise {self.id}")


@dataclass(frozen=True)
class Answer:
    """A trainee's answer to one case."""

    case_id: str
    decision: str
    reason: str
    action: str
    geometry: dict | None = None
    """The polygon the trainee drew or adjusted (GeoJSON, WGS84); None keeps the candidate's."""
    seconds: float = 0.0
    """Time from showing the case to the answer."""

    def to_dict(self) -> dict:
        """Plain dict."""
        return asdict(self)


def check_answer_input(decision: str, reason: str, action: str, seconds: float) -> None:
    """InputError naming the field when an answer's values are not allowed."""
    for name, value, allowed in (("decision", decision, DECISIONS), ("reason", reason, REASONS),
                                 ("action", action, ACTIONS)):
        if value not in allowed:
            raise InputError(name, f"{value!r} is not allowed; use one of {', '.join(allowed)}")
    if decision == "confirm" and reason != "clearing":
        raise InputError("reason", "a confirmed case's reason is 'clearing'")
    if decision == "dismiss" and reason == "clearing":
        raise InputError("reason", "a dismissed case needs the reason it is not a clearing")
    if not (seconds >= 0):
        raise InputError("seconds", "must be zero or more")
