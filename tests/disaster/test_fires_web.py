"""The web map draws the fire events of the workspace (headless Chromium)."""

from __future__ import annotations

from yvy.config import Workspace
from yvy.disaster.fires import ingest_fires
from yvy.storage import open_store
from yvy.storage.fires import SQLFireStore
from yvy.testing.disaster import firms_rows, write_firms_csv

from ..api._build import LiveServer


def test_map_shows_fire_events(page, tmp_path):  # noqa: F811
    from yvy.api import create_app
    from yvy.api.settings import ServeSettings

    ws = Workspace.create(tmp_path / "ws")
    store = open_store(ws.database_url, create=True)
    rows = firms_rows(200, fires=4, seed=15)
    write_firms_csv(tmp_path / "f.csv", rows)
    res = ingest_fires([tmp_path / "f.csv"], SQLFireStore(store))
    store.close()
    with LiveServer(create_app(ws, ServeSettings(notify_interval=0))) as srv:
        page.goto(srv.url + "/?lang=en", wait_until="load", timeout=30_000)
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        assert page.locator("path.yvy-fire").count() == res.events
        assert page.locator("#fire-count").inner_text().startswith(f"{res.events} of {res.events}")
        page.uncheck("#show-fires")
        page.wait_for_function("document.querySelectorAll('path.yvy-fire').length === 0", timeout=10_000)
