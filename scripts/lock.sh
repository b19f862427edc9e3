#!/usr/bin/env bash
# Regenerate requirements/server.lock: every package of the server install (yvy[postgis]) pinned
# with its SHA-256 hashes, for CPython 3.11 on Linux x86-64, resolved against PyPI only.
#   scripts/lock.sh            (needs uv: pip install uv)
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-$(command -v uv || echo .venv/bin/uv)}"
"$UV" pip compile pyproject.toml --extra postgis --generate-hashes \
  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
  --index-url https://pypi.org/simple --no-emit-index-url \
  --custom-compile-command "scripts/lock.sh" \
  --output-file requirements/server.lock
