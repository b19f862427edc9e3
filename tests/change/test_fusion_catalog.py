"""``yvy detect --method bayts|sar`` on catalog scenes of an AOI: synthetic Sentinel-2 COG items and
HyP3 RTC products (two orbits, linear power and dB) ingested with ``yvy ingest``, radar reprojected
onto the optical grid; the result equals a stack run on the same values and finds the clearing
hidden by clouds."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from yvy.alerts.ports import AlertQuery
from yvy.change.fusion import BAYTS_OUTPUTS, FusionRequest, plan_fusion
from yvy.change.monitor import model_array
from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.storage import open_store
from yvy.storage.alerts import SQLAlertStore
from yvy.testing.radar import make_hyp3_rtc, write_stack
from yvy.testing.scenes import s2_collection, write_s2_scene

ORIGIN = (500000.0, 4000000.0)  # EPSG:32616, where the HyP3 builder writes
CLEARING = date(2024, 2, 1)
CLOUDY = (date(2024, 1, 10), date(2024, 3, 20))  # every optical scene fully clouded
START, END = date(2023, 9, 1), date(2024, 4, 30)


def _granule(d: date, absolute: int) -> str:
    s = d.strftime("%Y%m%dT100000")
    return f"S1A_IW_SLC__1SDV_{s}_{s[:9]}235959_{absolute:06d}_022C7B_8E27"


def _scenes(root) -> tuple[list, list]:
    """Write the scenes: ``([(date, S2 item)], [(date, HyP3 product folder)])``."""
    rng = np.random.default_rng(5)
    s2, s1 = [], []
    d, k = START, 0
    while d <= END:  # S2 every 10 days, 24 x 24 px of 10 m; upper-left 12 x 12 cleared
        ndvi = 0.82 + rng.normal(0, 0.03, (24, 24))
        if d >= CLEARING:
            ndvi[:12, :12] = 0.3 + rng.normal(0, 0.03, (12, 12))
        red = np.full((24, 24), 0.04)
        scl = 9 if CLOUDY[0] <= d <= CLOUDY[1] else 4
        s2.append((d, write_s2_scene(root / "s2", d.isoformat(), {"red": red, "nir": red * (1 + ndvi) / (1 - ndvi)},
                                     scl=scl, shape=(24, 24), origin=ORIGIN, epsg=32616)))
        d, k = d + timedelta(days=10), k + 1
    for k in range(21):  # two orbits, 12-day repeat, 6 days apart; 8 x 8 px of 30 m
        for off, direction, abs0, bright in ((0, "descending", 20012, 0.0), (6, "ascending", 20100, 1.0)):
            d = START + timedelta(days=12 * k + off)
            db = -7.0 + bright + rng.normal(0, 0.6, (8, 8))
            if d >= CLEARING:
                db[:4, :4] = -12.0 + bright + rng.normal(0, 0.6, (4, 4))
            unit = "p" if k % 2 else "d"
            stem = f"S1A_IW_{d.strftime('%Y%m%dT100000')}_SVP_RTC30_G_g{unit}uned_{2 * k + (off > 0):04X}"
            make_hyp3_rtc(root / "s1" / f"p{k}{off}", stem=stem, pols=("VV",), archive=bool(k % 3),
                          values=db if unit == "d" else 10 ** (db / 10), granule=_granule(d, abs0 + 175 * k),
                          direction=direction)
            s1.append((d, root / "s1" / f"p{k}{off}"))
    return s2, s1


def _ingest(ws, store, scenes, since: date = date.min, until: date = date.max, hold: date | None = None):
    """Catalog the scenes dated in [since, until] (S2 items as they are but the one of ``hold``, HyP3
    with `yvy ingest`)."""
    s2, s1 = scenes
    store.upsert_collection(s2_collection())
    for d, item in s2:
        if since <= d <= until and d != hold:
            store.upsert_item(item)
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "ingest", *[str(p) for d, p in s1 if since <= d <= until]])
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return _scenes(tmp_path_factory.mktemp("fusion_scenes"))


@pytest.fixture(scope="module")
def catalog(tmp_path_factory, scenes):
    root = tmp_path_factory.mktemp("fusion_catalog")
    ws = Workspace.create(root / "ws")
    store = open_store(ws.database_url, create=True)
    _ingest(ws, store, scenes)
    bbox = store.find_item("S2X_TEST_20230901")["bbox"]
    return ws, store, root, ",".join(f"{v:.7f}" for v in bbox)


def _band(path, name):
    with rasterio.open(path) as ds:
        return ds.read(ds.descriptions.index(name) + 1)


def test_bayts_on_catalog_scenes_equals_stacks_and_finds_the_clouded_clearing(catalog, tmp_path):
    ws, store, root, bbox = catalog
    out = tmp_path / "cat"
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", "bayts", "--bbox", bbox,
                                 "--monitor-start", "2024-01-01", "--out", str(out), "--no-alerts"])
    assert r.exit_code == 0, r.output
    got = _band(out / "breaks.tif", "break_decimal_year")
    status = _band(out / "breaks.tif", "status")
    assert got.shape[0] >= 24 and got.shape[1] >= 24  # the optical 10 m grid
    # same values as stacks: read both cubes on the plan's grid and run the stack path
    req = FusionRequest("2024-01-01", bbox=tuple(float(v) for v in bbox.split(",")))
    plan = plan_fusion(req, store)
    opt, sar = plan.sensors
    assert sar.cube.geobox == opt.cube.geobox and len(set(sar.cube.orbits)) == 2
    a = opt.cube.geobox.affine
    h, w = opt.cube.geobox.shape
    paths = {}
    for s in plan.sensors:
        v = s.cube.read(slice(0, h), slice(0, w))
        paths[s.name] = write_stack(tmp_path / f"{s.name}.tif", v, dates=[t.date().isoformat() for t in s.cube.times],
                                    crs="EPSG:32616", res=a.a, x0=a.c, y0=a.f)
    ref_out = tmp_path / "stack"
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", "bayts", "--stack",
                                 str(paths["optical"]), "--sar-stack", str(paths["radar"]), "--sar-units", "db",
                                 "--monitor-start", "2024-01-01", "--out", str(ref_out), "--no-alerts"])
    assert r.exit_code == 0, r.output
    ref = _band(ref_out / "breaks.tif", "break_decimal_year")
    inside = status != -128
    assert inside.sum() >= 24 * 24 - 2 * (h + w)
    np.testing.assert_array_equal(got[inside], ref[inside])
    # truth: the 120 m clearing (optical pixels fully inside it) is confirmed from radar under the clouds
    x0, y0 = (ORIGIN[0] - a.c) / a.a, (a.f - ORIGIN[1]) / a.a
    r0, c0 = int(round(y0)), int(round(x0))
    cleared = np.zeros((h, w), bool)
    cleared[r0:r0 + 12, c0:c0 + 12] = True
    t_clear = 2024 + (CLEARING - date(2024, 1, 1)).days / 365
    hit = np.isfinite(got[cleared & inside])
    assert hit.mean() > 0.95
    assert np.nanmedian(got[cleared]) < 2024 + (CLOUDY[1] - date(2024, 1, 1)).days / 365  # before the clouds end
    assert np.nanmin(got[cleared]) >= t_clear - 1 / 365
    stable = inside & ~cleared
    stable[r0 - 1:r0 + 13, c0 - 1:c0 + 13] = False  # mixed radar pixels on the clearing's edge
    assert np.isfinite(got[stable]).mean() < 0.02


def test_sar_on_catalog_scenes_and_one_line_errors(catalog, tmp_path):
    ws, store, root, bbox = catalog
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", "sar", "--bbox", bbox,
                                 "--monitor-start", "2024-01-01", "--resolution", "30", "--no-alerts", "--out",
                                 str(tmp_path / "sar")])
    assert r.exit_code == 0, r.output
    got = _band(tmp_path / "sar" / "breaks.tif", "break_decimal_year")
    assert np.isfinite(got).sum() >= 9  # the 4 x 4 radar-pixel clearing, less its mixed edge
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(ws.home), "detect", "--method", "sar", "--bbox", bbox,
                                 "--monitor-start", "2024-01-01", "--polarization", "VH", "--no-alerts"])
    assert r.exit_code == 1 and r.output.strip().splitlines()[-1].startswith("Error: AOI: no Sentinel-1 scenes with VH")
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", "sar", "--monitor-start",
                                 "2024-01-01", "--no-alerts"])
    assert r.exit_code == 1 and "--sar-stack" in r.output


def test_sar_on_opera_like_scenes_masks_layover(tmp_path):
    """OPERA RTC-S1-like bursts (linear gamma0 VV/VH COGs + layover/shadow mask, named as OPERA
    names them) through `yvy ingest` and `detect --method sar --bbox`: the clearing is found and
    the layover pixels are no data."""
    rng = np.random.default_rng(9)
    x0, y0 = 499980.0, 4000020.0  # on the 30 m grid the plan snaps to
    mask = np.zeros((1, 16, 16), np.uint8)
    mask[0, 10:12] = 2  # layover
    for k in range(20):
        d = date(2023, 10, 1) + timedelta(days=12 * k)
        stem = f"OPERA_L2_RTC-S1_T137-292318-IW1_{d.strftime('%Y%m%d')}T015900Z_20250222T234616Z_S1A_30_v1.0"
        db = -7.0 + rng.normal(0, 0.6, (16, 16))
        if d >= CLEARING:
            db[:6, :6] = -12.0 + rng.normal(0, 0.6, (6, 6))
        for pol, off in (("VV", 0.0), ("VH", -6.0)):
            write_stack(tmp_path / "opera" / f"{stem}_{pol}.tif", (10 ** ((db + off) / 10))[None].astype(np.float32),
                        crs="EPSG:32616", x0=x0, y0=y0, tags={"ORBIT_PASS_DIRECTION": "ascending"})
        write_stack(tmp_path / "opera" / f"{stem}_mask.tif", mask, crs="EPSG:32616", x0=x0, y0=y0)
    ws = Workspace.create(tmp_path / "ws")
    store = open_store(ws.database_url, create=True)
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "ingest", str(tmp_path / "opera")])
    assert r.exit_code == 0, r.output
    item = next(iter(store.iter_items()))
    assert item["properties"]["sar:polarizations"] == ["VV", "VH"] and "mask" in item["assets"]
    bbox = ",".join(f"{v:.7f}" for v in item["bbox"])
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", "sar", "--bbox", bbox,
                                 "--monitor-start", "2024-01-01", "--resolution", "30", "--no-alerts",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    with rasterio.open(out / "breaks.tif") as ds:
        got = ds.read(ds.descriptions.index("break_decimal_year") + 1)
        status = ds.read(ds.descriptions.index("status") + 1)
        r0 = int(round((ds.transform.f - y0) / 30))
        c0 = int(round((x0 - ds.transform.c) / 30))
    block = (slice(r0, r0 + 16), slice(c0, c0 + 16))
    g, st = got[block], status[block]
    assert g.shape == (16, 16)
    assert (st[10:12] == -2).all() and np.isnan(g[10:12]).all()  # layover: no data
    assert np.isfinite(g[1:5, 1:5]).all()  # the clearing, away from its edge
    stable = np.ones((16, 16), bool)
    stable[:7, :7] = False
    stable[10:12] = False
    assert np.isfinite(g[stable]).mean() < 0.03


def _products(store) -> dict:
    """method -> detection item of a workspace."""
    return {it["properties"]["yvy:method"]: it for it in store.iter_items() if it["collection"] == "yvy-detections"}


def _rasters(item) -> dict:
    out = {}
    for o in BAYTS_OUTPUTS:
        with rasterio.open(item["assets"][o.name]["href"]) as ds:
            out[o.name] = ds.read(1)
    return out


def _detect_both(ws, aoi, *extra):
    # sar on a 60 m grid (the 30 m radar power averaged over each pixel) without block weighting:
    # its pflag/pchange then move with every value (bayts' defaults clip these well-separated
    # synthetic values' PNF, so small differences would not show)
    for method, more in (("bayts", ()), ("sar", ("--resolution", "60", "--bwf", "0", "1", "--no-alerts"))):
        r = CliRunner().invoke(cli, ["--home", str(ws.home), "detect", "--method", method, "--aoi", aoi,
                                     "--monitor-start", "2024-01-01", *more, *extra])
        assert r.exit_code == 0, r.output


def test_monitor_update_of_catalog_products_equals_one_run(catalog, scenes, tmp_path):
    """Scenes arrive in three parts: detect on the first (up to the clearing), `yvy ingest` + `yvy
    monitor update` for each of the others (the second: radar passes and clouded optical scenes),
    and every raster of the bayts and sar products (a polygon AOI, 16 px chunks; sar on 60 m, the
    radar's power averaged) equals a from-scratch `yvy detect` over all the scenes; alerts follow.
    A clouded S2 scene of the first part arrives late (with the second): it is skipped and counted
    (all its pixels are clouds, so the rasters still equal one run's)."""
    x0, y0, x1, y1 = (float(v) for v in catalog[3].split(","))
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2  # the scenes' square less its lower-right corner
    aoi = tmp_path / "aoi.geojson"
    aoi.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[x0, y1], [x1, y1], [x1, ym], [xm, y0], [x0, y0], [x0, y1]]]}))
    full = Workspace.create(tmp_path / "full")
    full_store = open_store(full.database_url, create=True)
    _ingest(full, full_store, scenes)
    _detect_both(full, str(aoi))
    want = {m: _rasters(it) for m, it in _products(full_store).items()}

    inc = Workspace.create(tmp_path / "inc")
    store = open_store(inc.database_url, create=True)
    parts = [(date.min, date(2024, 2, 3)), (date(2024, 2, 4), date(2024, 3, 15)), (date(2024, 3, 16), date.max)]
    late = date(2024, 1, 19)  # a clouded S2 scene delivered after later passes: skipped, counted
    _ingest(inc, store, scenes, *parts[0], hold=late)
    _detect_both(inc, str(aoi), "--chunk", "16")  # several chunks, the AOI's edge crossing them
    first = _products(store)
    before = {m: _rasters(it) for m, it in first.items()}
    for since, until in parts[1:]:
        _ingest(inc, store, scenes, since, until)
        store.upsert_item(dict(scenes[0])[late])
        for method, item in first.items():
            r = CliRunner().invoke(cli, ["--home", str(inc.home), "monitor", "update", "--product", item["id"],
                                         *(["--no-alerts"] if method == "sar" else [])])
            assert r.exit_code == 0, r.output
            assert "fechas nuevas" in r.output  # Spanish by default
    got = _products(store)
    for method in ("bayts", "sar"):
        props = got[method]["properties"]
        assert props["yvy:version"] == 3 and props["yvy:last_processed"][:10] == "2024-05-04"
        n_full = _products(full_store)[method]["properties"]["yvy:n_dates"]
        assert props["yvy:n_dates"] == {**n_full, **({"optical": n_full["optical"] - 1} if method == "bayts" else {})}
        skipped = [u["late_dates_skipped"].get("optical") for u in props["yvy:updates"]]
        assert skipped == ([1, 1] if method == "bayts" else [None, None])
        rasters = _rasters(got[method])
        for name, a in rasters.items():
            np.testing.assert_array_equal(a, want[method][name], err_msg=f"{method} {name}")
        assert (rasters["status"] == -128).any()  # outside the AOI, as in one run
        # the clearing (2024-02-01) was not seen yet by the first run
        assert np.isfinite(before[method]["break_decimal_year"]).sum() < np.isfinite(
            rasters["break_decimal_year"]).sum()
        held = props["yvy:inputs"]["radar"]
        assert len(held["items"]) == 42 and len(held["orbits"]) == 2
        assert held.get("footprint_factor", 1) == (2 if method == "sar" else 1)
    assert len(got["bayts"]["properties"]["yvy:inputs"]["optical"]["items"]) == 24  # not the late one
    # alerts: the update grew them to what one run over all the scenes makes
    alerts = {n: sorted((a.pixel_count, a.confidence) for a in SQLAlertStore(s).find_alerts(AlertQuery()))
              for n, s in (("inc", store), ("full", full_store))}
    assert alerts["inc"] == alerts["full"] and alerts["full"]
    # nothing new: up to date; a stack for a catalog product: one line
    r = CliRunner().invoke(cli, ["--home", str(inc.home), "monitor", "update", "--product", got["bayts"]["id"]])
    assert r.exit_code == 0 and "al día" in r.output
    (tmp_path / "vv.tif").write_bytes(b"")
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(inc.home), "monitor", "update", "--product",
                                 got["sar"]["id"], "--sar-stack", str(tmp_path / "vv.tif")])
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1].startswith("Error: --sar-stack: this product was made from catalog")


def test_monitor_update_with_orbit_normalise_and_speckle_filter_equals_one_run(catalog, scenes, tmp_path):
    """`--orbit-normalise --speckle-filter 3` on the catalog's two-orbit HyP3 scenes (sar, a 24 x 24
    px grid of 10 m, so the filter's 5 x 5 local means cross the 16 px chunks): `detect` on the scenes up to
    2024-02-03, `yvy ingest` of the rest and `monitor update` equal one `detect` over all of them,
    every raster and the stored per-orbit state (offsets, filter buffers)."""
    bbox = catalog[3]
    args = ["detect", "--method", "sar", "--bbox", bbox, "--monitor-start", "2024-01-01", "--resolution", "10",
            "--bwf", "0", "1", "--no-alerts", "--orbit-normalise", "--speckle-filter", "3", "--chunk", "16"]
    runs = {}
    for name, parts in (("full", [(date.min, date.max)]),
                        ("inc", [(date.min, date(2024, 2, 3)), (date(2024, 2, 4), date.max)])):
        ws = Workspace.create(tmp_path / name)
        store = open_store(ws.database_url, create=True)
        _ingest(ws, store, scenes, *parts[0])
        r = CliRunner().invoke(cli, ["--home", str(ws.home), *args])
        assert r.exit_code == 0, r.output
        for since, until in parts[1:]:
            _ingest(ws, store, scenes, since, until)
            r = CliRunner().invoke(cli, ["--home", str(ws.home), "monitor", "update", "--no-alerts", "--product",
                                         _products(store)["sar"]["id"]])
            assert r.exit_code == 0, r.output
        item = _products(store)["sar"]
        model = next(it for it in store.iter_items() if it["collection"] == "yvy-models")
        state = {}
        for key in ("state__radar_offsets", "state__radar_buffers"):
            state[key] = model_array(model, key)
        runs[name] = (item, _rasters(item), state)
    (full, want, want_state), (inc, got, got_state) = runs["full"], runs["inc"]
    assert inc["properties"]["yvy:version"] == 2
    prep = inc["properties"]["yvy:radar_preparation"]
    assert prep == full["properties"]["yvy:radar_preparation"] and len(prep["orbits"]) == 2
    assert prep["orbit_source"] == "items" and all("/" in o for o in prep["orbits"])
    for name, a in got.items():
        np.testing.assert_array_equal(a, want[name], err_msg=name)
    for key, a in got_state.items():
        np.testing.assert_array_equal(a, want_state[key], err_msg=key)
    assert (got["status"] == 1).any() and got["status"].shape == (24, 24)
