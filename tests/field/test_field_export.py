"""Field package: GeoPackage + GPX of alerts and targets, MBTiles basemap readable per the spec."""

import io
import json
import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import pyogrio
import rasterio
import shapely
from click.testing import CliRunner
from PIL import Image
from rasterio.transform import from_origin

from yvy.alerts.model import Alert
from yvy.cli.main import cli
from yvy.field.export import export_field, file_tiles, tiles_over
from yvy.field.mbtiles import read_tile


def _rgb(path):
    """An RGB byte GeoTIFF in WGS84: left half pure red, right half pure blue."""
    a = np.zeros((3, 200, 200), np.uint8)
    a[0, :, :100] = 255
    a[2, :, 100:] = 255
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8",
                       crs="EPSG:4326", transform=from_origin(-61.7, 16.2, 0.001, 0.001)) as ds:
        ds.write(a)


def test_export_writes_gpkg_gpx_and_mbtiles(tmp_path):
    _rgb(tmp_path / "img.tif")
    area = shapely.box(-61.7, 16.0, -61.5, 16.2)
    alerts = [Alert("A-2024-000001", shapely.box(-61.65, 16.1, -61.64, 16.11), 12.5, "2024-01-05"),
              Alert("A-2024-000002", shapely.box(-60.0, 15.0, -59.99, 15.01), 3.0, "2024-01-06")]  # outside
    targets = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-61.6, 16.15]},
                "properties": {"id": "R001", "value": 1.2, "note": "hot spot", "flight": 1}}]
    res = export_field(tmp_path / "out", area, alerts=alerts, targets=targets, tiles=file_tiles(tmp_path / "img.tif"),
                       zooms=range(10, 13))
    out = tmp_path / "out"
    assert res["alerts"] == 1 and res["targets"] == 1
    layers = {name for name, _ in pyogrio.list_layers(out / "field.gpkg")}
    assert layers == {"alerts", "targets"}
    assert pyogrio.read_dataframe(out / "field.gpkg", layer="alerts")["id"].tolist() == ["A-2024-000001"]
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    names = [e.text for e in ET.parse(out / "alerts.gpx").getroot().findall("g:wpt/g:name", ns)]
    assert names == ["A-2024-000001"]
    # MBTiles per spec: metadata + tiles tables, TMS rows; every tile of the area at each zoom
    con = sqlite3.connect(out / "basemap.mbtiles")
    meta = dict(con.execute("SELECT name, value FROM metadata"))
    assert meta["format"] == "png" and meta["minzoom"] == "10" and meta["maxzoom"] == "12"
    n = con.execute("SELECT count(*) FROM tiles").fetchone()[0]
    con.close()
    assert n == res["tiles"] == len(list(tiles_over(area.bounds, range(10, 13))))
    # a z12 tile in the red half is red, one in the blue half is blue
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    for lon, colour in ((-61.66, (255, 0, 0)), (-61.54, (0, 0, 255))):
        t = tms.tile(lon, 16.1, 12)
        img = np.asarray(Image.open(io.BytesIO(read_tile(out / "basemap.mbtiles", 12, t.x, t.y))).convert("RGBA"))
        px = img[128, 128]
        assert tuple(px[:3]) == colour and px[3] == 255


def test_cli_without_workspace_uses_image_and_targets(tmp_path):
    _rgb(tmp_path / "img.tif")
    feat = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-61.6, 16.15]}, "properties": {"id": "R1"}}
    (tmp_path / "t.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}))
    args = ["--home", str(tmp_path / "none"), "field", "export", "--area", "-61.7,16.0,-61.5,16.2",
            "--image", str(tmp_path / "img.tif"), "--targets", str(tmp_path / "t.geojson"),
            "--max-zoom", "11", "--out", str(tmp_path / "o"), "--json"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["targets"] == 1 and res["tiles"] > 0 and (tmp_path / "o" / "targets.gpx").exists()


def test_bad_area_is_one_line_error(tmp_path):
    r = CliRunner().invoke(cli, ["field", "export", "--area", "nowhere", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "--area" in r.output
