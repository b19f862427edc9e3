"""Builders of tiny synthetic products for tests: fake SAFE, Earth Search COG folders, Landsat
C2 L2, IRS, CBERS, drone orthomosaics, STAC JSON, and a corpus of bad inputs.

Every builder writes under a folder it is given and returns the product path. Rasters are a few
pixels wide; metadata files carry the fields the readers use, with the real files' names and
layouts. Ground truth (CRS, grid, dates) is known by construction: see :data:`GRID`.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
from affine import Affine

__all__ = [
    "GRID",
    "write_raster",
    "make_s2_safe",
    "make_s2_cogs",
    "make_landsat_c2l2",
    "make_irs_product",
    "make_cbers_product",
    "make_drone_ortho",
    "make_stac_item_json",
    "make_bad_inputs",
    "check_item",
]

GRID = {"crs": "EPSG:32721", "x0": 600000.0, "y0": 7800000.0, "size": 8}
"""Default UTM 21S grid: top-left corner and pixel count along each side."""


def write_raster(
    path, *, count=1, size=GRID["size"], res=10.0, crs=GRID["crs"], x0=GRID["x0"], y0=GRID["y0"],
    dtype="uint16", nodata=None, descriptions=None, tags=None, driver="GTiff", transform=None,
    photometric=None,
) -> Path:
    """Write a small raster with a ramp of values; returns its path."""
    import rasterio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(driver=driver, width=size, height=size, count=count, dtype=dtype)
    if crs is not None:
        profile["crs"] = crs
    if transform is not None or crs is not None:
        profile["transform"] = transform if transform is not None else Affine(res, 0, x0, 0, -res, y0)
    if nodata is not None:
        profile["nodata"] = nodata
    if photometric:
        profile["photometric"] = photometric
    if driver == "JP2OpenJPEG":
        profile.update(quality=100, reversible=True)
    data = (np.arange(count * size * size).reshape(count, size, size) % 200 + 1).astype(dtype)
    with rasterio.Env(GTIFF_WRITE_TOPOLOGY="NO"), rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
        for i, desc in enumerate(descriptions or [], start=1):
            ds.set_band_description(i, desc)
        if tags:
            ds.update_tags(**tags)
    aux = path.with_name(path.name + ".aux.xml")
    if aux.exists():
        aux.unlink()
    return path


def _archive(folder: Path, kind: str) -> Path:
    """Zip or tar ``folder`` (with the folder name as top level inside a zip) and remove it."""
    if kind == "zip":
        out = folder.with_name(folder.name + ".zip")
        with zipfile.ZipFile(out, "w") as zf:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    zf.write(f, f.relative_to(folder.parent).as_posix())
    else:
        out = folder.with_suffix(".tar")
        with tarfile.open(out, "w") as tf:
            for f in sorted(folder.iterdir()):
                tf.add(f, arcname=f.name)
    shutil.rmtree(folder)
    return out


# ---------------------------------------------------------------------------------------------
# Sentinel-2

_S2_RES = {"B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20,
           "B08": 10, "B8A": 20, "B09": 60, "B11": 20, "B12": 20, "SCL": 20}
_S2_IDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
           "B12"]


def make_s2_safe(root, *, tile="21KUP", sensing="20230105T135109", baseline="05.09",
                 spacecraft="B", cloud=12.5, archive=False, missing=(), size=6) -> Path:
    """A Sentinel-2 L2A SAFE with tiny JP2 bands (each at its native resolution); ``archive``
    zips it (returns the .zip); ``missing`` leaves those bands (e.g. ``("B04",)``) out."""
    root = Path(root)
    name = (f"S2{spacecraft}_MSIL2A_{sensing}_N{baseline.replace('.', '')}_R024_T{tile}_"
            f"{sensing[:8]}T164021.SAFE")
    safe = root / name
    granule = f"L2A_T{tile}_A030474_{sensing}"
    files = []
    for band, res in _S2_RES.items():
        if band in missing:
            continue
        rel = f"GRANULE/{granule}/IMG_DATA/R{res}m/T{tile}_{sensing}_{band}_{res}m.jp2"
        n = max(1, size * 10 // res) if res > 10 else size
        write_raster(safe / rel, size=n, res=float(res) if res > 10 else 10.0,
                     dtype="uint8" if band == "SCL" else "uint16", driver="JP2OpenJPEG")
        files.append(rel[:-4])
    offsets = "".join(
        f'<BOA_ADD_OFFSET band_id="{i}">-1000</BOA_ADD_OFFSET>' for i in range(13)
    ) if float(baseline) >= 4 else ""
    image_files = "".join(f"<IMAGE_FILE>{f}</IMAGE_FILE>" for f in files)
    mtd = f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
<n1:General_Info><Product_Info>
<PRODUCT_START_TIME>{sensing[:4]}-{sensing[4:6]}-{sensing[6:8]}T{sensing[9:11]}:{sensing[11:13]}:{sensing[13:15]}.024Z</PRODUCT_START_TIME>
<PRODUCT_URI>{name}</PRODUCT_URI><PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>
<PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE><PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
<Datatake datatakeIdentifier="GS2{spacecraft}_{sensing}_030474_N{baseline}">
<SPACECRAFT_NAME>Sentinel-2{spacecraft}</SPACECRAFT_NAME>
<SENSING_ORBIT_NUMBER>24</SENSING_ORBIT_NUMBER><SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
</Datatake>
<Product_Organisation><Granule_List><Granule granuleIdentifier="{granule}" imageFormat="JPEG2000">
{image_files}</Granule></Granule_List></Product_Organisation>
</Product_Info>
<Product_Image_Characteristics>
<QUANTIFICATION_VALUES_LIST><BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
<AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE></QUANTIFICATION_VALUES_LIST>
<BOA_ADD_OFFSET_VALUES_LIST>{offsets}</BOA_ADD_OFFSET_VALUES_LIST>
</Product_Image_Characteristics>
</n1:General_Info>
<n1:Quality_Indicators_Info><Cloud_Coverage_Assessment>{cloud}</Cloud_Coverage_Assessment></n1:Quality_Indicators_Info>
</n1:Level-2A_User_Product>
"""
    (safe / "MTD_MSIL2A.xml").write_text(mtd)
    (safe / "GRANULE" / granule / "MTD_TL.xml").write_text("<n1:Level-2A_Tile_ID/>")
    return _archive(safe, "zip") if archive else safe


def make_s2_cogs(root, *, item_id="S2B_21KUP_20230105_0_L2A", with_json=True,
                 baseline="05.09", size=6) -> Path:
    """An Earth Search style folder ``item_id/`` with ``B01.tif`` ... ``SCL.tif`` and, with
    ``with_json``, the provider's Item JSON whose hrefs point at the cloud bucket."""
    folder = Path(root) / item_id
    assets = {}
    keys = {"B01": "coastal", "B02": "blue", "B03": "green", "B04": "red", "B05": "rededge1",
            "B06": "rededge2", "B07": "rededge3", "B08": "nir", "B8A": "nir08", "B09": "nir09",
            "B11": "swir16", "B12": "swir22", "SCL": "scl"}
    for band, res in _S2_RES.items():
        n = max(1, size * 10 // res) if res > 10 else size
        write_raster(folder / f"{band}.tif", size=n, res=float(max(res, 10)), nodata=0,
                     dtype="uint8" if band == "SCL" else "uint16")
        assets[keys[band]] = {
            "href": f"https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/21/K/UP/2023/1/{item_id}/{band}.tif",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "raster:bands": [{"nodata": 0, "data_type": "uint16", "scale": 0.0001,
                              "offset": -0.1}] if band != "SCL" else [{"nodata": 0}],
        }
    if with_json:
        doc = {
            "type": "Feature", "stac_version": "1.0.0", "id": item_id,
            "stac_extensions": ["https://stac-extensions.github.io/eo/v1.0.0/schema.json",
                                "https://stac-extensions.github.io/mgrs/v1.0.0/schema.json"],
            "geometry": {"type": "Polygon", "coordinates": [[[-57, -20], [-56, -20], [-56, -19],
                                                             [-57, -19], [-57, -20]]]},
            "bbox": [-57, -20, -56, -19],
            "properties": {"datetime": "2023-01-05T13:58:09.123000Z", "platform": "sentinel-2b",
                           "constellation": "sentinel-2", "instruments": ["msi"],
                           "eo:cloud_cover": 3.25, "s2:processing_baseline": baseline,
                           "mgrs:utm_zone": 21, "mgrs:latitude_band": "K",
                           "mgrs:grid_square": "UP", "proj:epsg": 32721},
            "links": [], "assets": assets, "collection": "sentinel-2-l2a",
        }
        (folder / f"{item_id}.json").write_text(json.dumps(doc))
    return folder


# ---------------------------------------------------------------------------------------------
# Landsat

_LC08_BANDS = ["SR_B1", "SR_B2", "SR_B3", "SR_B4", "SR_B5", "SR_B6", "SR_B7", "ST_B10", "QA_PIXEL"]


def make_landsat_c2l2(root, *, product_id="LC08_L2SP_232066_20230105_20230110_02_T1",
                      mtl="txt", archive=False, missing=(), size=6) -> Path:
    """A Landsat 8 C2 L2 product: per-band GeoTIFFs and an MTL (``txt``, ``xml`` or ``json``).
    Returns the MTL path, or the ``.tar`` with ``archive``. ``missing`` drops files
    (e.g. ``("SR_B4",)``) that the MTL still references."""
    folder = Path(root) / product_id
    contents = {"LANDSAT_PRODUCT_ID": product_id, "PROCESSING_LEVEL": "L2SP",
                "COLLECTION_NUMBER": "02", "COLLECTION_CATEGORY": "T1"}
    for b in _LC08_BANDS:
        fname = f"{product_id}_{b}.TIF"
        key = {"QA_PIXEL": "QUALITY_L1_PIXEL", "ST_B10": "BAND_ST_B10"}.get(b, "BAND_" + b[-1])
        contents[f"FILE_NAME_{key}"] = fname
        if b not in missing:
            write_raster(folder / fname, size=size, res=30.0, nodata=None if b == "QA_PIXEL" else 0)
    groups = {
        "PRODUCT_CONTENTS": contents,
        "IMAGE_ATTRIBUTES": {"SPACECRAFT_ID": "LANDSAT_8", "SENSOR_ID": "OLI_TIRS",
                             "WRS_PATH": "232", "WRS_ROW": "066", "DATE_ACQUIRED": "2023-01-05",
                             "SCENE_CENTER_TIME": "13:45:12.1234560Z", "CLOUD_COVER": "17.42",
                             "CLOUD_COVER_LAND": "18.01", "SUN_AZIMUTH": "100.5",
                             "SUN_ELEVATION": "60.25"},
        "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS": {
            **{f"REFLECTANCE_MULT_BAND_{i}": "2.75E-05" for i in range(1, 8)},
            **{f"REFLECTANCE_ADD_BAND_{i}": "-0.200000" for i in range(1, 8)}},
        "LEVEL2_SURFACE_TEMPERATURE_PARAMETERS": {"TEMPERATURE_MULT_BAND_ST_B10": "0.00341802",
                                                  "TEMPERATURE_ADD_BAND_ST_B10": "149.000000"},
    }
    path = folder / f"{product_id}_MTL.{mtl}"
    if mtl == "json":
        path.write_text(json.dumps({"LANDSAT_METADATA_FILE": groups}, indent=1))
    elif mtl == "xml":
        body = "".join(
            f"<{g}>" + "".join(f"<{k}>{v}</{k}>" for k, v in kv.items()) + f"</{g}>"
            for g, kv in groups.items())
        path.write_text(f'<?xml version="1.0"?>\n<LANDSAT_METADATA_FILE>{body}</LANDSAT_METADATA_FILE>\n')
    else:
        lines = ["GROUP = LANDSAT_METADATA_FILE"]
        for g, kv in groups.items():
            lines.append(f"  GROUP = {g}")
            for k, v in kv.items():
                quoted = f'"{v}"' if k.startswith(("FILE_NAME", "LANDSAT", "SPACECRAFT", "SENSOR",
                                                   "SCENE_CENTER", "COLLECTION_CAT")) else v
                lines.append(f"    {k} = {quoted}")
            lines.append(f"  END_GROUP = {g}")
        lines += ["END_GROUP = LANDSAT_METADATA_FILE", "END", ""]
        path.write_text("\n".join(lines))
    return _archive(folder, "tar") if archive else path


# ---------------------------------------------------------------------------------------------
# IRS, CBERS, drone


def make_irs_product(root, *, metadata="xml", sensor="LISS-III", satellite="Resourcesat-2",
                     date_of_pass="16Feb19", name="L3_SAT_10B_V1_75.75E22.5N_F43J14_16Feb19",
                     size=6) -> Path:
    """An NRSC product folder: ``BAND2.tif``.. in EPSG:4326 and the metadata XML (Bhuvan ortho
    tile layout) or a ``BAND_META.txt`` text (``metadata="meta"``)."""
    folder = Path(root) / name
    bands = (2, 3, 4) if sensor.upper() in ("LISS-IV", "LISS4", "L4") else (2, 3, 4, 5)
    for b in bands:
        write_raster(folder / f"BAND{b}.tif", size=size, res=0.000225, crs="EPSG:4326",
                     x0=75.75, y0=22.75)
    if metadata == "xml":
        (folder / "L3-NF43J14-096-056-16Feb19.xml").write_text(
            f"""<metadata tileno="L3-F43J14-096-056-16Feb19">
<Data_Identification_Information><Name_of_the_Dataset>{name}</Name_of_the_Dataset>
</Data_Identification_Information>
<Citation><Lineage><Tile_Name>F43J14</Tile_Name></Lineage></Citation>
<For_Image_Data><Name_of_the_Satellite>{satellite}</Name_of_the_Satellite><Sensor>{sensor}</Sensor>
<Path>096</Path><Row>056</Row><Date_of_Pass>{date_of_pass}</Date_of_Pass>
<Number_of_Bands>{len(bands)}</Number_of_Bands></For_Image_Data></metadata>
""")
    else:
        (folder / "BAND_META.txt").write_text(
            f"ProductID = {name}\nSatID = {satellite}\nSensor = {sensor}\nPath = 96\nRow = 56\n"
            f"DateOfPass = {date_of_pass}\nSceneCenterTime = 05:31:12.5\n")
    return folder


def make_cbers_product(root, *, satellite="4", camera="AWFI", date="20180101", path=157,
                       row=123, bands=(13, 14, 15, 16), size=6) -> Path:
    """INPE per-band GeoTIFFs ``CBERS_4_AWFI_20180101_157_123_L4_BAND13.tif``... + XML each."""
    folder = Path(root) / f"CBERS_{satellite}_{camera}_{date}_{path:03d}_{row:03d}_L4"
    for b in bands:
        stem = f"{folder.name}_BAND{b}"
        write_raster(folder / f"{stem}.tif", size=size, res=64.0, crs="EPSG:32723",
                     x0=300000.0, y0=8500000.0)
        (folder / f"{stem}.xml").write_text(f"<prdf><image><band>{b}</band></image></prdf>")
    return folder


def make_drone_ortho(path, *, tags=None, res=0.05, count=3) -> Path:
    """A drone RGB orthomosaic (uint8, 5 cm pixels by default) with DJI/ODM-like tags."""
    tags = {"TIFFTAG_SOFTWARE": "OpenDroneMap", "TIFFTAG_DATETIME": "2023:03:04 11:22:33"} \
        if tags is None else tags
    return write_raster(path, count=count, res=res, dtype="uint8", tags=tags,
                        photometric="RGB" if count == 3 else None)


def make_stac_item_json(path, *, item_id="local-item", asset_href="data.tif", collection=False,
                        n=2, valid=True) -> Path:
    """A STAC Item (or an ItemCollection of ``n`` items) JSON with a relative asset href;
    ``valid=False`` writes an Item whose geometry is broken."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def item(i):
        return {
            "type": "Feature", "stac_version": "1.0.0", "id": f"{item_id}-{i}" if collection else item_id,
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
            if valid else {"type": "Polygon", "coordinates": "oops"},
            "bbox": [0, 0, 1, 1], "properties": {"datetime": "2023-01-05T00:00:00Z"},
            "links": [], "assets": {"data": {"href": asset_href, "type": "image/tiff"}},
        }

    doc = {"type": "FeatureCollection", "features": [item(i) for i in range(n)]} if collection \
        else item(0)
    path.write_text(json.dumps(doc))
    return path


# ---------------------------------------------------------------------------------------------
# Bad inputs


def make_bad_inputs(root) -> dict[str, Path]:
    """Files each reader must reject with a one-line InputError naming them. Returns
    name -> path for: truncated, corrupt, no_crs, no_georef, unknown, invalid_json,
    invalid_stac, safe_missing_band, landsat_missing_file."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    good = write_raster(root / "_good.tif", size=64, dtype="float32")
    data = good.read_bytes()
    good.unlink()
    header_end = 400 if data[:4] == b"II*\x00" else 0
    (root / "truncated_20230105.tif").write_bytes(data[: max(header_end, len(data) // 3)])
    out["truncated"] = root / "truncated_20230105.tif"
    rng = np.random.default_rng(0)
    (root / "corrupt_20230105.tif").write_bytes(b"II*\x00" + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    out["corrupt"] = root / "corrupt_20230105.tif"
    out["no_crs"] = write_raster(root / "nocrs_20230105.tif", crs=None,
                                 transform=Affine(10, 0, 5, 0, -10, 50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rasterio's NotGeoreferencedWarning is the point here
        out["no_georef"] = write_raster(root / "nogeoref_20230105.tif", transform=Affine.identity())
    (root / "notes.xyz").write_text("not a product")
    out["unknown"] = root / "notes.xyz"
    (root / "broken.json").write_text('{"type": "Feature", "stac_version": ')
    out["invalid_json"] = root / "broken.json"
    out["invalid_stac"] = make_stac_item_json(root / "invalid_item.json", valid=False)
    out["safe_missing_band"] = make_s2_safe(root / "safe", missing=("B04",))
    out["landsat_missing_file"] = make_landsat_c2l2(root / "landsat", missing=("SR_B4",))
    return out


def check_item(item) -> dict:
    """Assert the invariants every reader's Item keeps; return its dict.

    Core STAC schema (offline), ``yvy:format``, a datetime or a start/end pair, projection fields
    on every raster asset, one band entry per raster band in ``bands``, ``eo:bands`` and
    ``raster:bands``, bbox covering the geometry, and a lossless dict round trip.
    """
    import pystac
    from shapely.geometry import box, shape

    from yvy.catalog.items import validate_item

    validate_item(item)
    d = item.to_dict(include_self_link=False)
    props = d["properties"]
    assert props.get("yvy:format"), "yvy:format missing"
    assert props.get("datetime") or (props.get("start_datetime") and props.get("end_datetime"))
    for key, asset in d["assets"].items():
        if "bands" not in asset:
            continue
        assert "proj:shape" in asset and "proj:transform" in asset, key
        assert ("proj:code" in asset or "proj:code" in props), key
        n = len(asset["bands"])
        assert n == len(asset["eo:bands"]) == len(asset["raster:bands"]) >= 1, key
        assert all("data_type" in b for b in asset["bands"]), key
    geom = shape(d["geometry"])
    assert box(*d["bbox"]).buffer(1e-9).contains(geom)
    again = pystac.Item.from_dict(d).to_dict(include_self_link=False)
    assert again == d
    return d
