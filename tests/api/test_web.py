"""The web map in headless Chromium: loads offline, shows the alerts, an analyst confirms one."""

from __future__ import annotations

import os
import re

from ._build import PASSWORDS


def test_map_shows_alerts_and_analyst_confirms(page, live_fresh):
    from playwright.sync_api import expect

    url, built = live_fresh
    outside, csp = [], []
    page.on("request", lambda r: None if r.url.startswith((url, "data:")) else outside.append(r.url))
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(url + "/?lang=en", wait_until="load", timeout=30_000)  # English (Spanish is the default)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.locator("path.yvy-alert").count() == 2
    assert page.locator("#alert-count").inner_text().startswith("2 of 2")

    # anonymous: attributes but no review controls
    page.locator("path.yvy-alert").first.click()
    page.wait_for_selector("#panel:not([hidden])", timeout=10_000)
    assert page.locator("#review").is_hidden()

    # sign in as analyst and confirm the high-confidence alert
    page.fill("#login-user", "ana")
    page.fill("#login-pass", PASSWORDS["ana"])
    page.click("#login-btn")
    expect(page.locator("#who-name")).to_have_text(re.compile("^ana"), timeout=10_000)
    aid = built.alerts[0]
    page.evaluate(f"window.location.hash = 'alert={aid}'")
    page.reload(wait_until="load")
    page.wait_for_selector(f"#panel[data-alert='{aid}']", timeout=15_000)
    page.wait_for_selector("#review:not([hidden])", timeout=10_000)
    assert "before" in page.locator("#cap-before").inner_text()
    page.select_option("#r-reason", "deforestation")
    page.fill("#r-note", "clear cut visible in the after chip")
    page.click("#btn-confirm")
    expect(page.locator("#a-attrs .v-status")).to_have_text("confirmed", timeout=15_000)
    assert page.locator("path.yvy-confirmed").count() == 1
    if os.environ.get("YVY_SCREENSHOT"):
        page.screenshot(path=os.environ["YVY_SCREENSHOT"])
    assert outside == [], f"the map fetched from elsewhere: {outside[:5]}"
    assert csp == [], f"the page broke its Content-Security-Policy: {csp[:3]}"

    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    store = SQLAlertStore(open_store(built.workspace.database_url))
    assert store.get_alert(aid).status.value == "confirmed"
    audit = [e for e in store.iter_audit(aid) if e.action == "status"]
    assert audit[-1].actor == "ana" and audit[-1].payload["reason"] == "deforestation"


def test_alert_panel_shows_drone_imagery(page, fresh):
    """A drone orthomosaic covering the alerts appears in the alert panel, drawn by the server."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from shapely.ops import unary_union

    from yvy.alerts.ports import AlertQuery
    from yvy.catalog.formats import IngestOptions
    from yvy.catalog.ingest import ingest_paths
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    from ._build import LiveServer, make_app

    store = open_store(fresh.workspace.database_url)
    alerts = SQLAlertStore(store).find_alerts(AlertQuery())
    x0, y0, x1, y1 = unary_union([a.geometry for a in alerts]).buffer(0.01).bounds
    res = 0.00005  # ~5 m
    w, h = int((x1 - x0) / res) + 1, int((y1 - y0) / res) + 1
    ortho = fresh.workspace.assets / "drone" / "flight_ortho.tif"
    ortho.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(ortho, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(x0, y1, res, res), photometric="RGB", tiled=True) as ds:
        ds.write(np.full((3, h, w), 90, np.uint8))
    assert ingest_paths(store, [ortho], IngestOptions(drone=True, datetime="2024-03-01T12:00:00Z")).ok
    store.close()
    with LiveServer(make_app(fresh)) as srv:
        page.goto(srv.url + "/?lang=en", wait_until="load", timeout=30_000)
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.locator("path.yvy-alert").first.click()
        page.wait_for_selector("#drone-chips figure img", timeout=20_000)
        page.wait_for_function("() => { const i = document.querySelector('#drone-chips img'); "
                               "return i && i.complete && i.naturalWidth > 0; }", timeout=20_000)
        assert "drone imagery · 2024-03-01" in page.locator("#drone-chips figcaption").first.inner_text()
