"""Training exercises, sessions and answers in the workspace database (tables ``training_*``,
revision 0004; SQLite or PostGIS).

Implements :class:`yvy.training.ports.TrainingStore` over a :class:`yvy.storage.Store`. It
touches no other table: a trainee's answers never reach the alerts or the audit log.

Must not import: fastapi, click, yvy.api, yvy.cli.
"""

from __future__ import annotations

import json
import secrets

import sqlalchemy as sa

from ..dates import now_iso
from ..errors import ConflictError, NotFoundError
from .schema import training_answers, training_cases, training_exercises, training_sessions
from .store import StoreAdapter

__all__ = ["SQLTrainingStore"]


class SQLTrainingStore(StoreAdapter):
    """Training data over the workspace :class:`yvy.storage.Store`."""

    # -- exercises ------------------------------------------------------------------------
    def add_exercise(self, exercise) -> None:
        """Store the exercise and its cases in one transaction (ConflictError if the id exists)."""
        with self.store.transaction() as c:
            if c.execute(sa.select(training_exercises.c.id).where(training_exercises.c.id == exercise.id)).first():
                raise ConflictError(exercise.id, "an exercise with this id exists")
            c.execute(sa.insert(training_exercises).values(
                id=exercise.id, title=exercise.title, source=exercise.source, created=exercise.created,
                created_by=exercise.created_by, params=json.dumps(exercise.params)))
            if exercise.cases:  # a patrol exercise has none
                c.execute(sa.insert(training_cases), [
                    {"exercise_id": exercise.id, "case_id": case.id, "kind": case.kind,
                     "doc": json.dumps(case.to_dict(), ensure_ascii=False)} for case in exercise.cases])

    def get_exercise(self, exercise_id: str):
        """The :class:`~yvy.training.model.Exercise`, or NotFoundError."""
        from ..training.model import Case, Exercise

        row = self.store.one(sa.select(training_exercises).where(training_exercises.c.id == exercise_id),
                             NotFoundError(exercise_id, "no such training exercise"))
        docs = self.store._all(sa.select(training_cases.c.doc).where(training_cases.c.exercise_id == exercise_id)
                               .order_by(training_cases.c.pk))
        return Exercise(id=row.id, title=row.title, created=row.created, created_by=row.created_by,
                        source=row.source, cases=tuple(Case.from_dict(json.loads(d)) for (d,) in docs),
                        params=json.loads(row.params))

    def list_exercises(self) -> list[dict]:
        """Exercises with their numbers of cases and sessions, newest first."""
        e = training_exercises.c
        n_cases = (sa.select(sa.func.count()).select_from(training_cases)
                   .where(training_cases.c.exercise_id == e.id).scalar_subquery().label("cases"))
        n_sessions = (sa.select(sa.func.count()).select_from(training_sessions)
                      .where(training_sessions.c.exercise_id == e.id).scalar_subquery().label("sessions"))
        rows = self.store._all(sa.select(e.id, e.title, e.source, e.created, e.created_by, n_cases, n_sessions)
                               .order_by(e.created.desc(), e.id))
        return [r._asdict() for r in rows]

    # -- sessions and answers ---------------------------------------------------------------
    def start_session(self, exercise_id: str, trainee: str) -> dict:
        """The trainee's open session of the exercise, or a new one."""
        s = training_sessions.c
        with self.store.transaction() as c:
            if not c.execute(sa.select(training_exercises.c.id).where(training_exercises.c.id == exercise_id)).first():
                raise NotFoundError(exercise_id, "no such training exercise")
            row = c.execute(sa.select(training_sessions).where(
                s.exercise_id == exercise_id, s.trainee == trainee, s.finished.is_(None))).first()
            if row is not None:
                return row._asdict()
            sid = f"TS-{secrets.token_hex(6)}"
            c.execute(sa.insert(training_sessions).values(id=sid, exercise_id=exercise_id, trainee=trainee,
                                                          started=now_iso()))
            return c.execute(sa.select(training_sessions).where(s.id == sid)).first()._asdict()

    def get_session(self, session_id: str) -> dict:
        """The session, or NotFoundError."""
        return self.store.one(sa.select(training_sessions).where(training_sessions.c.id == session_id),
                              NotFoundError(session_id, "no such training session"))._asdict()

    def sessions(self, exercise_id: str | None = None, trainee: str | None = None) -> list[dict]:
        """Sessions, oldest first, optionally of one exercise and/or one trainee."""
        s = training_sessions.c
        stmt = sa.select(training_sessions).order_by(s.started, s.id)
        if exercise_id is not None:
            stmt = stmt.where(s.exercise_id == exercise_id)
        if trainee is not None:
            stmt = stmt.where(s.trainee == trainee)
        return [r._asdict() for r in self.store._all(stmt)]

    def add_answer(self, session_id: str, case_id: str, answer: dict, result: dict) -> None:
        """Record one answer (ConflictError: case already answered, or session finished)."""
        a = training_answers.c
        with self.store.transaction() as c:
            row = c.execute(sa.select(training_sessions).where(training_sessions.c.id == session_id)).first()
            if row is None:
                raise NotFoundError(session_id, "no such training session")
            if row.finished:
                raise ConflictError(session_id, "this session is finished")
            if c.execute(sa.select(a.pk).where(a.session_id == session_id, a.case_id == case_id)).first():
                raise ConflictError(case_id, "this case was already answered in this session")
            c.execute(sa.insert(training_answers).values(
                session_id=session_id, case_id=case_id, answered=now_iso(),
                answer=json.dumps(answer, ensure_ascii=False), result=json.dumps(result)))

    def answers(self, session_id: str) -> list[tuple[dict, dict]]:
        """(answer, result) pairs of a session, in answering order."""
        a = training_answers.c
        rows = self.store._all(sa.select(a.answer, a.result).where(a.session_id == session_id).order_by(a.pk))
        return [(json.loads(x), json.loads(y)) for x, y in rows]

    def finish_session(self, session_id: str) -> dict:
        """Mark the session finished (idempotent); the session."""
        s = training_sessions.c
        self.store.write(sa.update(training_sessions).where(s.id == session_id, s.finished.is_(None))
                         .values(finished=now_iso()))
        return self.get_session(session_id)
