"""A small demo workspace (generated scenes, ingested, with users) and one exercise made from it,
built once per session; tests that write get a copy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import copy_workspace

PASSWORDS = {"ines": "instructor-pass-1", "tom": "trainee-pass-12", "vic": "viewer-pass-123"}


@dataclass
class Demo:
    """The demo workspace and the exercise made from it."""

    workspace: object
    exercise_id: str
    keys: dict
    """username -> API key."""


def _build(home: Path) -> Demo:
    from yvy.catalog.ingest import ingest_paths
    from yvy.config import Workspace
    from yvy.demo import generate_demo
    from yvy.storage import open_store
    from yvy.storage.training import SQLTrainingStore
    from yvy.storage.users import SQLUserStore
    from yvy.training.service import create_demo_exercise

    ws = Workspace.create(home)
    store = open_store(ws.database_url, create=True)
    generate_demo(ws.home / "demo", size_px=150, years=2, revisit_days=10, seed=1)
    assert ingest_paths(store, [ws.home / "demo" / "scenes"]).ok
    users = SQLUserStore(store)
    keys = {}
    for name, role in (("ines", "analyst"), ("tom", "trainee"), ("tia", "trainee"), ("vic", "viewer")):
        users.add_user(name, role, PASSWORDS.get(name, "trainee-pass-34"))
        keys[name] = users.create_api_key(name, "tests")[1]
    ex = create_demo_exercise(store, SQLTrainingStore(store), ws.home / "demo", ws.assets / "training",
                              title="Chaco 1", created_by="ines", n_cases=12, seed=0)
    store.close()
    return Demo(ws, ex.id, keys)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """The shared, read-only demo workspace with one exercise."""
    return _build(tmp_path_factory.mktemp("training") / "ws")


@pytest.fixture
def fresh_demo(demo, tmp_path) -> Demo:
    """A private copy (its database may be written)."""
    return Demo(copy_workspace(demo.workspace, tmp_path / "ws"), demo.exercise_id, demo.keys)


@pytest.fixture
def stores(fresh_demo):
    """(catalog store, training store) over the private copy."""
    from yvy.storage import open_store
    from yvy.storage.training import SQLTrainingStore

    store = open_store(fresh_demo.workspace.database_url)
    yield store, SQLTrainingStore(store)
    store.close()


@pytest.fixture
def tclient(fresh_demo):
    """A TestClient over the private copy; ``tclient.as_user(user)`` gives that user's headers."""
    from fastapi.testclient import TestClient

    from ..api._build import Built, make_app

    with TestClient(make_app(Built(fresh_demo.workspace))) as c:
        c.as_user = lambda user: {"Authorization": f"Bearer {fresh_demo.keys[user]}"}
        yield c
