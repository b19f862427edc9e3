"""The deployment guide's systemd unit parses cleanly (systemd-analyze verify) and runs yvy
unprivileged in a sandbox where only the workspace is writable."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

from ..conftest import REPO, missing

UNIT = REPO / "docs" / "deploy" / "yvy.service"


def test_units_verify(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        missing("systemd-analyze not installed (Debian package systemd)")
    yvy = Path(sys.executable).parent / "yvy"
    units = []
    for name in ("yvy.service", "yvy-maintenance.service", "yvy-maintenance.timer"):
        units.append(tmp_path / name)
        units[-1].write_text((UNIT.parent / name).read_text().replace("/opt/yvy/venv/bin/yvy", str(yvy)))
    r = subprocess.run([tool, "verify", *map(str, units)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Unknown" not in r.stderr and "ignoring" not in r.stderr, r.stderr


def test_unit_is_unprivileged_and_sandboxed():
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read_string(UNIT.read_text().replace("SystemCallFilter=~", "SystemCallFilterDeny="))
    svc = cp["Service"]
    assert svc["User"] == "yvy" and svc["NoNewPrivileges"] == "yes" and svc["ProtectSystem"] == "strict"
    assert svc["ReadWritePaths"] == "/var/lib/yvy" and svc["CapabilityBoundingSet"] == ""
    assert "--host 127.0.0.1" in svc["ExecStart"] and svc["UMask"] == "0027"
    assert "MemoryDenyWriteExecute" not in svc  # numba's JIT needs W+X pages
