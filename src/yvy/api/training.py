"""The training simulator over HTTP: the page ``/training`` and the ``/api/training`` routes.

Trainees (role ``trainee`` and above) list exercises, see cases without their outcome, start a
session and answer case by case (each answer is scored at once, with feedback in the trainee's
language); instructors (``analyst`` and above) read a class's results. A session is readable
by its trainee and by instructors. Nothing here writes alerts or the audit log.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from ..errors import NotFoundError
from ..i18n import LANGUAGES, translator
from .auth import SECURITY, require_role
from .web import WEB_DIR

__all__ = ["router"]

router = APIRouter(tags=["Training"])
trainee = Depends(require_role("trainee"))
instructor = Depends(require_role("analyst"))
_CHIP = re.compile(r"^C\d{2,3}_(before|after)\.png$")
Lang = Query("es", pattern="^(" + "|".join(LANGUAGES) + ")$", description="language of the feedback")


class AnswerIn(BaseModel):
    """A trainee's answer to one case."""

    case_id: str = Field(max_length=16)
    decision: Literal["confirm", "dismiss"]
    reason: Literal["clearing", "seasonal", "cloud_shadow", "fire", "permit", "other"]
    action: Literal["refer", "drone", "none"]
    geometry: dict[str, Any] | None = Field(None, description="the polygon drawn or adjusted (GeoJSON, WGS84)")
    seconds: float = Field(0.0, ge=0, le=86_400)


class PatrolIn(BaseModel):
    """A trainee's flight in a patrol exercise."""

    route: list[str] = Field(min_length=1, max_length=100, description="hot spot ids in flying order")
    seconds: float = Field(0.0, ge=0, le=86_400)


def _store(request: Request):
    from ..storage.training import SQLTrainingStore

    return SQLTrainingStore(request.app.state.yvy.store)


def _own_or_instructor(request: Request, session_id: str, user) -> dict:
    session = _store(request).get_session(session_id)
    if session["trainee"] != user.username and not user.has_role("analyst"):
        raise NotFoundError(session_id, "no such training session")
    return session


@router.get("/training", include_in_schema=False)
def page() -> FileResponse:
    """The training page of the web map."""
    return FileResponse(WEB_DIR / "training.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/api/training/exercises", summary="Training exercises", dependencies=[trainee])
def exercises(request: Request) -> list[dict]:
    """Exercises with their numbers of cases and sessions, newest first."""
    return _store(request).list_exercises()


@router.get("/api/training/exercises/{exercise_id}", summary="An exercise's cases", dependencies=[trainee])
def exercise(request: Request, exercise_id: str) -> dict:
    """The exercise with its cases as trainees see them (no outcome); a patrol exercise with its
    base, range and hot spots (not the planner's flight)."""
    from ..training.service import PATROL, patrol_public

    ex = _store(request).get_exercise(exercise_id)
    out = {"id": ex.id, "title": ex.title, "created": ex.created, "source": ex.source,
           "cases": [c.public() for c in ex.cases]}
    if ex.source == PATROL:
        out["patrol"] = patrol_public(ex)
    return out


@router.get("/api/training/exercises/{exercise_id}/chips/{name}", summary="A case's image",
            dependencies=[trainee], response_class=FileResponse)
def chip(request: Request, exercise_id: str, name: str) -> FileResponse:
    """The before or after image of a case (PNG)."""
    _store(request).get_exercise(exercise_id)  # 404 for an unknown exercise
    path = request.app.state.yvy.workspace.assets / "training" / exercise_id / name
    if not _CHIP.match(name) or not path.is_file():
        raise NotFoundError(name, "no such image")
    return FileResponse(path, media_type="image/png")


@router.post("/api/training/exercises/{exercise_id}/sessions", summary="Start or resume a session",
             dependencies=[*SECURITY])
def start(request: Request, exercise_id: str, user=trainee) -> dict:
    """The signed-in trainee's open session of the exercise (a new one if none), with its score so far."""
    from ..training.service import session_report

    s = _store(request).start_session(exercise_id, user.username)
    return session_report(_store(request), s["id"])


@router.get("/api/training/sessions/{session_id}", summary="A session's score")
def session(request: Request, session_id: str, user=trainee) -> dict:
    """A session with its score and answers (its trainee or an instructor)."""
    from ..training.service import session_report

    _own_or_instructor(request, session_id, user)
    return session_report(_store(request), session_id)


@router.post("/api/training/sessions/{session_id}/answers", summary="Answer a case", dependencies=[*SECURITY])
def answer(request: Request, session_id: str, body: AnswerIn, user=trainee, lang: str = Lang) -> dict:
    """Score one answer: the result, the feedback, the true polygon and the session's score so far."""
    from ..training.model import Answer
    from ..training.score import feedback_text
    from ..training.service import answer_case, session_report

    case, result = answer_case(_store(request), session_id, user.username, Answer(**body.model_dump()))
    return {"result": result.to_dict(), "feedback": feedback_text(case, result, translator(lang)),
            "truth_geometry": case.truth_geometry, "score": session_report(_store(request), session_id)["score"]}


@router.post("/api/training/sessions/{session_id}/patrol", summary="Answer a patrol exercise",
             dependencies=[*SECURITY])
def patrol(request: Request, session_id: str, body: PatrolIn, user=trainee, lang: str = Lang) -> dict:
    """Score the trainee's flight against the planner's: the result, the planner's flight, feedback."""
    from ..training.patrol import patrol_feedback
    from ..training.service import answer_patrol

    out = answer_patrol(_store(request), session_id, user.username, body.route, body.seconds)
    return {**out, "feedback": patrol_feedback(out["result"], translator(lang))}


@router.post("/api/training/sessions/{session_id}/finish", summary="Finish a session", dependencies=[*SECURITY])
def finish(request: Request, session_id: str, user=trainee) -> dict:
    """Close the session (no more answers) and return its score."""
    from ..training.service import session_report

    s = _store(request).get_session(session_id)
    if s["trainee"] != user.username:
        raise NotFoundError(session_id, "no such training session")
    _store(request).finish_session(session_id)
    return session_report(_store(request), session_id)


@router.get("/api/training/sessions/{session_id}/certificate.{fmt}", summary="A session's certificate",
            response_class=Response, responses={200: {"content": {"application/pdf": {}, "text/csv": {}}}})
def certificate(request: Request, session_id: str, fmt: Literal["pdf", "csv"], user=trainee,
                lang: str = Lang) -> Response:
    """The certificate of a session as PDF or CSV (its trainee or an instructor)."""
    import tempfile

    from ..training.certificate import write_certificate
    from ..training.service import session_report

    _own_or_instructor(request, session_id, user)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_certificate(session_report(_store(request), session_id), tmp, lang=lang)[fmt]
        body = path.read_bytes()
    media = "application/pdf" if fmt == "pdf" else "text/csv; charset=utf-8"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{path.name}"'})


@router.get("/api/training/exercises/{exercise_id}/results", summary="A class's results",
            dependencies=[instructor])
def results(request: Request, exercise_id: str) -> dict:
    """Every session of the exercise with its score (instructors)."""
    from ..training.service import class_results

    return class_results(_store(request), exercise_id)
