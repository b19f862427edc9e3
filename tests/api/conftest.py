"""Fixtures for the server tests: a workspace built once per session (copied for tests that
write), apps over it, and uvicorn on 127.0.0.1."""

from __future__ import annotations

import pytest

from ..conftest import copy_workspace
from ._build import Built, LiveServer, build_workspace, make_app


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    """The shared, read-only workspace."""
    return build_workspace(tmp_path_factory.mktemp("serve") / "ws")


@pytest.fixture
def fresh(built, tmp_path) -> Built:
    """A private copy of the workspace (its database may be written)."""
    return Built(copy_workspace(built.workspace, tmp_path / "ws"), built.scenes, built.detection, built.alerts,
                 dict(built.keys))


@pytest.fixture
def client(built):
    """TestClient over the shared workspace (read-only use)."""
    from fastapi.testclient import TestClient

    with TestClient(make_app(built)) as c:
        yield c


@pytest.fixture
def wclient(fresh):
    """TestClient over a private copy (tests that write)."""
    from fastapi.testclient import TestClient

    with TestClient(make_app(fresh)) as c:
        yield c


@pytest.fixture
def live(built):
    """uvicorn on loopback over the shared workspace; yields the base URL."""
    with LiveServer(make_app(built)) as srv:
        yield srv.url


@pytest.fixture
def live_fresh(fresh):
    """uvicorn on loopback over a private copy; yields (url, Built)."""
    with LiveServer(make_app(fresh)) as srv:
        yield srv.url, fresh
