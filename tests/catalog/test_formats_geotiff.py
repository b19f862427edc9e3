"""Generic GeoTIFF: single images, time stacks, dates, drone orthomosaics."""

from __future__ import annotations

import pytest

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.geotiff import generic_id
from yvy.catalog.formats.registry import read_items
from yvy.errors import InputError
from yvy.testing.products import check_item, make_drone_ortho, write_raster


def one(path, **opts):
    [item] = read_items([path], IngestOptions(**opts))
    return check_item(item)


def test_time_stack(tmp_path):
    dates = ["2015-12-08T10:00:08", "2015-12-08T10:05:00", "2016-01-01T00:00:00"]
    path = write_raster(tmp_path / "ndvi_stack.tif", count=3, descriptions=dates, dtype="float32")
    d = one(path)
    p = d["properties"]
    assert d["id"] == generic_id(str(path)) and d["id"].startswith("ndvi_stack-") and d["collection"] == "geotiff"
    assert p["datetime"] is None
    assert p["start_datetime"] == "2015-12-08T10:00:08Z" and p["end_datetime"] == "2016-01-01T00:00:00Z"
    assert p["yvy:stack_dates"] == [x + "Z" for x in dates]
    assert list(d["assets"]) == ["data"] and len(d["assets"]["data"]["bands"]) == 3
    assert p["yvy:format"] == "geotiff"


@pytest.mark.parametrize(
    "name, kwargs, expected",
    [
        ("plain.tif", {"tags": {"ACQUISITION_DATE": "2021-05-06"}}, "2021-05-06T00:00:00Z"),
        ("plain.tif", {"tags": {"TIFFTAG_DATETIME": "2021:05:06 10:11:12"}}, "2021-05-06T10:11:12Z"),
        ("plain.tif", {"descriptions": ["2020-02-03"]}, "2020-02-03T00:00:00Z"),
        ("scene_20230105_x.tif", {}, "2023-01-05T00:00:00Z"),
        ("S1_20141016T230327.tif", {}, "2014-10-16T23:03:27Z"),
    ],
)
def test_single_date_sources(tmp_path, name, kwargs, expected):
    d = one(write_raster(tmp_path / name, res=30.0, **kwargs))
    assert d["properties"]["datetime"] == expected


def test_option_datetime_and_collection(tmp_path):
    path = write_raster(tmp_path / "nodate.tif", count=4, res=30.0)
    d = one(path, datetime="2022-07-01", collection="mine")
    assert d["properties"]["datetime"] == "2022-07-01T00:00:00Z" and d["collection"] == "mine"
    assert len(d["assets"]["data"]["bands"]) == 4


def test_no_date_asks_for_datetime(tmp_path):
    path = write_raster(tmp_path / "nodate.tif", res=30.0)
    with pytest.raises(InputError) as err:
        read_items([path])
    assert str(err.value) == f"{path}: no acquisition date in tags, band descriptions or file name; give the date"


def test_drone_by_tags_and_name(tmp_path):
    d = one(make_drone_ortho(tmp_path / "odm_orthophoto.tif"))
    assert d["collection"] == "drone" and d["properties"]["datetime"] == "2023-03-04T11:22:33Z"
    assert [b["eo:common_name"] for b in d["assets"]["data"]["bands"]] == ["red", "green", "blue"]


def test_drone_by_resolution_and_flag(tmp_path):
    fine = make_drone_ortho(tmp_path / "field_2023-03-04.tif", tags={}, count=5)
    assert one(fine)["collection"] == "drone"
    coarse = write_raster(tmp_path / "m" / "multi_2023-03-04.tif", res=2.0, count=5)
    assert one(coarse)["collection"] == "geotiff"
    assert one(coarse, drone=True)["collection"] == "drone"


def test_cbers_recognised_by_source_tag(tmp_path):
    path = write_raster(tmp_path / "renamed_stack.tif", count=2, descriptions=["2018-01-01", "2018-01-17"],
                        tags={"SOURCE": "inst/extdata/raster/cbers/CBERS-4_AWFI_B13_*.tif"})
    d = one(path)
    assert d["collection"] == "cbers-4-awfi" and d["properties"]["platform"] == "cbers-4"


def test_same_name_in_two_folders_gives_two_items_and_reingest_one(tmp_path):
    a = write_raster(tmp_path / "a" / "BAND1.tif", tags={"ACQUISITION_DATE": "2021-08-29"})
    b = write_raster(tmp_path / "b" / "BAND1.tif", tags={"ACQUISITION_DATE": "2021-08-29"})
    ids = [one(a)["id"], one(b)["id"], one(a)["id"]]
    assert ids[0] != ids[1] and ids[0] == ids[2] and all(i.startswith("BAND1-") for i in ids)
