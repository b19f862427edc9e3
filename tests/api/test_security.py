"""The attacks of the security review, each reproduced against the server: they must now be
refused with a 4xx, and the server must still answer afterwards."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from ._build import Built, make_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(fresh: Built):
    """`yvy serve` in its own process (a crash is then a dead process, not a dead test run)."""
    port = _free_port()
    env = {**os.environ, "YVY_DATABASE_URL": fresh.workspace.database_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from yvy.cli.main import cli; cli()", "--home", str(fresh.workspace.home),
         "serve", "--port", str(port), "--notify-interval", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/stac/", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"yvy serve did not start: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    try:
        yield url, proc, fresh
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _nested_text(depth: int) -> str:
    return "(" * depth + "id='x'" + ")" * depth


def _nested_json(depth: int) -> dict:
    expr = {"op": "=", "args": [{"property": "id"}, "x"]}
    for _ in range(depth):
        expr = {"op": "not", "args": [expr]}
    return expr


def test_deep_filters_do_not_kill_the_server(served):
    """Critical: ~3,000 nested parentheses overflowed the CQL2 parser's stack (segfault)."""
    url, proc, _ = served
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.get("/stac/search", params={"filter": _nested_text(3000), "filter-lang": "cql2-text"})
        assert r.status_code == 400 and r.json()["description"].startswith("filter:")
        r = c.get("/stac/search", params={"filter": _nested_text(1500), "filter-lang": "cql2-text"})
        assert r.status_code == 400 and "nested deeper" in r.json()["description"]
        deep = ('{"filter-lang": "cql2-json", "filter": ' + '{"op":"not","args":[' * 10_000
                + '{"op":"=","args":[{"property":"id"},"x"]}' + "]}" * 10_000 + "}")
        r = c.post("/stac/search", content=deep, headers={"content-type": "application/json"})
        assert r.status_code == 400
        # JSON nested 10^5 deep (a RecursionError in the JSON parser)
        deep = '{"filter": ' + '{"op":"not","args":[' * 100_000 + "1" + "]}" * 100_000 + "}"
        r = c.post("/stac/search", content=deep, headers={"content-type": "application/json"})
        assert r.status_code in (400, 413)
        assert proc.poll() is None, "the server died"
        assert c.get("/stac/search", params={"filter": "id='x'"}).status_code == 200


def test_filter_limits(client):
    ok = client.get("/stac/search", params={"filter": _nested_text(8)})
    assert ok.status_code == 200
    for params in ({"filter": _nested_text(9)}, {"filter": "id='" + "x" * 5000 + "'"},
                   {"filter": json.dumps(_nested_json(9)), "filter-lang": "cql2-json"},
                   {"filter": " OR ".join(f"id='{i}'" for i in range(300))}):
        r = client.get("/stac/search", params=params)
        assert r.status_code == 400, params
        assert r.json()["description"].startswith("filter:")
    r = client.post("/stac/search", json={"filter": _nested_json(9), "filter-lang": "cql2-json"})
    assert r.status_code == 400


def test_ids_token_and_body_limits(client):
    r = client.post("/stac/search", json={"ids": [f"i{n}" for n in range(1001)]})
    assert r.status_code == 400 and "ids" in r.json()["description"]
    r = client.get("/stac/search", params={"token": "o" + "9" * 40})
    assert r.status_code == 400 and r.json()["description"].startswith("token:")
    r = client.get("/stac/search", params={"token": "o20000000"})
    assert r.status_code == 400
    big = b'{"ids": ["' + b"x" * (2 << 20) + b'"]}'
    r = client.post("/stac/search", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_large_body_refused_before_authentication(served):
    """A 200 MB body to the review endpoint was read in full before the 401."""
    url, proc, _ = served
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10) as s:
        s.sendall(b"POST /api/alerts/PY-2024-000001/review HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n" + b"{" * 1024)
        head = s.recv(4096).decode(errors="replace")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    assert proc.poll() is None


def _add_item(built: Built, item_id: str, assets: dict) -> None:
    from yvy.storage import open_store

    store = open_store(built.workspace.database_url)
    item = dict(store.get_item("sentinel-2-l2a", built.scenes[0]))
    item = {**item, "id": item_id, "assets": assets}
    with store.transaction():
        store.upsert_item(item)
    store.close()


def test_assets_only_from_the_workspace(fresh, tmp_path):
    """High: any file the server could read was served if an item's asset href named it."""
    from fastapi.testclient import TestClient

    other = tmp_path / "other-workspace"
    other.mkdir()
    (other / "yvy.db").write_bytes(b"SQLite format 3\x00secret")
    assets_dir = fresh.workspace.assets
    (assets_dir / "link-out.tif").symlink_to(other / "yvy.db")
    fifo = assets_dir / "fifo.tif"
    os.mkfifo(fifo)
    tif = "image/tiff; application=geotiff"
    _add_item(fresh, "hostile", {
        "passwd": {"href": "/etc/passwd", "type": "text/plain"},
        "db": {"href": str(other / "yvy.db"), "type": "application/octet-stream"},
        "ownDb": {"href": str(fresh.workspace.db_path), "type": "application/octet-stream"},
        "dotdot": {"href": str(assets_dir / ".." / "yvy.db"), "type": "application/octet-stream"},
        "symlink": {"href": str(assets_dir / "link-out.tif"), "type": tif},
        "fileurl": {"href": "file:///etc/passwd", "type": "text/plain"},
        "fifo": {"href": str(fifo), "type": tif},
        "remote": {"href": "https://example.org/scene/B04.tif", "type": tif},
        "legit": {"href": str(next((assets_dir / "scenes").rglob("*.tif"))), "type": tif},
    })
    with TestClient(make_app(fresh)) as c:
        for key in ("passwd", "db", "ownDb", "dotdot", "symlink", "fileurl", "fifo"):
            r = c.get(f"/assets/sentinel-2-l2a/hostile/{key}")
            assert r.status_code == 404, (key, r.status_code)
            assert b"root:" not in r.content and b"secret" not in r.content
        r = c.get("/assets/sentinel-2-l2a/hostile/remote", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "https://example.org/scene/B04.tif"
        # a real asset inside the workspace is still served (with Range)
        item = c.get("/stac/collections/sentinel-2-l2a/items/hostile").json()
        href = item["assets"]["legit"]["href"]
        r = c.get(href, headers={"Range": "bytes=0-3"})
        assert r.status_code == 206 and r.content == b"II*\x00"
    # the refusals are security events
    from yvy.security.events import read_events

    refused = [e for e in read_events(fresh.workspace.home, action="asset-refused")]
    assert len(refused) >= 7 and all(e["event"]["outcome"] == "failure" for e in refused)


def test_registered_asset_root(fresh, tmp_path):
    import shutil

    from fastapi.testclient import TestClient

    outside = tmp_path / "archive"
    outside.mkdir()
    src = next(fresh.workspace.assets.rglob("*.tif"))
    shutil.copy(src, outside / "copy.tif")
    _add_item(fresh, "archived", {"red": {"href": str(outside / "copy.tif"), "type": "image/tiff"}})
    with TestClient(make_app(fresh)) as c:
        assert c.get("/assets/sentinel-2-l2a/archived/red").status_code == 404
    with TestClient(make_app(fresh, asset_roots=str(outside))) as c:
        assert c.get("/assets/sentinel-2-l2a/archived/red").status_code == 200


def test_security_headers(client):
    for path in ("/", "/api.html", "/stac/", "/static/app.js"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"]
    page = client.get("/api.html").text
    assert "cdn" not in page.lower() and "/static/swagger-ui/swagger-ui-bundle.js" in page
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_slow_headers_are_cut_off(fresh):
    """Slowloris: connections that never finish their request head were held indefinitely."""
    import threading

    import uvicorn

    from yvy.api.app import uvicorn_limits
    from yvy.api.settings import ServeSettings

    settings = ServeSettings(notify_interval=0, header_timeout=1.0)
    app = make_app(fresh, header_timeout=1.0)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           **uvicorn_limits(settings)))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.05)
    try:
        socks = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /stac/ HTTP/1.1\r\nHost: x\r\n")  # the head never ends
            socks.append(s)
        t0 = time.monotonic()
        closed = 0
        for s in socks:
            s.settimeout(8)
            try:
                closed += s.recv(1) == b""
            except (TimeoutError, ConnectionResetError):
                pass
            s.close()
        assert closed == len(socks), f"only {closed} of {len(socks)} slow connections were closed"
        assert time.monotonic() - t0 < 8
        assert httpx.get(f"http://127.0.0.1:{port}/stac/", timeout=10).status_code == 200
    finally:
        server.should_exit = True
        t.join(timeout=10)


def test_login_throttling_and_lockout(fresh):
    """200 wrong passwords in 6 s were all answered; now an address or account is throttled
    after 10, and the real user from another address can still sign in."""
    from fastapi.testclient import TestClient

    from yvy.security.events import read_events

    from ._build import PASSWORDS

    attacker = TestClient(make_app(fresh), client=("203.0.113.7", 5000))
    user = TestClient(make_app(fresh), client=("198.51.100.20", 5000))
    with attacker, user:
        codes = [attacker.post("/api/login", json={"username": "ana", "password": f"guess-{i}"}).status_code
                 for i in range(12)]
        assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
        r = attacker.post("/api/login", json={"username": "ana", "password": PASSWORDS["ana"]})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # even the right password
        # the attacker's address does not lock the real user out
        assert user.post("/api/login", json={"username": "ana", "password": PASSWORDS["ana"]}).status_code == 200
        # other accounts from the attacker's address are throttled too (address limit)
        r = attacker.post("/api/login", json={"username": "vic", "password": PASSWORDS["vic"]})
        assert r.status_code == 429
        admin = {"Authorization": f"Bearer {fresh.keys['admin']}"}
        assert user.post("/api/users/ana/unlock", headers=admin).json()["cleared"] >= 1
    actions = [e["event"]["action"] for e in read_events(fresh.workspace.home)]
    assert actions.count("lockout") >= 2 and "unlock" in actions and "login" in actions
    failed = list(read_events(fresh.workspace.home, action="login-failed"))
    assert all(e["source"]["ip"] == "203.0.113.7" for e in failed)


def test_login_time_does_not_reveal_user_names(wclient):
    """Unknown user names answered in twice the time of known ones (two scrypt runs)."""
    def median_time(name):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            wclient.post("/api/login", json={"username": name, "password": "not-the-password"})
            times.append(time.perf_counter() - t0)
        return sorted(times)[2]

    from yvy.storage import users as users_mod

    calls = []
    real = users_mod.verify_password
    try:
        users_mod.verify_password = lambda *a: calls.append(1) or real(*a)
        wclient.app.state.yvy.users.authenticate("nobody-here", "x" * 10)
        unknown = len(calls)
        calls.clear()
        wclient.app.state.yvy.users.authenticate("ana", "x" * 10)
        known = len(calls)
    finally:
        users_mod.verify_password = real
    assert unknown == known == 1  # one scrypt either way: the cost is the same by construction


def test_api_keys_scoped_and_expiring(fresh):
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from yvy.storage import open_store
    from yvy.storage.users import SQLUserStore

    store = open_store(fresh.workspace.database_url)
    users = SQLUserStore(store)
    _, read_key = users.create_api_key("ana", "dashboard", scope="read")
    _, old_key = users.create_api_key("ana", "old", expires_in=timedelta(seconds=1))
    store.close()
    time.sleep(1.5)
    with TestClient(make_app(fresh)) as c:
        h = {"Authorization": f"Bearer {read_key}"}
        assert c.get("/api/me", headers=h).json()["user"]["role"] == "viewer"
        r = c.post(f"/api/alerts/{fresh.alerts[0]}/review", json={"status": "under_review"}, headers=h)
        assert r.status_code == 403
        assert c.get("/api/me", headers={"Authorization": f"Bearer {old_key}"}).status_code == 401
        admin = {"Authorization": f"Bearer {fresh.keys['admin']}"}
        k = c.post("/api/users/ana/keys", json={"label": "x", "scope": "review", "expires_days": 30},
                   headers=admin).json()
        assert k["scope"] == "review" and k["expires"] > k["created"]


def test_secure_cookie_behind_tls(fresh):
    from fastapi.testclient import TestClient

    from ._build import PASSWORDS

    with TestClient(make_app(fresh), base_url="https://yvy.example") as c:
        r = c.post("/api/login", json={"username": "ana", "password": PASSWORDS["ana"]})
        cookie = r.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_queryables_private(fresh):
    from fastapi.testclient import TestClient

    with TestClient(make_app(fresh, public_read=False)) as c:
        assert c.get("/stac/queryables").status_code == 401
        assert c.get("/stac/queryables", headers={"Authorization": f"Bearer {fresh.keys['vic']}"}).status_code == 200


def test_timeseries_reads_each_scene_once(built):
    """The alert time series re-read every scene on every request (2.7 s uncached)."""
    from fastapi.testclient import TestClient

    from yvy.api import alerts as alerts_api

    reads = []
    real = alerts_api.read_values
    alerts_api.read_values = lambda *a, **k: reads.append(1) or real(*a, **k)
    try:
        with TestClient(make_app(built)) as c:
            aid = built.alerts[0]
            first = c.get(f"/api/alerts/{aid}/timeseries").json()
            n = len(reads)
            second = c.get(f"/api/alerts/{aid}/timeseries").json()
            assert c.get(f"/api/alerts/{aid}/timeseries.png").status_code == 200
    finally:
        alerts_api.read_values = real
    assert n > 0 and len(reads) == n  # the second request and the plot read nothing
    assert first == second and len(first["series"]) == 4


def test_sorted_and_filtered_search_pages_like_the_reference(client):
    """sortby is done in SQL and a CQL2 filter stops at the end of the page (both used to sort
    the whole catalog in Python on every request); the answers equal a full sort in Python."""
    everything = client.get("/stac/search", params={"limit": 1000}).json()["features"]

    def ref(key, desc):
        have = [f for f in everything if key(f) is not None]
        rest = [f for f in everything if key(f) is None]
        have.sort(key=key, reverse=desc)
        return [f["id"] for f in (rest + have if desc else have + rest)]

    def when(f):  # an item with a time range (start_datetime) sorts by its start
        return f["properties"].get("datetime") or f["properties"].get("start_datetime")

    for sortby, key, desc in (("-datetime", when, True),
                              ("id", lambda f: f["id"], False),
                              ("-eo:cloud_cover", lambda f: f["properties"].get("eo:cloud_cover"), True)):
        got = client.get("/stac/search", params={"sortby": sortby, "limit": 1000}).json()["features"]
        assert [f["id"] for f in got] == ref(key, desc), sortby
    # a filtered, sorted search paged two at a time gives the same sequence as one big page
    params = {"filter": "collection = 'sentinel-2-l2a'", "sortby": "-datetime", "limit": 2}
    first = client.get("/stac/search", params=params).json()
    assert len(first["features"]) == 2 and "numberMatched" not in first
    nxt = next(ln for ln in first["links"] if ln["rel"] == "next")["href"]
    second = client.get(nxt).json()
    whole = client.get("/stac/search", params={**params, "limit": 1000}).json()
    assert [f["id"] for f in first["features"] + second["features"]] == [f["id"] for f in whole["features"]][:4]
    assert whole["numberMatched"] == len(whole["features"])


def test_context_layer_items_are_paged_in_the_database(fresh, data_file):
    """Context-layer items loaded the whole layer on every request; now one page is read."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from yvy.cli.main import cli
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    deps = data_file("vectors/paraguay_departments_ne10m.geojson")
    r = CliRunner().invoke(cli, ["--home", str(fresh.workspace.home), "context", "add", str(deps), "--kind",
                                 "admin", "--name-field", "name", "--name", "departments"])
    assert r.exit_code == 0, r.output
    with TestClient(make_app(fresh)) as client:
        whole = client.get("/features/collections/departments/items", params={"limit": 1000}).json()
        pages, offset = [], 0
        while True:
            page = client.get("/features/collections/departments/items",
                              params={"limit": 5, "offset": offset}).json()
            assert page["numberMatched"] == whole["numberMatched"] == 17
            if not page["features"]:
                break
            pages += [f["id"] for f in page["features"]]
            offset += 5
    assert pages == [f["id"] for f in whole["features"]] and len(pages) == 17
    store = open_store(fresh.workspace.database_url)
    try:
        alerts = SQLAlertStore(store)
        assert len(alerts.layer_features("departments", limit=5, offset=15)) == 2
        assert alerts.count_layer_features("departments") == 17
    finally:
        store.close()


def test_filter_terms_narrow_the_store_query(client):
    """Simple filter terms are pushed to the store (indexed columns); the answers are unchanged."""
    from yvy.api.stac import _parse_filter, _push_down
    from yvy.catalog.ports import ItemQuery

    where = _parse_filter("collection = 'sentinel-2-l2a' AND eo:cloud_cover <= 20 AND "
                          "datetime >= TIMESTAMP('2024-03-01T00:00:00Z') AND id IN ('a', 'b')", None)
    q = _push_down(where, ItemQuery(collections=["sentinel-2-l2a", "other"]))
    assert q.collections == ["sentinel-2-l2a"] and q.ids == ["a", "b"] and q.max_cloud == 20
    assert q.start == "2024-03-01T00:00:00Z"
    assert _push_down(_parse_filter("collection = 'x' OR id = 'y'", None), ItemQuery()) == ItemQuery()
    everything = client.get("/stac/search", params={"limit": 1000}).json()["features"]
    expr = "collection = 'sentinel-2-l2a' AND datetime >= TIMESTAMP('2024-03-01T00:00:00Z')"
    got = client.get("/stac/search", params={"filter": expr, "limit": 1000}).json()["features"]
    want = [f["id"] for f in everything if f["collection"] == "sentinel-2-l2a"
            and (f["properties"].get("datetime") or "") >= "2024-03-01"]
    assert sorted(f["id"] for f in got) == sorted(want) and len(want) == 3
