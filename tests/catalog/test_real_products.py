"""The readers against real provider products (``products/`` of the shared data, see its
MANIFEST.md): each complete product gives the right STAC item, each partial one a precise
one-line error. Expected values come from the providers' own files, read here independently
(USGS's ``*_stac.json`` beside each MTL, the XML of the SAFE, INPE's TIFF tags)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
import rasterio

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.landsat import describe_mtl, parse_mtl
from yvy.catalog.formats.registry import read_items
from yvy.catalog.formats.sentinel2 import safe_metadata
from yvy.dates import find_datetime
from yvy.errors import InputError
from yvy.testing.stac import validate_offline

S2 = "products/sentinel2/stactools-packages__sentinel2/tests/data-files"
LANDSAT = "products/landsat/stactools-packages__landsat/tests/data-files"
L2SP = f"{LANDSAT}/assets3"
L2SP_ID = "LC08_L2SP_008059_20191201_20200825_02_T1"
WPM = "products/cbers/gabriel-russo__cbers4asat/tests/data"
INPE_XML = "products/cbers/fredliporace__cbers-2-stac/test/fixtures"

SAFES = {  # folder -> (baseline, what the reader must say)
    "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE":
        ("04.00", r"partial product: bands B01, B02, B03, B05.* missing \(present: AOT, B04, SCL"),
    "S2A_MSIL2A_20230821T221941_N0509_R029_T01KAB_20230822T021825.SAFE": ("05.09", "metadata only"),
    "esa_S2B_MSIL2A_20210122T133229_N0214_R081_T22HBD_20210122T155500.SAFE": ("02.14", "metadata only"),
    "S2B_MSIL2A_20220413T150759_N0400_R025_T33XWJ_20220414T082126.SAFE": ("04.00", "metadata only"),
    "S2B_MSIL2A_20191228T210519_N0212_R071_T01CCV_20201003T104658.SAFE": ("02.12", "metadata only"),
}


def _one_line_error(path, match: str) -> str:
    with pytest.raises(InputError) as err:
        read_items([path], IngestOptions(checksum=False))
    msg = str(err.value)
    assert "\n" not in msg and re.search(match, msg), msg
    return msg


def _xml_text(path, tag: str) -> str:
    return next(el.text for el in ET.parse(path).iter() if el.tag.rsplit("}", 1)[-1] == tag)


# -- Sentinel-2 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("safe", sorted(SAFES))
def test_sentinel2_safe_metadata(safe, data_file):
    folder = data_file(f"{S2}/{safe}")
    mtd = folder / "MTD_MSIL2A.xml"
    meta = safe_metadata(str(mtd))
    baseline, _ = SAFES[safe]
    assert meta["baseline"] == baseline == f"{safe.split('_N')[1][:2]}.{safe.split('_N')[1][2:4]}"
    sensing = re.search(r"MSIL2A_(\d{8}T\d{6})", safe).group(1)
    assert meta["datetime"].strftime("%Y%m%dT%H%M%S") == sensing
    assert meta["cloud_cover"] == float(_xml_text(mtd, "Cloud_Coverage_Assessment"))
    assert meta["scale"] == pytest.approx(1e-4)
    # baseline >= 04.00: BOA_ADD_OFFSET -1000 on every band (-0.1 reflectance); before: none
    expected = -0.1 if baseline >= "04.00" else 0.0
    assert len(meta["offset"]) == 12 and all(v == pytest.approx(expected) for v in meta["offset"].values())


@pytest.mark.parametrize("safe", sorted(SAFES))
def test_sentinel2_partial_safe_is_one_precise_line(safe, data_file):
    folder = data_file(f"{S2}/{safe}")
    msg = _one_line_error(folder, SAFES[safe][1])
    assert msg.startswith(str(folder))


def test_genuine_jpeg2000_band_matches_the_granule_metadata(data_file):
    safe = data_file(f"{S2}/S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")
    [b04] = safe.glob("GRANULE/*/IMG_DATA/R60m/*_B04_60m.jp2")
    [tl] = safe.glob("GRANULE/*/MTD_TL.xml")
    with rasterio.open(b04) as ds:
        assert ds.crs.to_string() == _xml_text(tl, "HORIZONTAL_CS_CODE") == "EPSG:32629"
        assert ds.res == (60.0, 60.0) and ds.shape == (1830, 1830)


@pytest.mark.parametrize("folder, match", [
    ("S2A_MSIL1C_20210908T042701_N0301_R133_T46RER_20210908T070248.SAFE", "Level-1C"),
    ("S2A_OPER_MSI_L2A_TL_VGS1_20220401T110010_A035382_T34LBQ", "metadata only: an AWS sentinel-s2-l2a"),
    ("S2B_MSIL2A_20200914T231559_N0500_R087_T01VCG_20230315T224658", "metadata only: an AWS sentinel-s2-l2a"),
])
def test_sentinel2_other_layouts_say_what_they_are(folder, match, data_file):
    _one_line_error(data_file(f"{S2}/{folder}"), match)


# -- Landsat Collection 2 -----------------------------------------------------------------------

def _usgs_stac(mtl):
    stem = mtl.name.rsplit("_MTL", 1)[0]
    for name in (f"{stem}_SR_stac.json", f"{stem}_stac.json"):
        if (mtl.parent / name).exists():
            return json.loads((mtl.parent / name).read_text())
    return None


def _mtls(root):
    by_id = {}
    for p in sorted(root.rglob("*_MTL.*")):
        if p.suffix in (".txt", ".xml", ".json"):
            by_id.setdefault(p.name.rsplit("_MTL", 1)[0], p)  # one MTL per product
    return by_id


def test_landsat_mtls_agree_with_the_usgs_stac_items(yvy_data):
    mtls = _mtls(yvy_data / LANDSAT)
    assert len(mtls) == 19  # Landsat 1-9: MSS, TM, ETM+, OLI/TIRS
    compared = 0
    for pid, path in mtls.items():
        usgs = _usgs_stac(path)
        facts = describe_mtl(parse_mtl(str(path)), str(path))
        assert facts["id"] == pid
        if usgs is None:
            continue
        compared += 1
        ref, props = usgs["properties"], facts["properties"]
        assert facts["datetime"].date().isoformat() == ref["datetime"][:10], pid
        if "T" in ref["datetime"]:
            assert abs((facts["datetime"] - find_datetime(ref["datetime"])).total_seconds()) < 1, pid
        if ref.get("eo:cloud_cover") is not None:
            assert props["eo:cloud_cover"] == pytest.approx(ref["eo:cloud_cover"]), pid
        assert int(props["landsat:wrs_path"]) == int(ref["landsat:wrs_path"]), pid
        assert int(props["landsat:wrs_row"]) == int(ref["landsat:wrs_row"]), pid
        if ref.get("proj:epsg"):
            assert facts["epsg"] == ref["proj:epsg"], pid
        sun = ref.get("view:sun_azimuth", ref.get("eo:sun_azimuth"))
        assert props["view:sun_azimuth"] == pytest.approx(sun), pid
    assert compared == 16  # three products have no USGS item beside their MTL


def test_landsat_complete_l2sp_folder(data_file, stac_validator):
    folder = data_file(L2SP)
    [item] = read_items([folder], IngestOptions(checksum=False))
    d = item.to_dict(include_self_link=False)
    usgs = json.loads((folder / f"{L2SP_ID}_SR_stac.json").read_text())
    mtl = (folder / f"{L2SP_ID}_MTL.txt").read_text()
    p = d["properties"]
    assert d["id"] == L2SP_ID and d["collection"] == "landsat-c2-l2" and p["platform"] == "landsat-8"
    centre = re.search(r'SCENE_CENTER_TIME = "([\d:.]+)Z"', mtl).group(1)
    assert p["datetime"] == f"2019-12-01T{centre[:15]}Z"  # the MTL's 7 fraction digits, to the microsecond
    assert p["eo:cloud_cover"] == usgs["properties"]["eo:cloud_cover"] == 81.02
    zone = int(re.search(r"UTM_ZONE = (\d+)", mtl).group(1))
    assert p["proj:code"] == f"EPSG:{32600 + zone}"
    sr_keys = {"coastal", "blue", "green", "red", "nir08", "swir16", "swir22"}
    assert sr_keys | {"qa_pixel", "lwir11"} <= set(d["assets"])
    for key in sr_keys:
        band = d["assets"][key]["raster:bands"][0]
        number = re.search(r"SR_B(\d)", d["assets"][key]["href"]).group(1)
        mult = float(re.search(rf"REFLECTANCE_MULT_BAND_{number} = ([-+\d.eE]+)", mtl).group(1))
        add = float(re.search(rf"REFLECTANCE_ADD_BAND_{number} = ([-+\d.eE]+)", mtl).group(1))
        assert (band["scale"], band["offset"]) == (pytest.approx(mult), pytest.approx(add)) == (2.75e-5, -0.2)
        with rasterio.open(d["assets"][key]["href"]) as ds:
            assert d["assets"][key]["proj:shape"] == [ds.height, ds.width]
    commons = {b["eo:common_name"] for k in sr_keys for b in d["assets"][k].get("bands", [])} or {
        b["common_name"] for k in sr_keys for b in d["assets"][k].get("eo:bands", [])}
    assert commons == sr_keys
    validate_offline(d, stac_validator)


def test_landsat_partial_folders(data_file, tmp_path):
    folder = tmp_path / "l2sp"
    shutil.copytree(data_file(L2SP), folder)
    (folder / f"{L2SP_ID}_SR_B4.TIF").unlink()
    _one_line_error(folder, rf"{L2SP_ID}_MTL\.\w+: references {L2SP_ID}_SR_B4\.TIF \(red\), which is missing$")
    (folder / f"{L2SP_ID}_QA_PIXEL.TIF").unlink()
    _one_line_error(folder, rf"partial product: 2 band files the MTL lists are missing: {L2SP_ID}_SR_B4.TIF "
                            rf"\(red\), {L2SP_ID}_QA_PIXEL.TIF \(qa_pixel\)$")


@pytest.mark.parametrize("sub, match", [
    ("oli-tirs", "metadata only: none of the 8 band files the MTL lists is present"),
    ("tm", "metadata only: none of the 7 band files the MTL lists is present"),
    ("etm", "metadata only: none of the 7 band files the MTL lists is present"),
    ("mss", r"a Level-1 product \(L1GS\); yvy ingests Collection 2 Level-2"),
])
def test_landsat_metadata_only_products(sub, match, data_file):
    mtls = _mtls(data_file(f"{LANDSAT}/{sub}"))
    assert mtls
    for mtl in mtls.values():
        _one_line_error(mtl, match)


# -- CBERS-4/4A (INPE) --------------------------------------------------------------------------

def test_cbers4a_wpm_crops_are_one_cbers_item(data_file, stac_validator, tmp_path):
    folder = data_file(WPM)
    items = read_items([folder], IngestOptions(checksum=False))
    assert len(items) == 1  # not four generic GeoTIFFs named BAND0..BAND3
    d = items[0].to_dict(include_self_link=False)
    with rasterio.open(folder / "BAND2.tif") as ds:
        tags, epsg = ds.tags(), ds.crs.to_epsg()
    desc = tags["TIFFTAG_IMAGEDESCRIPTION"]
    when = re.search(r"Acquisition Date (\S+)", desc).group(1)
    path, row = re.search(r"P(\d+) R(\d+)", desc).groups()
    assert tags["TIFFTAG_COPYRIGHT"] == "INPE"
    assert d["id"] == f"CBERS_4A_WPM_{when[:10].replace('-', '')}_{int(path):03d}_{int(row):03d}_L4"
    assert d["collection"] == "cbers-4a-wpm" and d["properties"]["platform"] == "cbers-4a"
    assert d["properties"]["datetime"] == f"{when}Z"  # the acquisition, not TIFFTAG_DATETIME (processing)
    assert (d["properties"]["cbers:path"], d["properties"]["cbers:row"]) == (int(path), int(row))
    assert d["properties"]["processing:level"] == "L4"
    assert d["properties"]["proj:code"] == f"EPSG:{epsg}" == "EPSG:32720"
    assert set(d["assets"]) == {"pan", "blue", "green", "red"}
    assert d["assets"]["pan"]["href"].endswith("BAND0.tif")
    assert d["assets"]["pan"]["proj:transform"][0] == 2.0 and d["assets"]["red"]["proj:transform"][0] == 8.0
    validate_offline(d, stac_validator)
    # the same crops under another folder are the same product; a renamed copy still is
    shutil.copytree(folder, tmp_path / "copy")
    assert [i.id for i in read_items([tmp_path / "copy"], IngestOptions(checksum=False))] == [d["id"]]


def test_generic_geotiffs_of_the_same_name_do_not_collide(data_file, tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        with rasterio.open(data_file(f"{WPM}/BAND2.tif")) as src:
            profile = src.profile
            data = src.read()
        with rasterio.open(tmp_path / sub / "BAND2.tif", "w", **profile) as dst:
            dst.write(data)  # same name, INPE tags stripped: a generic GeoTIFF
    items = read_items([tmp_path / "a", tmp_path / "b"], IngestOptions(checksum=False, datetime="2021-08-29"))
    assert len({i.id for i in items}) == 2 and all(i.collection_id == "geotiff" for i in items)


def test_inpe_band_metadata_without_its_tiff(data_file):
    xmls = sorted(data_file(INPE_XML).glob("*.xml"))
    assert len(xmls) == 10  # CBERS-4 MUX/AWFI/PAN5M/PAN10M, CBERS-4A MUX/WFI/WPM, Amazonia-1 WFI
    for xml in xmls:
        scene = xml.name.rsplit("_BAND", 1)[0]
        _one_line_error(xml, rf"{scene}: metadata only: INPE band metadata \({xml.name}\) without the band "
                             r"GeoTIFFs it describes$")
