"""The yvy exception tree.

Every error a user can cause is a :class:`YvyError`; its ``str()`` is one line of the form
``subject: problem``. Classes also inherit the matching builtin so callers may catch either.
This module imports nothing from yvy.
"""

from __future__ import annotations

__all__ = [
    "YvyError",
    "InputError",
    "CorruptRasterError",
    "ProjectionError",
    "EmptyAOIError",
    "DateRangeError",
    "WorkspaceError",
    "NotFoundError",
    "ConflictError",
    "MissingDependencyError",
    "E_",
]


def E_(problem: str) -> str:  # noqa: N802 - the gettext convention
    """Mark an error's problem built away from its raise site (a helper returning the text) for
    extraction into the error catalog (:mod:`yvy.i18n.errors`); returns it unchanged."""
    return problem


class YvyError(Exception):
    """Root of all yvy errors.

    Parameters
    ----------
    subject
        What the error is about: a file path, an argument name, an id.
    problem
        What is wrong with it, ideally with the fix.
    """

    def __init__(self, subject: object, problem: str | None = None):
        if problem is None:
            subject, problem = None, str(subject)
        self.subject = None if subject is None else str(subject)
        self.problem = " ".join(str(problem).split())
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.problem if self.subject is None else f"{self.subject}: {self.problem}"


class InputError(YvyError, ValueError):
    """A file or argument given by the user cannot be used."""


class CorruptRasterError(InputError):
    """A raster is truncated, corrupt or not a raster at all."""


class ProjectionError(InputError):
    """A raster or vector has no CRS or georeferencing, or a wrong one."""


class EmptyAOIError(InputError):
    """An area of interest is empty or does not overlap the data."""


class DateRangeError(InputError):
    """A date or date range is impossible (end before start, unparsable...)."""


class WorkspaceError(YvyError, OSError):
    """The workspace is missing, unreadable or of an unknown schema version."""


class NotFoundError(YvyError, LookupError):
    """An id (scene, alert, product) is not in the catalog."""


class ConflictError(YvyError, RuntimeError):
    """The request conflicts with the current state (e.g. an illegal status transition)."""


class MissingDependencyError(YvyError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""
