"""The field app in headless Chromium on a phone (390 x 844, touch): the layout, the installable
app (manifest, service worker), "sync this area", navigation, and field reports filed offline and
sent once when back online, also across 50 offline/online cycles."""

from __future__ import annotations

import hashlib
import json

import pytest

from yvy.testing.photos import geotagged_jpeg

from ._build import LiveServer, make_app

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
RANGER = ("rita", "ranger-pass-123")


@pytest.fixture
def field_server(fresh, built):
    """uvicorn over a private workspace with a ranger (its scenes are the shared workspace's
    files); yields (url, Built)."""
    from yvy.storage import open_store
    from yvy.storage.users import SQLUserStore

    store = open_store(fresh.workspace.database_url)
    SQLUserStore(store).add_user(*RANGER[:1], "ranger", RANGER[1])
    store.close()
    lon, lat = _alert_centre(fresh, fresh.alerts[0])
    targets = {"type": "FeatureCollection", "features": [  # as `yvy patrol plan` writes them; one far away
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon + 0.002, lat]}, "properties": {"id": 1}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon + 3, lat]}, "properties": {"id": 2}}]}
    (fresh.workspace.home / "field").mkdir(exist_ok=True)
    (fresh.workspace.home / "field" / "targets.geojson").write_text(json.dumps(targets))
    with LiveServer(make_app(fresh, asset_roots=str(built.workspace.assets))) as srv:
        yield srv.url, fresh


@pytest.fixture
def browser(chromium):  # noqa: F811
    """The browser; tests here open their own contexts (phone, desktop)."""
    return chromium


def _alert_centre(built, aid):
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    store = open_store(built.workspace.database_url)
    a = SQLAlertStore(store).get_alert(aid)
    store.close()
    minx, miny, maxx, maxy = a.bbox
    return (minx + maxx) / 2, (miny + maxy) / 2


def _reports(built, aid) -> list[dict]:
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    store = open_store(built.workspace.database_url)
    try:
        return SQLAlertStore(store).field_reports(aid)
    finally:
        store.close()


def _phone(browser, url, geo):
    ctx = browser.new_context(**PHONE, geolocation={"longitude": geo[0], "latitude": geo[1], "accuracy": 6},
                              permissions=["geolocation", "clipboard-read", "clipboard-write"], service_workers="allow")
    r = ctx.request.post(url + "/api/login", data=json.dumps({"username": RANGER[0], "password": RANGER[1]}),
                         headers={"Content-Type": "application/json"})
    assert r.ok, r.text()
    return ctx


def _ready(page):
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def test_phone_layout_map_fills_the_screen_desktop_unchanged(browser, field_server):
    url, built = field_server
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(url + "/", wait_until="load")
    _ready(page)
    box = page.locator("#map").bounding_box()
    assert box["width"] * box["height"] / (390 * 844) >= 0.70
    alerts = page.locator("path.yvy-alert")
    assert alerts.count() == len(built.alerts)
    for i in range(alerts.count()):  # every alert drawn inside the visible map
        b = alerts.nth(i).bounding_box()
        assert b and 0 <= b["x"] and b["x"] + b["width"] <= 390
        assert 0 <= b["y"] and b["y"] + b["height"] <= box["height"]
    assert page.locator("#side").bounding_box()["y"] >= 844 - 56  # the panel waits below the screen
    page.locator("#btn-panel").tap()
    page.wait_for_function("() => document.getElementById('side').getBoundingClientRect().bottom <= 844 - 56 + 1")
    assert page.locator("#phone-bar button").first.bounding_box()["height"] >= 44  # touch targets
    manifest = ctx.request.get(url + "/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["display"] == "standalone"
    sw = ctx.request.get(url + "/sw.js")
    assert sw.headers["service-worker-allowed"] == "/" and "javascript" in sw.headers["content-type"]
    assert csp == []
    ctx.close()

    desk = browser.new_page(viewport={"width": 1280, "height": 800})
    desk.goto(url + "/", wait_until="load")
    _ready(desk)
    assert desk.locator("#side").bounding_box()["width"] == 340 and desk.locator("#phone-bar").is_hidden()


def test_sync_offline_report_with_photo_sent_once(browser, field_server, tmp_path):
    import pyproj
    from playwright.sync_api import expect

    url, built = field_server
    aid = built.alerts[0]
    lon, lat = _alert_centre(built, aid)
    me = (lon - 0.008, lat - 0.009)  # about 1.3 km south-west of the alert
    ctx = _phone(browser, url, me)
    page = ctx.new_page()
    page.goto(url + f"/#alert={aid}", wait_until="load")
    _ready(page)
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)", timeout=30_000)
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload(wait_until="load")  # the first load installs the worker; it controls the next
        _ready(page)
    page.wait_for_selector(f"#panel[data-alert='{aid}']", timeout=15_000)
    page.wait_for_selector("#report-form:not([hidden])", timeout=15_000)

    # sync this area: the size first, then the download
    page.evaluate("([lat, lon]) => window.yvyMap.setView([lat, lon], 14)", [lat, lon])
    page.locator("#sync-max").select_option("15")
    page.locator("#sync-plan").tap()
    page.wait_for_function("() => !document.getElementById('sync-go').hidden || "
                           "document.getElementById('sync-size').dataset.bytes === undefined && "
                           "document.getElementById('sync-size').textContent.length > 12", timeout=30_000)
    assert page.locator("#sync-go").is_visible(), page.locator("#sync-size").inner_text()
    assert int(page.locator("#sync-size").get_attribute("data-bytes")) > 0
    page.locator("#sync-go").tap()
    page.wait_for_selector("body[data-synced]", timeout=120_000)
    assert page.locator("body").get_attribute("data-sync-failed") == "0"

    ctx.set_offline(True)
    page.reload(wait_until="load")  # the app itself from the service worker
    _ready(page)
    assert page.locator("path.yvy-alert").count() == len(built.alerts)  # alerts from the cache
    page.wait_for_selector(f"#panel[data-alert='{aid}']", timeout=15_000)
    assert page.locator("img.leaflet-tile-loaded").count() > 0  # the synced imagery as basemap
    page.wait_for_selector("path.yvy-target", timeout=10_000)
    assert page.locator("path.yvy-target").count() == 1  # the patrol target of the synced area

    # navigation: distance and bearing against pyproj's geodesic, UTM against pyproj
    page.locator("#btn-locate").tap()
    page.wait_for_selector("#nav-dist[data-m]", timeout=15_000)
    az, _, dist = pyproj.Geod(ellps="WGS84").inv(me[0], me[1], lon, lat)
    assert abs(int(page.locator("#nav-dist").get_attribute("data-m")) - dist) < 0.005 * dist
    assert abs(float(page.locator("#nav-bearing").get_attribute("data-deg")) - az % 360) < 0.5
    assert page.locator("path.yvy-route").count() == 1
    e, n = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32721", always_xy=True).transform(lon, lat)
    assert page.locator("#coord-utm").inner_text() == f"21S {round(e)} E {round(n)} N"
    page.locator("#copy-ll").tap()
    expect(page.locator("#copy-msg")).to_contain_text(f"{lat:.6f}, {lon:.6f}", timeout=5_000)

    # a report with a phone camera's photo (4000 x 3000, about 5 MB, EXIF GPS), filed offline
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(geotagged_jpeg(lon, lat, size=(4000, 3000), noise=12, quality=92))
    assert photo.stat().st_size > 3 << 20  # above the 1 MiB limit of the other routes
    page.locator("#rep-finding").select_option("machinery")
    page.locator("#rep-note").fill("bulldozer at the edge")
    page.locator("#rep-photos").set_input_files(str(photo))
    page.locator("#rep-send").tap()
    page.wait_for_selector("body[data-outbox='1']", timeout=10_000)
    page.wait_for_timeout(500)
    assert _reports(built, aid) == []

    ctx.set_offline(False)
    page.wait_for_selector("body[data-outbox='0']", timeout=30_000)
    reps = _reports(built, aid)
    assert len(reps) == 1 and reps[0]["finding"] == "machinery" and reps[0]["by_name"] == "rita"
    assert reps[0]["photos"][0]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert reps[0]["photos"][0]["distance_m"] == 0.0 and reps[0]["status_change"] == "new -> under_review"
    assert abs(reps[0]["distance_m"] - pyproj.Geod(ellps="WGS84").inv(me[0], me[1], lon, lat)[2]) < 0.2 * dist
    page.wait_for_selector("body[data-reports='1']", timeout=15_000)
    ctx.close()


def test_fifty_offline_online_cycles_lose_and_duplicate_nothing(browser, field_server):
    url, built = field_server
    aid = built.alerts[1]
    ctx = _phone(browser, url, _alert_centre(built, aid))
    page = ctx.new_page()
    page.goto(url + f"/#alert={aid}", wait_until="load")
    _ready(page)
    page.wait_for_selector("#report-form:not([hidden])", timeout=15_000)
    notes = []
    for i in range(50):
        ctx.set_offline(True)
        notes.append(f"cycle {i}")
        page.locator("#rep-finding").select_option(["nothing", "fire", "machinery"][i % 3])
        page.locator("#rep-note").fill(notes[-1])
        page.locator("#rep-send").tap()
        # queued: the form is cleared (filling the next note before that lost it to the reset)
        page.wait_for_function("() => document.body.dataset.outbox !== undefined && "
                               "document.getElementById('rep-note').value === ''")
        ctx.set_offline(False)
        page.wait_for_timeout(40 * (i % 5))  # sometimes the network goes while a report is on its way
    page.evaluate("() => window.yvyOutbox.flush()")
    page.wait_for_selector("body[data-outbox='0']", timeout=60_000)
    reps = _reports(built, aid)
    assert len(reps) == 50, f"{len(reps)} stored"
    assert sorted(r["note"] for r in reps) == sorted(notes)            # none lost
    assert len({r["id"] for r in reps}) == 50                          # none twice
    ctx.close()


def test_status_proposal_made_offline_follows_the_server_rules(browser, field_server):
    """An analyst confirms offline while an admin dismisses the same alert online: when the phone
    is back, the server refuses the late confirmation (dismissed is final) and says so."""
    from playwright.sync_api import expect

    from ._build import PASSWORDS, bearer

    url, built = field_server
    aid = built.alerts[1]
    ctx = browser.new_context(**PHONE, service_workers="allow")
    ctx.request.post(url + "/api/login", data=json.dumps({"username": "ana", "password": PASSWORDS["ana"]}),
                     headers={"Content-Type": "application/json"})
    page = ctx.new_page()
    page.goto(url + f"/#alert={aid}", wait_until="load")
    _ready(page)
    page.wait_for_selector("#review:not([hidden])", timeout=15_000)
    ctx.set_offline(True)
    page.locator("#r-reason").select_option("deforestation")
    page.locator("#r-note").fill("seen from the road")
    page.locator("#btn-confirm").tap()
    page.wait_for_selector("body[data-outbox='1']", timeout=10_000)
    admin = {**bearer(built, "admin"), "Content-Type": "application/json"}
    r = ctx.request.post(url + f"/api/alerts/{aid}/review", headers=admin,
                         data=json.dumps({"status": "dismissed", "reason": "agriculture"}))
    assert r.status == 200, r.text()
    ctx.set_offline(False)
    page.wait_for_selector("body[data-outbox='0']", timeout=30_000)
    # the server's refusal, in the page's language (Spanish)
    expect(page.locator("#outbox")).to_contain_text("no se puede pasar de dismissed", timeout=5_000)
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    store = open_store(built.workspace.database_url)
    assert SQLAlertStore(store).get_alert(aid).status.value == "dismissed"
    store.close()
    ctx.close()
