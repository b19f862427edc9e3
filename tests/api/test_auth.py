"""Users, roles, API keys, sessions and the read policy."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ._build import PASSWORDS, bearer, make_app


def test_password_hash_is_scrypt_and_salted():
    from yvy.accounts import hash_password, verify_password

    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a.startswith("scrypt$") and a != b
    assert verify_password("correct horse", a) and not verify_password("wrong horse", a)
    assert not verify_password("x", "garbage")


def test_user_store_roles_keys_and_revoke(fresh):
    from yvy.errors import ConflictError, InputError
    from yvy.storage import open_store
    from yvy.storage.users import SQLUserStore

    users = SQLUserStore(open_store(fresh.workspace.database_url))
    with pytest.raises(ConflictError):
        users.add_user("ana", "viewer", "whatever-123")
    with pytest.raises(InputError):
        users.add_user("bob", "king", "whatever-123")
    assert users.authenticate("ana", PASSWORDS["ana"]).role == "analyst"
    assert users.authenticate("ana", "nope") is None
    meta, key = users.create_api_key("vic")
    assert users.user_for_api_key(key).username == "vic"
    users.revoke_api_key(meta.id)
    assert users.user_for_api_key(key) is None
    users.revoke_user("ana")
    assert users.authenticate("ana", PASSWORDS["ana"]) is None
    assert users.user_for_api_key(fresh.keys["ana"]) is None


REVIEW = {"status": "confirmed", "reason": "deforestation", "note": "seen in the after chip"}


def test_review_needs_analyst(wclient, fresh):
    url = f"/api/alerts/{fresh.alerts[0]}/review"
    r = wclient.post(url, json=REVIEW)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert wclient.post(url, json=REVIEW, headers=bearer(fresh, "vic")).status_code == 403
    assert wclient.post(url, json=REVIEW, headers={"Authorization": "Bearer yvy_bad_key"}).status_code == 401
    assert wclient.post(url, json=REVIEW, headers=bearer(fresh, "ana")).status_code == 200
    assert wclient.get(f"/api/alerts/{fresh.alerts[0]}/audit").status_code == 401


def test_login_cookie_and_csrf_header(wclient, fresh):
    assert wclient.post("/api/login", json={"username": "ana", "password": "bad"}).status_code == 401
    r = wclient.post("/api/login", json={"username": "ana", "password": PASSWORDS["ana"]})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert wclient.get("/api/me").json()["user"]["username"] == "ana"
    url = f"/api/alerts/{fresh.alerts[1]}/review"
    body = {"status": "dismissed", "reason": "agriculture"}
    csrf = wclient.get("/api/me").json()["csrf"]
    assert csrf and r.json()["csrf"] == csrf
    assert wclient.post(url, json=body).status_code == 403  # no anti-CSRF token
    assert wclient.post(url, json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert wclient.post(url, json=body, headers={"X-Requested-With": "yvy"}).status_code == 403
    assert wclient.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 200
    wclient.post("/api/logout")
    assert wclient.get("/api/me").json()["user"] is None


def test_private_server_needs_credentials(fresh):
    with TestClient(make_app(fresh, public_read=False)) as c:
        for url in ("/stac/search", "/features/collections/alerts/items", "/feeds/alerts.atom",
                    f"/tiles/sentinel-2-l2a/{fresh.scenes[0]}"):
            assert c.get(url).status_code == 401, url
            assert c.get(url, headers=bearer(fresh, "vic")).status_code == 200, url
        # keys in URLs land in access logs and caches: header only
        assert c.get(f"/feeds/alerts.atom?api_key={fresh.keys['vic']}").status_code == 401
        assert c.get("/").status_code == 200  # the map page itself loads, to sign in
        assert c.get("/static/vendor/leaflet/leaflet.js").status_code == 200


def test_admin_manages_users_and_keys(wclient, fresh):
    admin, ana = bearer(fresh, "admin"), bearer(fresh, "ana")
    assert wclient.get("/api/users", headers=ana).status_code == 403
    r = wclient.post("/api/users", json={"username": "eva", "role": "analyst", "password": "eva-pass-123"},
                     headers=admin)
    assert r.status_code == 201 and "password" not in r.text
    assert wclient.post("/api/users", json={"username": "eva", "role": "viewer"}, headers=admin).status_code == 409
    key = wclient.post("/api/users/eva/keys", json={"label": "qgis"}, headers=admin).json()
    assert wclient.get("/api/me", headers={"Authorization": f"Bearer {key['key']}"}).json()["user"]["username"] == "eva"
    assert wclient.delete(f"/api/keys/{key['id']}", headers=admin).status_code == 200
    assert wclient.get("/api/me", headers={"Authorization": f"Bearer {key['key']}"}).status_code == 401
    assert wclient.patch("/api/users/eva", json={"role": "viewer"}, headers=admin).json()["role"] == "viewer"
    assert wclient.delete("/api/users/eva", headers=admin).json()["active"] is False
    names = {u["username"] for u in wclient.get("/api/users", headers=admin).json()["users"]}
    assert {"admin", "ana", "vic", "eva"} <= names
