"""``yvy users`` and ``yvy serve`` on the command line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from yvy.cli.main import cli


def test_users_add_list_revoke(fresh):
    home = str(fresh.workspace.home)
    run = CliRunner().invoke
    r = run(cli, ["--home", home, "users", "add", "eva", "--role", "analyst", "--password-stdin", "--key",
                  "--json"], input="eva-pass-123\n")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["role"] == "analyst" and out["key"].startswith("yvy_")
    r = run(cli, ["--home", home, "users", "list", "--keys", "--json"])
    listed = json.loads(r.output)
    assert {u["username"] for u in listed["users"]} >= {"admin", "ana", "vic", "eva"}
    assert any(k["id"] == out["key_id"] for k in listed["keys"])
    r = run(cli, ["--lang", "en", "--home", home, "users", "add", "eva"])
    assert r.exit_code == 1 and "already exists" in r.output
    r = run(cli, ["--home", home, "users", "add", "x", "--role", "king"])
    assert r.exit_code == 2
    assert run(cli, ["--home", home, "users", "revoke", "--key", out["key_id"]]).exit_code == 0
    assert run(cli, ["--home", home, "users", "revoke", "eva"]).exit_code == 0
    r = run(cli, ["--home", home, "users", "list", "--json"])
    assert [u["active"] for u in json.loads(r.output)["users"] if u["username"] == "eva"] == [False]

    from yvy.storage import open_store
    from yvy.storage.users import SQLUserStore

    assert SQLUserStore(open_store(fresh.workspace.database_url)).user_for_api_key(out["key"]) is None


def test_help_has_examples():
    for args in (["serve", "--help"], ["users", "--help"], ["users", "add", "--help"],
                 ["users", "list", "--help"], ["users", "revoke", "--help"], ["users", "key", "--help"]):
        r = CliRunner().invoke(cli, ["--lang", "en", *args])
        assert r.exit_code == 0 and "Example:" in r.output, args


def test_serve_runs_uvicorn(fresh, monkeypatch):
    seen = {}

    def fake_serve(ws, host, port, *, settings, log_level):
        seen.update(home=ws.home, host=host, port=port, public_read=settings.public_read)

    monkeypatch.setattr("yvy.api.app.serve", fake_serve)
    r = CliRunner().invoke(cli, ["--home", str(fresh.workspace.home), "serve", "--port", "8123", "--private"])
    assert r.exit_code == 0, r.output
    assert seen == {"home": fresh.workspace.home, "host": "127.0.0.1", "port": 8123, "public_read": False}
