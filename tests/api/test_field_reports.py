"""Field reports through the API: the ranger role, photo upload by SHA-256 with EXIF, idempotent
replays, the move to under_review, audit, `yvy alerts show`, the evidence hook, the sync plan,
and the migration that admits rangers into an existing database."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid

import numpy as np
import pytest
from PIL import Image

from yvy.testing.photos import geotagged_jpeg

from ._build import make_app


@pytest.fixture
def rclient(fresh):
    """TestClient over a private workspace with a ranger ``rita`` (API key in ``fresh.keys``)."""
    from fastapi.testclient import TestClient

    from yvy.storage import open_store
    from yvy.storage.users import SQLUserStore

    store = open_store(fresh.workspace.database_url)
    users = SQLUserStore(store)
    users.add_user("rita", "ranger", "ranger-pass-123")
    fresh.keys["rita"] = users.create_api_key("rita", "phone")[1]
    store.close()
    with TestClient(make_app(fresh)) as c:
        c.built = fresh
        yield c


def _auth(c, who="rita") -> dict:
    return {"Authorization": f"Bearer {c.built.keys[who]}"}


def _centre(c, aid):
    from shapely.geometry import shape

    g = shape(c.get(f"/api/alerts/{aid}").json()["feature"]["geometry"])
    return g.centroid.x, g.centroid.y


def test_ranger_files_report_with_geotagged_photo_once(rclient):
    c = rclient
    aid = c.built.alerts[0]
    lon, lat = _centre(c, aid)
    near = geotagged_jpeg(lon, lat)
    far = geotagged_jpeg(lon + 0.05, lat, colour=(200, 10, 10))  # about 5 km east
    shas = []
    for data in (near, far):
        sha = hashlib.sha256(data).hexdigest()
        r = c.put(f"/api/field/photos/{sha}", content=data, headers=_auth(c) | {"Content-Type": "image/jpeg"})
        assert r.status_code == 200, r.text
        assert r.json()["lat"] == pytest.approx(lat, abs=1e-5) and r.json()["taken"] == "2024:07:20 10:11:12"
        shas.append(sha)
    # a body that does not hash to its URL is refused
    bad = c.put(f"/api/field/photos/{'0' * 64}", content=near, headers=_auth(c))
    assert bad.status_code == 400

    rid = str(uuid.uuid4())
    body = {"id": rid, "finding": "machinery", "note": "two bulldozers", "observed": "2024-07-20T10:15:00Z",
            "position": {"lon": lon + 0.001, "lat": lat, "accuracy_m": 8}, "photos": shas}
    first = c.post(f"/api/alerts/{aid}/reports", json=body, headers=_auth(c))
    assert first.status_code == 201, first.text
    rep = first.json()["report"]
    assert rep["status_change"] == "new -> under_review" and rep["by_name"] == "rita"
    dists = {p["sha256"]: p["distance_m"] for p in rep["photos"]}
    assert dists[shas[0]] == 0.0            # taken inside the alert polygon
    assert 4000 < dists[shas[1]] < 6000     # 0.05 degrees of longitude at 22.6 S is 5.14 km
    # the replay of a lost answer: same report, stored once
    again = c.post(f"/api/alerts/{aid}/reports", json=body, headers=_auth(c))
    assert again.status_code == 200 and again.json()["created"] is False
    # the same id with other content is a conflict
    other = c.post(f"/api/alerts/{aid}/reports", json={**body, "finding": "fire"}, headers=_auth(c))
    assert other.status_code == 409
    listed = c.get(f"/api/alerts/{aid}/reports").json()["reports"]
    assert [r["id"] for r in listed] == [rid]
    photo = c.get(listed[0]["photos"][0]["url"].replace("http://testserver", ""))
    assert hashlib.sha256(photo.content).hexdigest() == shas[0]

    alert = c.get(f"/api/alerts/{aid}").json()
    assert alert["feature"]["properties"]["status"] == "under_review"
    entries = c.get(f"/api/alerts/{aid}/audit", headers=_auth(c, "ana")).json()["entries"]
    fr = [e for e in entries if e["action"] == "field_report"]
    assert len(fr) == 1 and fr[0]["payload"]["photos"] == shas and fr[0]["actor"] == "rita"
    # a second report on an alert already under review keeps the status as the server has it
    r2 = c.post(f"/api/alerts/{aid}/reports", json={"id": str(uuid.uuid4()), "finding": "nothing"},
                headers=_auth(c))
    assert r2.status_code == 201 and r2.json()["report"]["status_change"] is None


def _raw(port: int, head: bytes, chunks=()) -> str:
    """Send a request (``chunks``: its body, sent as they come) on a socket; the status line back."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        try:
            s.sendall(head)
            for chunk in chunks:
                s.sendall(chunk)
        except OSError:  # refused mid-body: the server answered and closed
            pass
        return s.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def _chunked(data: bytes, size: int = 1 << 16):
    for i in range(0, len(data), size):
        part = data[i:i + size]
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
    yield b"0\r\n\r\n"


def test_phone_size_photo_is_streamed_under_its_own_limit(rclient):
    """A phone's photo (4000 x 3000, about 5 MB, EXIF GPS) over a real server: stored whole, with
    or without Content-Length; above YVY_MAX_PHOTO_BYTES refused with 413, nothing left behind;
    every other route keeps the 1 MiB limit."""
    import httpx

    from ._build import LiveServer

    built = rclient.built
    aid = built.alerts[0]
    lon, lat = _centre(rclient, aid)
    data = geotagged_jpeg(lon, lat, size=(4000, 3000), noise=12, quality=92)
    assert 3 << 20 < len(data) < 8 << 20
    sha = hashlib.sha256(data).hexdigest()
    auth = _auth(rclient)
    limit = 6 << 20
    photos = built.workspace.home / "field" / "photos"
    with LiveServer(make_app(built, max_photo_bytes=limit)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.put(f"/api/field/photos/{sha}", content=data, headers=auth | {"Content-Type": "image/jpeg"})
        assert r.status_code == 200, r.text
        assert r.json()["bytes"] == len(data) and r.json()["lat"] == pytest.approx(lat, abs=1e-5)
        assert hashlib.sha256(c.get(f"/api/field/photos/{sha}").content).hexdigest() == sha
        # without Content-Length (chunked), as a client streaming from disk sends it: the same photo
        r = c.put(f"/api/field/photos/{sha}", content=(data[i:i + 100_000] for i in range(0, len(data), 100_000)),
                  headers=auth)
        assert r.status_code == 200 and r.json()["sha256"] == sha
        port = int(srv.url.rsplit(":", 1)[1])
        head = (f"PUT /api/field/photos/{'1' * 64} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n"
                "Content-Type: image/jpeg\r\n")
        big = data + bytes(limit - len(data) + 1)
        assert " 413 " in _raw(port, (head + f"Content-Length: {len(big)}\r\n\r\n").encode())  # before reading
        assert " 413 " in _raw(port, (head + "Transfer-Encoding: chunked\r\n\r\n").encode(), _chunked(big))
        # a body that does not hash to its URL: 400, and no file
        r = c.put(f"/api/field/photos/{'2' * 64}", content=data, headers=auth)
        assert r.status_code == 400 and "SHA-256" in r.json()["description"]
        # other routes, and deeper paths under the photo prefix, keep the small limit
        two_mb = b"x" * (2 << 20)
        for method, path in (("POST", f"/api/alerts/{aid}/reports"), ("PUT", f"/api/field/photos/{sha}/x"),
                             ("POST", "/stac/search")):
            status = _raw(port, f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n"
                                f"Content-Type: application/json\r\nContent-Length: {len(two_mb)}\r\n\r\n".encode())
            assert " 413 " in status, (path, status)
    stored = sorted(p.name for p in photos.rglob("*") if p.is_file())
    assert stored == [f"{sha}.jpg"]  # one copy; nothing half-written from the refused bodies


def test_roles_and_bad_reports(rclient):
    c = rclient
    aid = c.built.alerts[1]
    body = {"id": str(uuid.uuid4()), "finding": "fire"}
    assert c.post(f"/api/alerts/{aid}/reports", json=body, headers=_auth(c, "vic")).status_code == 403
    assert c.post(f"/api/alerts/{aid}/reports", json=body).status_code == 401
    assert c.post(f"/api/alerts/{aid}/reports", json={**body, "id": "not-a-uuid"}, headers=_auth(c)).status_code == 400
    missing_photo = {**body, "photos": ["a" * 64]}
    assert c.post(f"/api/alerts/{aid}/reports", json=missing_photo, headers=_auth(c)).status_code == 400
    assert c.post("/api/alerts/PY-1900-000001/reports", json=body, headers=_auth(c)).status_code == 404
    # an analyst may file one too; nothing above was stored
    ok = c.post(f"/api/alerts/{aid}/reports", json=body, headers=_auth(c, "ana"))
    assert ok.status_code == 201
    assert len(c.get(f"/api/alerts/{aid}/reports").json()["reports"]) == 1


def test_show_and_evidence_include_reports(rclient, tmp_path):
    from click.testing import CliRunner

    from yvy.alerts.evidence import evidence_reports
    from yvy.cli.main import cli
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    c = rclient
    aid = c.built.alerts[0]
    lon, lat = _centre(c, aid)
    data = geotagged_jpeg(lon, lat)
    sha = hashlib.sha256(data).hexdigest()
    c.put(f"/api/field/photos/{sha}", content=data, headers=_auth(c))
    c.post(f"/api/alerts/{aid}/reports", headers=_auth(c),
           json={"id": str(uuid.uuid4()), "finding": "clearing_confirmed", "photos": [sha], "note": "fresh stumps"})
    res = CliRunner().invoke(cli, ["--home", str(c.built.workspace.home), "alerts", "show", aid])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())  # rich wraps long lines
    assert "informe de campo" in out and "rita: clearing_confirmed, 1 photo(s) - fresh stumps" in out
    images: dict = {}
    store = SQLAlertStore(open_store(c.built.workspace.database_url))
    reps = evidence_reports(store, aid, tmp_path, images)
    copied = tmp_path / reps[0]["photos"][0]["file"]
    assert hashlib.sha256(copied.read_bytes()).hexdigest() == sha and images[f"field_{sha}"] == str(copied)


def test_sync_plan_lists_everything_and_estimates_size(client, built):
    import morecantile

    item = client.get(f"/stac/collections/sentinel-2-l2a/items/{built.scenes[-1]}").json()
    minx, miny, maxx, maxy = item["bbox"]
    bbox = f"{minx - 0.01},{miny - 0.01},{maxx + 0.01},{maxy + 0.01}"
    r = client.get("/api/field/plan", params={"bbox": bbox, "minzoom": 12, "maxzoom": 16})
    assert r.status_code == 200, r.text
    plan = r.json()
    tms = morecantile.tms.get("WebMercatorQuad")
    expected = list(tms.tiles(minx, miny, maxx, maxy, zooms=list(range(12, 17))))  # clipped to the imagery
    assert plan["tiles"] == len(expected) and plan["alerts"] == len(built.alerts)
    assert plan["scene"].endswith(built.scenes[-1])  # the newest scene
    urls = plan["urls"]
    for aid in built.alerts:
        assert f"/api/alerts/{aid}/chips/after.png" in urls and f"/api/alerts/{aid}/reports" in urls
    got, covered = 0, set()
    for run in plan["tile_runs"]:
        body = client.get(run).json()
        for x, b64 in body["tiles"].items():
            png = base64.b64decode(b64)
            got += len(png)
            covered.add((body["z"], int(x), body["y"]))
    want = {(t.z, t.x, t.y) for t in expected}
    assert covered <= want and len(covered) > 0.8 * len(want)
    for z, x, y in sorted(want - covered)[:5]:  # left out: tiles /tiles draws fully transparent
        alpha = np.asarray(Image.open(io.BytesIO(client.get(f"{plan['tile_prefix']}/{z}/{x}/{y}.png").content))
                           .convert("RGBA"))[..., 3]
        assert not alpha.any()
    assert 0.5 < plan["bytes_tiles"] / got < 2.0  # the sampled estimate against the real download
    # a tile of a run is the image /tiles draws for it: JPEG where the imagery fills it (the same
    # picture, but for JPEG's loss), PNG with the same pixels at the imagery's edge
    kinds = {}
    for z, x, y in sorted(covered, key=lambda t: (-t[0], t[2], t[1])):  # from zoom 16
        run = next(r for r in plan["tile_runs"] if f"/{z}/{y}?" in r and _in_run(r, x))
        mine = base64.b64decode(client.get(run).json()["tiles"][str(x)])
        kind = "jpeg" if mine[:3] == b"\xff\xd8\xff" else "png"
        if kind in kinds:
            continue
        one = client.get(f"{plan['tile_prefix']}/{z}/{x}/{y}.png").content
        a, b = (np.asarray(Image.open(io.BytesIO(p)).convert("RGBA"), dtype=int) for p in (one, mine))
        kinds[kind] = (a, b)
        if len(kinds) == 2:
            break
    a, b = kinds["png"]
    assert (a[..., 3] == 0).any() and (np.abs(a - b).max(axis=2) > 0).mean() < 0.01  # but for resampling ties
    a, b = kinds["jpeg"]
    assert (a[..., 3] == 255).all() and (b[..., 3] == 255).all()
    assert np.abs(a - b).mean() < 4 and np.percentile(np.abs(a - b), 99) < 20
    too_big = client.get("/api/field/plan", params={"bbox": bbox, "maxzoom": 22})  # 10^5 tiles
    assert too_big.status_code == 400 and "tiles" in too_big.json()["description"]


def _in_run(url: str, x: int) -> bool:
    from urllib.parse import parse_qs, urlparse

    q = parse_qs(urlparse(url).query)
    return int(q["x0"][0]) <= x <= int(q["x1"][0])


def test_migration_admits_rangers_into_an_existing_database(tmp_path):
    from alembic import command

    from yvy.storage import db, open_store
    from yvy.storage.users import SQLUserStore

    from ..conftest import raw_sql

    url = f"sqlite:///{tmp_path / 'yvy.db'}"
    store = open_store(url, create=True)
    users = SQLUserStore(store)
    users.add_user("ana", "analyst", "analyst-pass-123")
    users.create_api_key("ana", "qgis")
    token = users.create_session(users.get_user("ana"))
    with store.engine.connect().execution_options(yvy_write=True) as conn, conn.begin():
        command.downgrade(db._config(conn), "0003")
    with pytest.raises(store.Error):
        raw_sql(store, "INSERT INTO users (username, role, active, created, updated) "
                       "VALUES ('rita', 'ranger', 1, 'x', 'x')")
    store.close()
    store = open_store(url)  # migrates to the head again
    assert "0004" in store.applied_at_open
    users = SQLUserStore(store)
    assert users.add_user("rita", "ranger", "ranger-pass-123").role == "ranger"
    assert users.user_for_session(token).username == "ana"  # sessions and keys kept their user
    assert raw_sql(store, "PRAGMA foreign_key_check") == []
    assert raw_sql(store, "PRAGMA integrity_check")[0][0] == "ok"
    with pytest.raises(store.Error):
        raw_sql(store, "INSERT INTO users (username, role, active, created, updated) "
                       "VALUES ('bob', 'boss', 1, 'x', 'x')")


def test_field_app_strings_have_spanish():
    """Every t("...") and data-i18n text of field.js has its entry in field.po."""
    import re
    from pathlib import Path

    from yvy.i18n import catalog

    src = (Path(__file__).resolve().parents[2] / "src" / "yvy" / "web" / "field.js").read_text()
    ids = set(re.findall(r'\bt\("([^"]+)"\)', src))
    ids |= set(re.findall(r"data-i18n>([^<]+)<", src))
    ids |= set(re.findall(r'data-i18n-placeholder="([^"]+)"', src))
    ids |= {"clearing_confirmed", "machinery", "fire", "nothing"}  # findings shown through t(code)
    es = catalog("es")
    assert len(ids) > 30 and sorted(i for i in ids if not es.get(i) and i != "UTM") == []
