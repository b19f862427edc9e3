"""items.py: raster headers -> STAC Item fields."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from yvy.catalog.items import AssetSpec, BandInfo, build_item, read_raster, validate_item
from yvy.dates import find_datetime
from yvy.errors import InputError
from yvy.testing.products import check_item, write_raster

UTC = dt.UTC
SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"


def test_projection_fields_and_footprint(tmp_path):
    path = write_raster(tmp_path / "a.tif", size=8, res=10.0)
    item = build_item("a", {"data": AssetSpec(read_raster(str(path)))}, fmt="test",
                      datetime=dt.datetime(2023, 1, 5))
    d = check_item(item)
    p, asset = d["properties"], d["assets"]["data"]
    assert p["proj:code"] == "EPSG:32721"
    assert asset["proj:shape"] == [8, 8]
    assert asset["proj:transform"] == [10.0, 0.0, 600000.0, 0.0, -10.0, 7800000.0]
    assert asset["proj:bbox"] == [600000.0, 7799920.0, 600080.0, 7800000.0]
    assert p["datetime"] == "2023-01-05T00:00:00Z"
    west, south, east, north = d["bbox"]
    assert -56.1 < west < east < -56.0 and -20 < south < north < -19.8
    assert len(d["geometry"]["coordinates"][0]) > 5  # densified


def test_no_epsg_gives_wkt2(tmp_path):
    path = write_raster(tmp_path / "s.tif", crs=SINUSOIDAL, x0=-6000000.0, y0=-1270000.0, res=231.66)
    d = check_item(build_item("s", {"data": AssetSpec(read_raster(str(path)))}, fmt="t",
                              datetime=dt.datetime(2020, 1, 1)))
    assert d["properties"]["proj:code"] is None
    assert "Sinusoidal" in d["properties"]["proj:wkt2"]


def test_band_metadata_both_forms(tmp_path):
    path = write_raster(tmp_path / "b.tif", count=2, dtype="float32", nodata=float("nan"))
    bands = [BandInfo(name="B4", common_name="red", scale=1e-4, offset=-0.1, center_wavelength=0.665)]
    d = check_item(build_item("b", {"data": AssetSpec(read_raster(str(path)), bands)}, fmt="t",
                              datetime=dt.datetime(2020, 1, 1)))
    asset = d["assets"]["data"]
    first = asset["bands"][0]
    assert first["eo:common_name"] == "red" and first["raster:scale"] == 1e-4
    assert first["raster:offset"] == -0.1 and first["data_type"] == "float32"
    assert first["nodata"] == "nan"
    assert asset["eo:bands"][0]["common_name"] == "red"
    assert asset["raster:bands"][0] == {"data_type": "float32", "nodata": "nan", "scale": 1e-4,
                                        "offset": -0.1, "spatial_resolution": 10.0}
    assert "raster:scale" not in asset["bands"][1]  # header scale 1 / offset 0 are not written


def test_checksum_optional_and_correct(tmp_path):
    path = write_raster(tmp_path / "c.tif")
    info = read_raster(str(path))
    with_sum = build_item("c", {"data": AssetSpec(info)}, fmt="t", datetime=dt.datetime(2020, 1, 1))
    without = build_item("c", {"data": AssetSpec(info)}, fmt="t", datetime=dt.datetime(2020, 1, 1),
                         checksum=False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert with_sum.assets["data"].extra_fields["file:checksum"] == "1220" + digest
    assert with_sum.assets["data"].extra_fields["file:size"] == path.stat().st_size
    assert "file:checksum" not in without.assets["data"].extra_fields


def test_time_range_item(tmp_path):
    info = read_raster(str(write_raster(tmp_path / "t.tif")))
    item = build_item("t", {"data": AssetSpec(info)}, fmt="t",
                      start_datetime=dt.datetime(2020, 1, 1), end_datetime=dt.datetime(2020, 2, 1))
    d = check_item(item)
    assert d["properties"]["datetime"] is None
    assert d["properties"]["start_datetime"] == "2020-01-01T00:00:00Z"


def test_missing_date_is_input_error(tmp_path):
    info = read_raster(str(write_raster(tmp_path / "t.tif")))
    with pytest.raises(InputError, match="no acquisition date; give the date"):
        build_item("t", {"data": AssetSpec(info)}, fmt="t")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2023-01-05", dt.datetime(2023, 1, 5, tzinfo=UTC)),
        ("20230105", dt.datetime(2023, 1, 5, tzinfo=UTC)),
        ("2015-12-08T10:00:08", dt.datetime(2015, 12, 8, 10, 0, 8, tzinfo=UTC)),
        ("2023:03:04 11:22:33", dt.datetime(2023, 3, 4, 11, 22, 33, tzinfo=UTC)),
        ("2023-01-05T13:51:09.024Z", dt.datetime(2023, 1, 5, 13, 51, 9, 24000, tzinfo=UTC)),
        ("2023-01-05T12:00:00+02:00", dt.datetime(2023, 1, 5, 10, tzinfo=UTC)),
        ("Layer_1", None), ("2023-13-40", None), (None, None),
    ],
)
def test_find_datetime(text, expected):
    assert find_datetime(text) == expected


def test_validate_item_offline_rejects_bad_geometry():
    bad = {"type": "Feature", "stac_version": "1.1.0", "id": "x", "links": [], "assets": {},
           "geometry": {"type": "Polygon", "coordinates": "no"}, "bbox": [0, 0, 1, 1],
           "properties": {"datetime": "2020-01-01T00:00:00Z"}}
    with pytest.raises(InputError) as err:
        validate_item(bad, "x.json")
    assert str(err.value).startswith("x.json: invalid STAC Item")
    assert "\n" not in str(err.value)
