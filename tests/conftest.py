"""Shared fixtures.

Real data is found through ``YVY_TEST_DATA`` (default ``../shared/data`` beside the repository).
Locally a test whose data or system component is missing is skipped with the reason; under
``CI=true`` it fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_root() -> Path:
    return Path(os.environ.get("YVY_TEST_DATA", REPO.parent / "shared" / "data")).resolve()


def missing(reason: str):
    """Skip locally, fail under CI=true: the one place this policy lives."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required for CI but missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def yvy_data() -> Path:
    """Root of the shared real data (``YVY_TEST_DATA``)."""
    root = _data_root()
    if not (root / "MANIFEST.md").exists():
        missing(f"real test data not found at {root} (set YVY_TEST_DATA)")
    return root


@pytest.fixture
def data_file(yvy_data):
    """Return a function mapping a path relative to the data root to an existing Path."""

    def get(rel: str) -> Path:
        p = yvy_data / rel
        if not p.exists():
            missing(f"real test file {rel} not found under {yvy_data}")
        return p

    return get
