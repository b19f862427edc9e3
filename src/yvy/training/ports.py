"""The port through which the training domain keeps exercises, sessions and answers.

Implemented by :class:`yvy.storage.training.SQLTrainingStore`. Training data lives in its own
tables: no method here reads or writes alerts or the audit log. Imports only typing.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["TrainingStore"]


@runtime_checkable
class TrainingStore(Protocol):
    """Persistence of training exercises, trainees' sessions and their answers."""

    def add_exercise(self, exercise) -> None:
        """Store an :class:`~yvy.training.model.Exercise` and its cases (one transaction)."""

    def get_exercise(self, exercise_id: str):
        """The exercise, or NotFoundError."""

    def list_exercises(self) -> list[dict]:
        """``{"id", "title", "source", "created", "created_by", "cases", "sessions"}``, newest first."""

    def start_session(self, exercise_id: str, trainee: str) -> dict:
        """The trainee's open session of the exercise, or a new one."""

    def get_session(self, session_id: str) -> dict:
        """``{"id", "exercise_id", "trainee", "started", "finished"}``, or NotFoundError."""

    def sessions(self, exercise_id: str | None = None, trainee: str | None = None) -> list[dict]:
        """Sessions (of an exercise, of a trainee), oldest first."""

    def add_answer(self, session_id: str, case_id: str, answer: dict, result: dict) -> None:
        """Record one answer; ConflictError if the case was answered or the session finished."""

    def answers(self, session_id: str) -> list[tuple[dict, dict]]:
        """(answer, result) of a session, in answering order."""

    def finish_session(self, session_id: str) -> dict:
        """Close the session (no more answers); the session."""
