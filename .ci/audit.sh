#!/usr/bin/env bash
# Vulnerability scan of the locked server install (requirements/server.lock) with pip-audit.
# Prints exactly one verdict line:
#   "vulnerability scan: OK (N packages, no known vulnerabilities)"        exit 0
#   "vulnerability scan: FAILED (...)" followed by the findings             exit 1
#   "vulnerability scan: NOT CHECKED (database unreachable)"               exit 0, or 1 when
#                                                                           YVY_AUDIT_REQUIRED=1
# Never a silent pass: when the vulnerability database (PyPI's JSON API, or OSV with
# PIP_AUDIT_SERVICE=osv) cannot be reached, it says so.
set -uo pipefail
cd "$(dirname "$0")/.."
LOCK="${1:-requirements/server.lock}"
PY="${PYTHON:-.venv/bin/python}"
SERVICE="${PIP_AUDIT_SERVICE:-pypi}"
case "$SERVICE" in
  osv) PROBE="https://api.osv.dev/v1/query" ;;
  *) PROBE="https://pypi.org/pypi/pip/json" ;;
esac
not_checked() {
  echo "vulnerability scan: NOT CHECKED (database unreachable: $1)"
  [ "${YVY_AUDIT_REQUIRED:-0}" = "1" ] && exit 1
  exit 0
}
"$PY" - "$PROBE" 2>/dev/null <<'PY' || not_checked "$PROBE"
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], method="POST" if "osv" in sys.argv[1] else "GET",
                             data=b'{"package":{"name":"pip","ecosystem":"PyPI"},"version":"1.0"}'
                             if "osv" in sys.argv[1] else None)
urllib.request.urlopen(req, timeout=15).read(1)
PY
if ! "$PY" -m pip_audit --version >/dev/null 2>&1; then
  "$PY" -m pip install -q "pip-audit>=2.7" >/dev/null 2>&1 || not_checked "pip-audit could not be installed"
fi
REPORT="$(mktemp)"
trap 'rm -f "$REPORT"' EXIT
# --no-deps + --disable-pip: audit exactly the pinned, hashed lock (no resolution, no install)
"$PY" -m pip_audit --requirement "$LOCK" --require-hashes --no-deps --disable-pip \
  --vulnerability-service "$SERVICE" --progress-spinner off --format json --output "$REPORT" 2>"$REPORT.err"
RC=$?
"$PY" - "$REPORT" "$RC" "$REPORT.err" <<'PY'
import json, sys
path, rc, err = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    doc = json.load(open(path))
except (OSError, ValueError):
    lines = [l for l in open(err).read().splitlines() if l.strip()] or [f"exit {rc}"]
    print(f"vulnerability scan: NOT CHECKED (pip-audit failed: {lines[-1][:200]})")
    sys.exit(3)
deps = doc.get("dependencies", doc) if isinstance(doc, dict) else doc
found = [(d["name"], d["version"], v["id"], ",".join(v.get("fix_versions") or []) or "no fix yet")
         for d in deps for v in d.get("vulns", [])]
if found:
    print(f"vulnerability scan: FAILED ({len(found)} known vulnerabilities in {len({f[0] for f in found})} packages)")
    for name, version, vid, fix in found:
        print(f"  {name} {version}: {vid} (fixed in {fix})")
    sys.exit(1)
print(f"vulnerability scan: OK ({len(deps)} packages, no known vulnerabilities)")
PY
RC2=$?
rm -f "$REPORT.err"
if [ "$RC2" = "3" ]; then
  [ "${YVY_AUDIT_REQUIRED:-0}" = "1" ] && exit 1
  exit 0
fi
exit "$RC2"
