"""Training simulator: exercises built from outcomes known in advance (the demo's ground truth),
trainees' sessions, scoring (accuracy, Cohen's kappa, polygon IoU, time per case) with feedback,
and certificates.

Nothing here writes alerts or the audit log: sessions and answers go to the training tables
through :class:`~yvy.training.ports.TrainingStore`. Must not import: click, fastapi, yvy.storage,
yvy.api, yvy.cli.
"""

from __future__ import annotations

from .model import ACTIONS, DECISIONS, KINDS, REASONS, Answer, Case, Exercise

__all__ = ["ACTIONS", "DECISIONS", "KINDS", "REASONS", "Answer", "Case", "Exercise"]
