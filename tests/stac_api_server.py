"""A small STAC API over local JSON files, served by uvicorn on loopback for ingest tests.

It implements what pystac-client uses: the landing page with conformance classes, /collections,
/search (GET and POST: collections, bbox, datetime, ids, limit, token paging, the query
extension for eo:cloud_cover) and asset files with HTTP Range support. ``flaky_bytes`` makes
the first request for each asset drop after that many bytes, to exercise resume.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from shapely.geometry import box, shape

CONFORMS = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#query",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]


def make_app(root: Path, base: str, flaky_bytes: int | None = None) -> FastAPI:
    app = FastAPI()
    def load(p: Path) -> dict:  # "{BASE}" in the files stands for the server's URL
        return json.loads(p.read_text().replace("{BASE}", base))

    collections = [load(p) for p in sorted((root / "collections").glob("*.json"))]
    items = [load(p) for p in sorted((root / "items").glob("*.json"))]
    failed_once: set[str] = set()

    def landing():
        return {
            "type": "Catalog", "id": "test-api", "description": "test", "stac_version": "1.0.0",
            "conformsTo": CONFORMS,
            "links": [
                {"rel": "self", "href": base + "/", "type": "application/json"},
                {"rel": "root", "href": base + "/", "type": "application/json"},
                {"rel": "data", "href": base + "/collections", "type": "application/json"},
                {"rel": "search", "href": base + "/search", "type": "application/geo+json", "method": "GET"},
                {"rel": "search", "href": base + "/search", "type": "application/geo+json", "method": "POST"},
            ],
        }

    app.get("/")(landing)

    @app.get("/conformance")
    def conformance():
        return {"conformsTo": CONFORMS}

    @app.get("/collections")
    def list_collections():
        return {"collections": collections, "links": []}

    @app.get("/collections/{cid}")
    def get_collection(cid: str):
        for c in collections:
            if c["id"] == cid:
                return c
        return JSONResponse({"code": "NotFound"}, status_code=404)

    def search(params: dict):
        sel = items
        if params.get("collections"):
            cols = params["collections"]
            cols = cols.split(",") if isinstance(cols, str) else cols
            sel = [i for i in sel if i["collection"] in cols]
        if params.get("ids"):
            ids = params["ids"]
            ids = ids.split(",") if isinstance(ids, str) else ids
            sel = [i for i in sel if i["id"] in ids]
        if params.get("bbox"):
            b = params["bbox"]
            b = [float(v) for v in b.split(",")] if isinstance(b, str) else b
            sel = [i for i in sel if shape(i["geometry"]).intersects(box(*b))]
        if params.get("datetime"):
            a, _, z = params["datetime"].partition("/")
            z = z or a
            def ok(i):
                d = i["properties"]["datetime"][:10]
                return (a in ("", "..") or d >= a[:10]) and (z in ("", "..") or d <= z[:10])
            sel = [i for i in sel if ok(i)]
        q = params.get("query")
        if q:
            q = json.loads(q) if isinstance(q, str) else q
            lte = q.get("eo:cloud_cover", {}).get("lte")
            if lte is not None:
                sel = [i for i in sel if i["properties"].get("eo:cloud_cover", 0) <= lte]
        limit = int(params.get("limit") or 10)
        start = int(params.get("token") or 0)
        page = sel[start : start + limit]
        links = []
        if start + limit < len(sel):
            links.append({"rel": "next", "href": f"{base}/search?token={start + limit}&" + "&".join(
                f"{k}={v if isinstance(v, str) else ','.join(map(str, v)) if isinstance(v, list) else json.dumps(v)}"
                for k, v in params.items() if k not in ("token",)), "type": "application/geo+json",
                "method": "GET"})
        return {"type": "FeatureCollection", "features": page, "links": links,
                "numberMatched": len(sel), "numberReturned": len(page)}

    @app.get("/search")
    def search_get(request: Request):
        return search(dict(request.query_params))

    @app.post("/search")
    async def search_post(request: Request):
        return search(await request.json())

    @app.get("/files/{name}")
    def files(name: str, request: Request):
        data = (root / "files" / name).read_bytes()
        rng = request.headers.get("range")
        start = 0
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                return Response(status_code=416)
        body = data[start:]
        headers = {"Accept-Ranges": "bytes", "Content-Length": str(len(body))}
        status = 206 if start else 200
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        if flaky_bytes is not None and name not in failed_once:
            failed_once.add(name)
            # announce the full length but send a truncated body: the client sees a short read
            return Response(body[:flaky_bytes], status_code=status, headers=headers)
        return Response(body, status_code=status, headers=headers)

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackServer:
    """Run an ASGI app with uvicorn in a thread on 127.0.0.1."""

    def __init__(self, app_factory, port: int | None = None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.app = app_factory(self.base)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("loopback server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)
