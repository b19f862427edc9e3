"""Run ``stac-api-validator`` with the JSON schemas it needs served from local copies.

stac-validator downloads the STAC core schemas from schemas.stacspec.org and GeoJSON schemas
from geojson.org; tests may only talk to 127.0.0.1, so those URLs are answered from the copies
pystac ships (STAC 1.1.0 core and GeoJSON). Any other non-loopback URL fails.

Usage: python _offline_validator.py <stac-api-validator arguments>
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from urllib.parse import urlsplit

import requests

LOCAL = resources.files("pystac.validation.jsonschemas")


def _local(url: str):
    parts = urlsplit(url)
    if parts.hostname == "schemas.stacspec.org" and parts.path.startswith("/v1.1.0/"):
        name = parts.path.rsplit("/", 1)[-1]
        return LOCAL / "stac-spec" / "v1.1.0" / name
    if parts.hostname == "geojson.org" and parts.path.startswith("/schema/"):
        return LOCAL / "geojson" / parts.path.rsplit("/", 1)[-1]
    return None


_real_send = requests.Session.send


def _send(self, request, **kwargs):
    url = request.url
    host = urlsplit(url).hostname
    path = _local(url)
    if path is not None and path.is_file():
        resp = requests.Response()
        resp.status_code, resp.url, resp.request = 200, url, request
        resp._content = path.read_bytes()
        resp.headers["Content-Type"] = "application/json"
        return resp
    if host not in ("127.0.0.1", "localhost"):
        raise requests.ConnectionError(f"offline test: no network access to {url}")
    return _real_send(self, request, **kwargs)


requests.Session.send = _send

if __name__ == "__main__":
    from stac_api_validator.__main__ import main

    sys.argv = ["stac-api-validator", *sys.argv[1:]]
    json  # noqa: B018 - keep import for debugging payloads
    sys.exit(main())
