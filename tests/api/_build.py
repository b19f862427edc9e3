"""Build a small serving workspace in code: S2-like COG scenes, a detection product, alerts, a
context layer and users with known passwords and API keys. Shared by tests/api and
benchmarks/bench_serve.py.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ORIGIN = (500000.0, 7500000.0)  # UTM 21S, Paraguayan Chaco (about -22.6, -57.0)
EPSG = 32721
DATES = ("2024-01-10", "2024-03-10", "2024-05-09", "2024-07-08")
PASSWORDS = {"admin": "admin-pass-123", "ana": "analyst-pass-123", "vic": "viewer-pass-123"}
FOREST = {"blue": 0.03, "green": 0.06, "red": 0.03, "nir": 0.35, "swir16": 0.15, "swir22": 0.07}
BARE = {"blue": 0.08, "green": 0.11, "red": 0.14, "nir": 0.22, "swir16": 0.30, "swir22": 0.22}


@dataclass
class Built:
    """What :func:`build_workspace` made."""

    workspace: object
    scenes: list[str] = field(default_factory=list)
    detection: str = ""
    alerts: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    """username -> API key."""


def _write_cog(path: Path, data: np.ndarray, transform, nodata) -> None:
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="COG", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype.name, crs=f"EPSG:{EPSG}", transform=transform, nodata=nodata,
                       compress="deflate", blocksize=256) as ds:
        ds.write(data, 1)


def _cleared(shape, i_date: int) -> np.ndarray:
    """Boolean mask of the clearings visible at date index ``i_date``."""
    h, w = shape
    m = np.zeros(shape, bool)
    if i_date >= 2:
        m[h // 4: h // 4 + h // 8, w // 4: w // 4 + w // 6] = True      # alert A (high confidence)
    if i_date >= 3:
        m[h // 2: h // 2 + h // 10, w // 2: w // 2 + w // 10] = True   # alert B (low confidence)
    return m


def _pixel_polygon(transform, rows: slice, cols: slice):
    import pyproj
    from shapely.geometry import Polygon

    x0, y0 = transform @ (cols.start, rows.start)
    x1, y1 = transform @ (cols.stop, rows.stop)
    to_wgs = pyproj.Transformer.from_crs(f"EPSG:{EPSG}", "EPSG:4326", always_xy=True)
    xs, ys = to_wgs.transform([x0, x1, x1, x0], [y0, y0, y1, y1])
    return Polygon(zip(xs, ys, strict=True))


def build_workspace(home: Path, *, size: int = 256, n_alerts_extra: int = 0) -> Built:
    """Create a workspace at ``home`` with scenes, a detection product, alerts and users."""
    from rasterio.transform import from_origin

    from yvy.catalog.ingest import register_items
    from yvy.config import Workspace
    from yvy.storage import open_store
    from yvy.storage.users import SQLUserStore
    from yvy.testing.scenes import s2_collection, write_s2_scene

    ws = Workspace.create(home)
    store = open_store(ws.database_url, create=True)
    built = Built(ws)
    shape = (size, size)
    items = []
    rng = np.random.default_rng(0)
    for i, day in enumerate(DATES):
        cleared = _cleared(shape, i)
        refl = {k: np.where(cleared, BARE[k], FOREST[k]) + rng.normal(0, 0.004, shape)
                for k in FOREST}
        item = write_s2_scene(ws.assets / "scenes", day, refl, shape=shape, origin=ORIGIN, epsg=EPSG,
                              scl=4, item_id=f"S2A_21KXT_{day.replace('-', '')}")
        items.append(item)
        built.scenes.append(item["id"])
    store.upsert_collection(s2_collection())
    register_items(store, items)

    transform = from_origin(ORIGIN[0], ORIGIN[1], 10.0, 10.0)
    breaks = np.full(shape, -1, np.int16)
    breaks[_cleared(shape, 2)] = 120
    breaks[_cleared(shape, 3) & ~_cleared(shape, 2)] = 180
    magnitude = np.where(breaks >= 0, -0.4, 0.0).astype("float32")
    det_id = "DET_21KXT_2024"
    folder = ws.assets / "detections" / det_id
    _write_cog(folder / "break_days.tif", breaks, transform, -1)
    _write_cog(folder / "magnitude.tif", magnitude, transform, None)
    scene = items[-1]
    det = {
        "type": "Feature", "stac_version": "1.0.0", "id": det_id, "collection": "yvy-detections",
        "stac_extensions": [], "geometry": scene["geometry"], "bbox": scene["bbox"],
        "properties": {"datetime": None, "start_datetime": "2024-01-01T00:00:00Z",
                       "end_datetime": "2024-07-08T23:59:59Z", "yvy:kind": "bfast-monitor"},
        "assets": {
            "break_days": {"href": str(folder / "break_days.tif"), "roles": ["data"],
                           "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                           "title": "Days since monitoring start",
                           "raster:bands": [{"nodata": -1, "data_type": "int16",
                                             "statistics": {"minimum": 0, "maximum": 200}}]},
            "magnitude": {"href": str(folder / "magnitude.tif"), "roles": ["data"],
                          "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                          "title": "Change magnitude (NDVI)",
                          "raster:bands": [{"data_type": "float32",
                                            "statistics": {"minimum": -0.6, "maximum": 0.6}}]},
        },
        "links": [],
    }
    store.upsert_collection({**s2_collection("yvy-detections"),
                             "description": "Change-detection products (break dates, magnitude)"})
    register_items(store, [det])
    built.detection = det_id
    built.alerts = _insert_alerts(store, transform, shape, n_alerts_extra)

    users = SQLUserStore(store)
    for name, role in (("admin", "admin"), ("ana", "analyst"), ("vic", "viewer")):
        users.add_user(name, role, PASSWORDS[name])
        built.keys[name] = users.create_api_key(name, "tests")[1]
    store.close()
    return built


def _insert_alerts(store, transform, shape, n_extra: int) -> list[str]:
    from shapely.affinity import translate

    from yvy.alerts.model import Alert, AlertStatus, Confidence
    from yvy.storage.alerts import SQLAlertStore

    alerts = SQLAlertStore(store)
    h, w = shape
    geoms = [
        (_pixel_polygon(transform, slice(h // 4, h // 4 + h // 8), slice(w // 4, w // 4 + w // 6)),
         "2024-05-09", 2, Confidence.HIGH),
        (_pixel_polygon(transform, slice(h // 2, h // 2 + h // 10), slice(w // 2, w // 2 + w // 10)),
         "2024-07-08", 0, Confidence.LOW),
    ]
    ids = []
    now = "2024-07-10T00:00:00Z"
    with alerts.transaction():
        for k, (geom, day, confirm, conf) in enumerate(geoms):
            aid = alerts.next_alert_id("PY", 2024)
            alerts.insert_alert(Alert(
                id=aid, geometry=geom, area_ha=round(geom.area * 1.1e8 / 1e4 * 1.0, 3) or 1.0,
                first_detected=day, last_clear=DATES[DATES.index(day) - 1], confirm_count=confirm,
                confidence=conf, status=AlertStatus.NEW, magnitude=-0.4, pixel_count=100 + k,
                observed_until=DATES[-1], products=("DET_21KXT_2024",), created=now, updated=now,
                context={"admin": [{"name": "Boquerón", "region": "chaco"}]},
            ))
            alerts.append_audit(at=now, actor="system", alert_id=aid, action="created", payload={})
            ids.append(aid)
        base = geoms[0][0]
        for j in range(n_extra):
            aid = alerts.next_alert_id("PY", 2024)
            g = translate(base, xoff=0.02 * (j % 50), yoff=-0.02 * (j // 50))
            alerts.insert_alert(Alert(
                id=aid, geometry=g, area_ha=1.0 + j % 7, first_detected=DATES[2 + j % 2],
                confidence=Confidence.HIGH if j % 3 else Confidence.LOW, status=AlertStatus.NEW,
                magnitude=-0.3, pixel_count=50, created=now, updated=now))
            ids.append(aid)
    return ids


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 in a background thread."""

    def __init__(self, app, *, workers_threads: int | None = None):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def make_app(built: Built, **settings):
    """The app over a built workspace; no background notifier unless asked."""
    from yvy.api import create_app
    from yvy.api.settings import ServeSettings

    settings.setdefault("notify_interval", 0)
    return create_app(built.workspace, ServeSettings(**settings))


def bearer(built: Built, user: str) -> dict:
    """Authorization header with ``user``'s API key."""
    return {"Authorization": f"Bearer {built.keys[user]}"}
