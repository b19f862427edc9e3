#!/usr/bin/env bash
# CycloneDX SBOM (JSON, spec 1.5) of a release: the locked server install
# (requirements/server.lock, with its hashes) under yvy itself as the root component.
# Works offline: cyclonedx-py reads the lock file, it does not resolve or download anything.
#   scripts/sbom.sh [OUT]     default OUT: dist/yvy-<version>.cdx.json
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
VERSION="$("$PY" -c 'import re,pathlib; print(re.search(r"__version__\s*=\s*\"([^\"]+)\"", pathlib.Path("src/yvy/__init__.py").read_text()).group(1))')"
OUT="${1:-dist/yvy-${VERSION}.cdx.json}"
mkdir -p "$(dirname "$OUT")"
TMP="$(mktemp "${OUT}.XXXXXX")"
trap 'rm -f "$TMP"' EXIT
PYTHONWARNINGS=ignore::UserWarning "$PY" -m cyclonedx_py requirements requirements/server.lock \
  --pyproject pyproject.toml --mc-type application \
  --spec-version 1.5 --output-format JSON --output-reproducible --validate \
  --output-file "$TMP"
# yvy's version is dynamic in pyproject.toml (hatch), which cyclonedx-py cannot read: set it
"$PY" - "$TMP" "$VERSION" <<'PY'
import json, sys
path, version = sys.argv[1], sys.argv[2]
bom = json.load(open(path))
root = bom["metadata"]["component"]
root.update(version=version, purl=f"pkg:pypi/yvy@{version}")
json.dump(bom, open(path, "w"), indent=2)
PY
mv "$TMP" "$OUT"
trap - EXIT
echo "SBOM written to $OUT"
