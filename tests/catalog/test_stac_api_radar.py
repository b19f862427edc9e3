"""`sentinel-1-rtc` / `sentinel-1-grd` items from a STAC API (served on loopback) map to
polarisation assets and a unit, as the radar cube needs them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from yvy.catalog.formats.radar import annotate_radar_item, radar_band
from yvy.cli.main import cli
from yvy.errors import InputError

from ..stac_api_server import LoopbackServer, make_app

_GEOM = {"type": "Polygon", "coordinates": [[[-60.5, -22.5], [-60.4, -22.5], [-60.4, -22.4],
                                             [-60.5, -22.4], [-60.5, -22.5]]]}


def _s1_item(collection: str, iid: str, pols=("VV", "VH")) -> dict:
    """An item shaped as the Planetary Computer publishes sentinel-1-rtc / -grd items."""
    assets = {p.lower(): {"href": "{BASE}/files/" + f"{iid}_{p}.tif", "roles": ["data"],
                          "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                          "raster:bands": [{"nodata": -32768, "data_type": "float32"}]}
              for p in pols}
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": iid, "collection": collection,
        "bbox": [-60.5, -22.5, -60.4, -22.4], "geometry": _GEOM, "links": [],
        "stac_extensions": ["https://stac-extensions.github.io/sar/v1.0.0/schema.json",
                            "https://stac-extensions.github.io/sat/v1.0.0/schema.json"],
        "properties": {
            "datetime": "2024-01-05T09:50:00Z", "platform": "SENTINEL-1A",
            "sar:instrument_mode": "IW", "sar:frequency_band": "C",
            "sar:polarizations": list(pols), "sar:product_type": "GRD",
            "sat:orbit_state": "descending", "sat:relative_orbit": 141,
        },
        "assets": assets,
    }


@pytest.fixture
def api_root(tmp_path):
    root = tmp_path / "api"
    for sub in ("collections", "items", "files"):
        (root / sub).mkdir(parents=True)
    for cid in ("sentinel-1-rtc", "sentinel-1-grd"):
        coll = {"type": "Collection", "id": cid, "stac_version": "1.0.0", "description": cid,
                "license": "proprietary", "links": [],
                "extent": {"spatial": {"bbox": [[-61, -23, -60, -22]]},
                           "temporal": {"interval": [["2024-01-01T00:00:00Z", None]]}}}
        (root / "collections" / f"{cid}.json").write_text(json.dumps(coll))
        iid = f"S1A_IW_GRDH_1SDV_20240105T095000_{cid[-3:]}"
        (root / "items" / f"{iid}.json").write_text(json.dumps(_s1_item(cid, iid)))
    return root


def _run(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def test_rtc_and_grd_items_keep_sar_and_get_units(tmp_path, api_root):
    home = tmp_path / "ws"
    assert _run(home, "init").exit_code == 0
    with LoopbackServer(lambda base: make_app(api_root, base)) as srv:
        for cid in ("sentinel-1-rtc", "sentinel-1-grd"):
            r = _run(home, "ingest", "--stac-api", srv.base, "--collection", cid)
            assert r.exit_code == 0, r.output
    fc = json.loads(_run(home, "scenes", "--json").output)
    by_coll = {f["collection"]: f for f in fc["features"]}
    rtc, grd = by_coll["sentinel-1-rtc"], by_coll["sentinel-1-grd"]
    assert rtc["properties"]["sar:polarizations"] == ["VV", "VH"]
    assert rtc["properties"]["sat:relative_orbit"] == 141
    assert rtc["properties"]["yvy:units"] == "linear" and grd["properties"]["yvy:units"] == "dn"
    assert radar_band(rtc, "VH") == ("vh", "linear")
    assert radar_band(grd, "vv") == ("vv", "dn")


def test_missing_polarisation_and_unknown_unit():
    item = _s1_item("someone-elses-s1", "x", pols=("VV",))
    with pytest.raises(InputError, match=r"^x: no VH polarisation \(the product has VV\)$"):
        radar_band(item, "VH")
    with pytest.raises(InputError, match=r"^x: backscatter unit unknown; give the units \(db or linear\)$"):
        radar_band(item, "VV")
    assert radar_band(item, "VV", forced_units="db") == ("vv", "dB")
    assert annotate_radar_item(item) is item  # unknown collection: left alone
