"""Security events for a CSIRT: ECS JSON lines in the workspace, RFC 5424 syslog forwarding, and
`yvy security events`; admin operations from the CLI are events too."""

from __future__ import annotations

import json
import re
import socket

from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.security import events


def _run(home, *args, input=None):
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=input, catch_exceptions=False)


def test_cli_admin_operations_are_ecs_events(tmp_path):
    home = tmp_path / "ws"
    assert _run(home, "init").exit_code == 0
    assert _run(home, "users", "add", "ana", "--role", "analyst").exit_code == 0
    r = _run(home, "users", "key", "ana", "--scope", "read", "--expires-days", "7")
    assert r.exit_code == 0 and r.output.startswith("yvy_")
    assert _run(home, "users", "role", "ana", "admin").exit_code == 0
    assert _run(home, "users", "unlock", "ana").exit_code == 0
    out = _run(home, "security", "events", "--json").output.splitlines()
    docs = [json.loads(line) for line in out]
    assert [d["event"]["action"] for d in docs] == ["user-created", "api-key-created", "role-changed", "unlock"]
    for d in docs:  # the ECS fields a SIEM maps
        assert d["ecs"]["version"] and d["event"]["kind"] == "event" and d["event"]["outcome"] == "success"
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", d["@timestamp"])
        assert d["user"]["name"].startswith("cli:") and d["event"]["category"]
    assert "scope read" in docs[1]["event"]["reason"]
    keys = json.loads(_run(home, "users", "list", "--keys", "--json").output)["keys"]
    assert keys[0]["scope"] == "read" and keys[0]["expires"]
    # --since in the future: nothing
    assert _run(home, "security", "events", "--since", "2999-01-01").output == ""
    bad = _run(home, "security", "events", "--since", "yesterday")
    assert bad.exit_code == 1 and "--since" in bad.output


def test_syslog_rfc5424_forwarding(tmp_path):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    try:
        events.configure(tmp_path, syslog=f"udp://127.0.0.1:{rx.getsockname()[1]}")
        events.emit("login-failed", outcome="failure", reason="wrong password", user="ana", source_ip="203.0.113.7")
        data = rx.recv(65536).decode()
    finally:
        events.configure(tmp_path, syslog="")
        rx.close()
    # <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
    m = re.match(r"<(\d+)>1 (\S+) (\S+) yvy (\d+) login-failed - (\{.*\})$", data)
    assert m, data[:200]
    assert int(m.group(1)) == 10 * 8 + 4  # authpriv.warning for a failure
    doc = json.loads(m.group(5))
    assert doc["source"]["ip"] == "203.0.113.7" and doc["event"]["outcome"] == "failure"
    # and the same event is in the workspace log
    assert [d["event"]["action"] for d in events.read_events(tmp_path)] == ["login-failed"]
    assert (events.log_path(tmp_path).stat().st_mode & 0o777) == 0o600
