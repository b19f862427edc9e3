"""Alerts only from forest: user masks (raster, polygons, any CRS), the product's forest_history
layer, --no-forest-filter, and one-sided breaks as loss evidence."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin

from yvy.alerts import AlertParams, extract_candidates
from yvy.alerts.forest import read_forest_mask
from yvy.alerts.layers import layers_from_item
from yvy.alerts.vectorize import loss_mask
from yvy.cli.main import cli
from yvy.errors import InputError, ProjectionError

from .conftest import Patch, make_layers

CRS = "EPSG:32721"
LEFT, RIGHT = Patch(slice(10, 20), slice(5, 15)), Patch(slice(10, 20), slice(40, 50))


def _grid():
    layers = make_layers([LEFT, RIGHT])
    return layers.crs, layers.transform, layers.break_days.shape


def _left_half_lonlat(transform, cols=30, rows=60):
    """WGS84 polygon of the left ``cols`` columns of the 60 x 60 grid."""
    from pyproj import Transformer

    x0, y0 = transform.c, transform.f
    x1, y1 = x0 + cols * transform.a, y0 + rows * transform.e
    to = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    ring = [to.transform(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
    return shapely.Polygon(ring)


def test_raster_mask_in_another_crs(tmp_path):
    crs, transform, shape = _grid()
    poly = _left_half_lonlat(transform)
    minx, miny, maxx, maxy = poly.buffer(0.01).bounds
    res = 0.00005  # about 5 m: finer than the 30 m grid
    w, h = int((maxx - minx) / res), int((maxy - miny) / res)
    t = from_origin(minx, maxy, res, res)
    from rasterio.features import rasterize

    forest = rasterize([(poly, 7)], out_shape=(h, w), transform=t, dtype="uint8")  # any non-zero value
    forest[:5] = 255  # nodata rows: not forest
    path = tmp_path / "forest.tif"
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="uint8", crs="EPSG:4326",
                       transform=t, nodata=255) as ds:
        ds.write(forest, 1)
    mask = read_forest_mask(path, crs, transform, shape)
    assert mask.shape == shape and mask.dtype == np.uint8
    assert mask[:, :29].all() and not mask[:, 31:].any()  # nearest: one column of slack at the edge


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_vector_mask_and_errors(tmp_path):
    import geopandas as gpd

    crs, transform, shape = _grid()
    poly = _left_half_lonlat(transform)
    path = tmp_path / "forest.geojson"
    gpd.GeoDataFrame({"cover": ["forest"]}, geometry=[poly], crs="EPSG:4326").to_file(path)
    mask = read_forest_mask(path, crs, transform, shape)
    assert mask[:, :30].all() and not mask[:, 30:].any()
    gpkg = tmp_path / "forest.gpkg"  # another CRS and format
    gpd.GeoDataFrame(geometry=[poly], crs="EPSG:4326").to_crs("EPSG:5880").to_file(gpkg)
    np.testing.assert_array_equal(read_forest_mask(gpkg, crs, transform, shape), mask)
    with pytest.raises(InputError, match="not found"):
        read_forest_mask(tmp_path / "nope.tif", crs, transform, shape)
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    with pytest.raises(InputError, match="not a readable"):
        read_forest_mask(bad, crs, transform, shape)
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8") as ds:
        ds.write(np.ones((4, 4), np.uint8), 1)
    with pytest.raises(ProjectionError):
        read_forest_mask(nocrs, crs, transform, shape)


def test_candidates_only_on_forest():
    layers = make_layers([LEFT, RIGHT])
    forest = np.zeros(layers.break_days.shape, np.uint8)
    forest[:, :30] = 1
    forest[15:, 5:15] = 255  # unknown is not forest
    masked = type(layers)(**{**layers.__dict__, "forest": forest})
    cands = extract_candidates(masked)
    assert len(cands) == 1 and cands[0].pixel_count == 50
    assert len(extract_candidates(masked, AlertParams(forest_filter=False))) == 2
    assert len(extract_candidates(layers)) == 2  # no mask: every pixel
    with pytest.raises(InputError, match="forest"):
        type(layers)(**{**layers.__dict__, "forest": forest[:10]})


def test_one_sided_break_uses_the_magnitude_since_the_break():
    late = Patch(slice(10, 20), slice(5, 15), magnitude=0.02)  # a late clearing: median residual > 0
    dip = Patch(slice(40, 50), slice(40, 50), magnitude=0.03)  # a dip that recovered
    layers = make_layers([late, dip])
    since = np.full(layers.break_days.shape, np.nan)
    since[10:20, 5:15] = -0.3
    since[40:50, 40:50] = 0.01
    assert not loss_mask(layers, AlertParams()).any()
    neg = type(layers)(**{**layers.__dict__, "break_direction": -1, "break_magnitude": since})
    got = loss_mask(neg, AlertParams())
    assert got.sum() == 100 and got[10:20, 5:15].all()
    assert not loss_mask(neg, AlertParams(min_loss=0.5)).any()  # the threshold applies to it too
    both = type(layers)(**{**layers.__dict__, "break_magnitude": since})  # R's test: magnitude as before
    assert not loss_mask(both, AlertParams()).any()
    with pytest.raises(InputError):
        type(layers)(**{**layers.__dict__, "break_direction": 2})
    with pytest.raises(InputError, match="break_magnitude"):
        type(layers)(**{**layers.__dict__, "break_magnitude": since[:3]})


def _product(tmp_path, layers, forest_history=None, direction="both", rule=True):
    """Write ``layers`` as a detection product's rasters; return its STAC item dict."""
    shape = layers.break_days.shape
    prof = dict(driver="GTiff", width=shape[1], height=shape[0], count=1, crs=layers.crs,
                transform=layers.transform)
    assets = {}
    arrays = {"break_days": (layers.break_days, "float32", np.nan), "magnitude": (layers.magnitude, "float32", np.nan),
              "confirm_count": (layers.confirm_count, "int16", -1),
              "prev_obs_days": (layers.prev_obs_days, "float32", np.nan)}
    if forest_history is not None:
        arrays["forest_history"] = (forest_history, "uint8", 255)
        arrays["break_magnitude"] = (layers.magnitude, "float32", np.nan)
    for name, (arr, dtype, nodata) in arrays.items():
        path = tmp_path / f"{name}.tif"
        with rasterio.open(path, "w", dtype=dtype, nodata=nodata, **prof) as ds:
            ds.write(np.asarray(arr).astype(dtype), 1)
        assets[name] = {"href": str(path)}
    props = {"yvy:last_processed": "2022-01-01T00:00:00Z", "yvy:params": {"direction": direction},
             "yvy:forest_rule": {"min_mean": 0.45, "min_dry": 0.3, "max_amplitude": 0.5} if rule else None,
             "datetime": "2022-01-01T00:00:00Z"}
    return {"type": "Feature", "stac_version": "1.0.0", "id": "det-forest", "collection": "yvy-detections",
            "geometry": None, "properties": props, "assets": assets, "links": []}


def test_layers_from_item_forest_sources(tmp_path):
    layers = make_layers([LEFT, RIGHT])
    fh = np.zeros(layers.break_days.shape, np.uint8)
    fh[:, 30:] = 1
    item = _product(tmp_path, layers, fh, direction="negative")
    got = layers_from_item(item)
    assert got.forest_source == "forest_history" and got.break_direction == -1
    np.testing.assert_allclose(got.break_magnitude, layers.magnitude)
    np.testing.assert_array_equal(got.forest, fh)
    assert layers_from_item(item, forest_filter=False).forest is None
    assert layers_from_item({**item, "properties": {**item["properties"], "yvy:forest_rule": None}}).forest is None
    user = tmp_path / "user.tif"
    with rasterio.open(user, "w", driver="GTiff", width=60, height=60, count=1, dtype="uint8", crs=layers.crs,
                       transform=layers.transform) as ds:
        ds.write(1 - fh, 1)
    got = layers_from_item(item, forest_mask=user)  # the user's mask wins over forest_history
    assert got.forest_source == str(user)
    np.testing.assert_array_equal(got.forest, 1 - fh)
    (tmp_path / "old").mkdir()
    old = _product(tmp_path / "old", layers)  # made before forest layers and directions
    got = layers_from_item(old)
    assert got.forest is None and got.break_direction == 0 and got.break_magnitude is None


def test_cli_alerts_update_forest_options(tmp_path):
    from yvy.change.product import DETECTIONS, collection_dict
    from yvy.config import Workspace
    from yvy.storage import open_store

    layers = make_layers([LEFT, RIGHT])
    fh = np.zeros(layers.break_days.shape, np.uint8)
    fh[:, :30] = 1
    item = _product(tmp_path, layers, fh)
    home = tmp_path / "ws"
    ws = Workspace.create(home)
    st = open_store(ws.database_url, create=True)
    st.upsert_collection(collection_dict(DETECTIONS))
    st.upsert_item(item)
    st.close()
    run = CliRunner().invoke
    r = run(cli, ["--home", str(home), "alerts", "update", "--product", "det-forest", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["candidates"] == 1  # forest_history: the left patch only
    right = tmp_path / "right.geojson"
    right.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                     "geometry": shapely.geometry.mapping(_left_half_lonlat(layers.transform, cols=60)
                                                          .difference(_left_half_lonlat(layers.transform)))}]}))
    r = run(cli, ["--home", str(home), "alerts", "update", "--product", "det-forest", "--forest-mask", str(right),
                  "--json", "--id-prefix", "R"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["created"] == 1  # the right patch, from the user's polygons
    r = run(cli, ["--home", str(home), "alerts", "update", "--product", "det-forest", "--no-forest-filter", "--json"])
    assert json.loads(r.output)["candidates"] == 2
    r = run(cli, ["--lang", "en", "--home", str(home), "alerts", "update", "--product", "det-forest",
                  "--no-forest-filter", "--forest-mask", str(right)])
    assert r.exit_code == 2 and "not both" in r.output
    r = run(cli, ["detect", "--help"])
    assert "--forest-mask" in r.output and "--no-forest-filter" in r.output
