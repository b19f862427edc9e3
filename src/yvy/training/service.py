"""The training use cases: create an exercise, start a session, answer a case, read results.

Every write goes through a :class:`~yvy.training.ports.TrainingStore`; the alert store and the
audit log are only ever read (an exercise from past alerts) and never written. Imports the
domain modules of this package; must not import click, fastapi, yvy.storage.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..catalog.ports import ItemQuery
from ..dates import now_iso
from ..errors import ConflictError, InputError, NotFoundError
from .build import demo_candidates, make_cases
from .model import Answer, Case, Exercise, check_answer_input
from .score import AnswerResult, SessionScore, score_answer, score_session

__all__ = ["PATROL", "answer_case", "answer_patrol", "class_results", "create_alert_exercise", "create_demo_exercise",
           "create_patrol_exercise", "patrol_public", "session_report"]

PATROL = "patrol"
"""The ``source`` of a patrol exercise (one flight to plan, no cases), and its answer's case id."""


def _new_id() -> str:
    return f"EX-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _store_new(trainings, out_root: str | Path, make: Callable[[Path], list[Case]], **fields) -> Exercise:
    """Make the cases (their chips into a hidden folder under ``out_root``), store the exercise,
    then rename the folder to ``out_root/<id>``: a failure leaves neither files nor rows."""
    ex_id = _new_id()
    out_root = Path(out_root)
    tmp = out_root / f".{ex_id}.tmp"
    try:
        cases = make(tmp)
        ex = Exercise(id=ex_id, created=now_iso(), cases=tuple(cases), **fields)
        trainings.add_exercise(ex)
        tmp.rename(out_root / ex_id)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ex


def _check_count(n_cases: int) -> None:
    if not 4 <= n_cases <= 200:
        raise InputError("cases", "must be between 4 and 200")


def create_demo_exercise(catalog, trainings, demo_dir: str | Path, out_root: str | Path, *, title: str,
                         created_by: str, n_cases: int = 30, seed: int = 0, alerts: Sequence = (),
                         fire_events: Sequence[dict] = (), context: Sequence = (),
                         progress: Callable | None = None) -> Exercise:
    """An exercise of ``n_cases`` cases from a demo workspace's ground truth (see :mod:`.build`)."""
    import json

    _check_count(n_cases)
    demo_dir = Path(demo_dir)
    try:
        manifest = json.loads((demo_dir / "demo.json").read_text())
    except (OSError, ValueError) as exc:
        raise InputError(str(demo_dir), "not a demo folder (no readable demo.json)") from exc
    items = catalog.search_items(ItemQuery(bbox=tuple(manifest["bounds_lonlat"])))
    cands, stack = demo_candidates(demo_dir, items, alerts=alerts, fire_events=fire_events, n_cases=n_cases,
                                   seed=seed, progress=progress)
    return _store_new(trainings, out_root,
                      lambda tmp: make_cases(cands, stack, tmp, context=context, site=manifest.get("site")),
                      title=title, created_by=created_by, source="demo",
                      params={"demo": str(demo_dir), "seed": seed, "cases": n_cases})


def create_alert_exercise(catalog, alert_store, trainings, out_root: str | Path, *, title: str, created_by: str,
                          n_cases: int = 30, seed: int = 0, bbox=None, context: Sequence = (),
                          progress: Callable | None = None) -> Exercise:
    """An exercise from past alerts that analysts confirmed or dismissed (see :mod:`.from_alerts`)."""
    from shapely.geometry import mapping

    from ..alerts.ports import AlertQuery
    from .from_alerts import alert_candidates, alert_cases, choose

    _check_count(n_cases)
    alerts = alert_store.find_alerts(AlertQuery(status=["confirmed", "dismissed"], bbox=bbox))
    cands, skipped = alert_candidates(alerts)
    if len(cands) < 4:
        raise InputError("alerts", f"{len(cands)} confirmed or dismissed alert(s) usable for training "
                         f"({skipped} left out for their dismissal reason); 4 or more are needed")
    cands = choose(cands, n_cases, seed)

    def items_for(geom, start: str, end: str) -> list[dict]:
        return catalog.search_items(ItemQuery(intersects=mapping(geom), start=start, end=end))

    return _store_new(trainings, out_root,
                      lambda tmp: alert_cases(cands, items_for, tmp, context=context, progress=progress),
                      title=title, created_by=created_by, source="alerts",
                      params={"seed": seed, "cases": n_cases, "bbox": list(bbox) if bbox else None,
                              "left_out": skipped})


def answer_case(trainings, session_id: str, trainee: str, answer: Answer) -> tuple[Case, AnswerResult]:
    """Score and record a trainee's answer to a case of their session."""
    check_answer_input(answer.decision, answer.reason, answer.action, answer.seconds)
    if answer.geometry is not None:
        _check_polygon(answer.geometry)
    session = trainings.get_session(session_id)
    if session["trainee"] != trainee:  # another trainee's session is not shown to exist
        raise NotFoundError(session_id, "no such training session")
    if session["finished"]:
        raise ConflictError(session_id, "this session is finished")
    case = trainings.get_exercise(session["exercise_id"]).case(answer.case_id)
    result = score_answer(case, answer)
    trainings.add_answer(session_id, case.id, answer.to_dict(), result.to_dict())
    return case, result


def _check_polygon(geojson: dict) -> None:
    from shapely.geometry import shape

    try:
        geom = shape(geojson)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError("geometry", "not a GeoJSON polygon") from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise InputError("geometry", f"a polygon is needed, not {geom.geom_type}")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError("geometry", "coordinates must be longitude, latitude (WGS84)")


def _score(ex: Exercise, pairs: list[tuple[dict, dict]]) -> dict:
    """The session score: detection cases scored together; a patrol exercise's one flight as
    ``patrol`` (the :func:`~yvy.training.patrol.score_patrol` result) beside empty case figures."""
    if ex.source == PATROL:
        return {**score_session([], []).to_dict(), "cases": 1, "answered": len(pairs),
                "patrol": pairs[0][1] if pairs else None}
    score: SessionScore = score_session(list(ex.cases), [AnswerResult(**r) for _, r in pairs])
    return score.to_dict()


def session_report(trainings, session_id: str) -> dict:
    """A session with its exercise, score and one row per answered case."""
    session = trainings.get_session(session_id)
    ex = trainings.get_exercise(session["exercise_id"])
    pairs = trainings.answers(session_id)
    rows = [{**a, **r} for a, r in pairs]
    return {"session": session, "exercise": {"id": ex.id, "title": ex.title, "cases": len(ex.cases),
                                             "source": ex.source},
            "score": _score(ex, pairs), "answers": rows}


def class_results(trainings, exercise_id: str) -> dict:
    """Every session of an exercise with its score (the instructor's view of a class)."""
    ex = trainings.get_exercise(exercise_id)
    rows = [{**s, "score": _score(ex, trainings.answers(s["id"]))} for s in trainings.sessions(exercise_id=exercise_id)]
    return {"exercise": {"id": ex.id, "title": ex.title, "cases": len(ex.cases), "counts": ex.counts(),
                         "created": ex.created, "created_by": ex.created_by, "source": ex.source}, "sessions": rows}


# -- the patrol exercise: one flight to plan on a risk map -----------------------------------------
def create_patrol_exercise(trainings, doc: dict, *, title: str, created_by: str) -> Exercise:
    """Store a patrol exercise (:func:`yvy.training.patrol.make_patrol_exercise`'s document) so
    trainees can plan it in the web map; the planner's flight stays hidden until they answer."""
    ex = Exercise(id=_new_id(), title=title, created=now_iso(), created_by=created_by, source=PATROL, cases=(),
                  params={PATROL: doc})
    trainings.add_exercise(ex)
    return ex


def patrol_public(ex: Exercise) -> dict:
    """What a trainee sees of a patrol exercise: base, range, no-fly zones and hot spots (not the
    planner's flight)."""
    doc = ex.params[PATROL]
    return {k: doc[k] for k in ("base", "range_m", "nofly", "targets")}


def answer_patrol(trainings, session_id: str, trainee: str, route: Sequence[str], seconds: float = 0.0) -> dict:
    """Score and record a trainee's flight (target ids in flying order); the result and the
    planner's flight."""
    from .patrol import score_patrol

    session = trainings.get_session(session_id)
    if session["trainee"] != trainee:
        raise NotFoundError(session_id, "no such training session")
    if session["finished"]:
        raise ConflictError(session_id, "this session is finished")
    ex = trainings.get_exercise(session["exercise_id"])
    if ex.source != PATROL:
        raise InputError("route", f"exercise {ex.id} is not a patrol exercise")
    if not route:
        raise InputError("route", "choose at least one hot spot")
    if not seconds >= 0:
        raise InputError("seconds", "must be zero or more")
    doc = ex.params[PATROL]
    result = {**score_patrol(doc, list(route)), "seconds": float(seconds)}
    trainings.add_answer(session_id, PATROL, {"case_id": PATROL, "route": list(route)}, result)
    return {"result": result, "planner": doc["planner"]}
