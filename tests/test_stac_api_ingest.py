"""`yvy ingest --stac-api` against a STAC API served on loopback from local files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

from yvy.cli.main import cli

from .stac_api_server import LoopbackServer, make_app

N_ITEMS = 7


def _write_cog(path: Path, value: int) -> None:
    data = (np.arange(64 * 64, dtype="uint16").reshape(64, 64) % 500 + value).astype("uint16")
    prof = dict(driver="COG", width=64, height=64, count=1, dtype="uint16", crs="EPSG:32720",
                transform=from_origin(600000, 7560000, 10, 10), compress="deflate", nodata=0)
    with rasterio.open(path, "w", **prof) as ds:
        ds.write(data, 1)


@pytest.fixture
def api_root(tmp_path):
    root = tmp_path / "api"
    for sub in ("collections", "items", "files"):
        (root / sub).mkdir(parents=True)
    coll = {
        "type": "Collection", "id": "sentinel-2-l2a", "stac_version": "1.0.0",
        "description": "test S2", "license": "proprietary", "links": [],
        "extent": {"spatial": {"bbox": [[-61, -23, -60, -22]]},
                   "temporal": {"interval": [["2024-01-01T00:00:00Z", None]]}},
    }
    (root / "collections" / "s2.json").write_text(json.dumps(coll))
    for i in range(N_ITEMS):
        iid = f"S2A_20KQA_202401{i + 1:02d}_0_L2A"
        for band in ("red", "nir"):
            _write_cog(root / "files" / f"{iid}_{band}.tif", 1000 + 10 * i)
        item = {
            "type": "Feature", "stac_version": "1.0.0", "id": iid, "collection": "sentinel-2-l2a",
            "bbox": [-60.5, -22.5, -60.4, -22.4],
            "geometry": {"type": "Polygon", "coordinates": [[[-60.5, -22.5], [-60.4, -22.5], [-60.4, -22.4],
                                                             [-60.5, -22.4], [-60.5, -22.5]]]},
            "properties": {"datetime": f"2024-01-{i + 1:02d}T14:00:00Z", "eo:cloud_cover": 10.0 * i},
            "links": [],
            "assets": {
                band: {"href": "{BASE}/files/" + f"{iid}_{band}.tif",
                       "type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": ["data"]}
                for band in ("red", "nir")
            } | {"thumbnail": {"href": "{BASE}/files/none.png", "roles": ["thumbnail"]}},
        }
        (root / "items" / f"{iid}.json").write_text(json.dumps(item))
    return root


def _run(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def test_register_search_filters(tmp_path, api_root):
    home = tmp_path / "ws"
    assert _run(home, "init").exit_code == 0
    with LoopbackServer(lambda base: make_app(api_root, base)) as srv:
        r = _run(home, "ingest", "--stac-api", srv.base, "--collection", "sentinel-2-l2a",
                 "--bbox", "-61,-23,-60,-22", "--datetime", "2024-01-02/2024-01-06", "--max-cloud", "40")
        assert r.exit_code == 0, r.output
    r = _run(home, "scenes", "--json")
    fc = json.loads(r.output)
    ids = sorted(f["id"] for f in fc["features"])
    # dates 2..6 -> i = 1..5, cloud 10*i <= 40 -> i = 1..4
    assert ids == [f"S2A_20KQA_202401{i + 1:02d}_0_L2A" for i in range(1, 5)]
    # remote hrefs are kept when not downloading
    assert fc["features"][0]["assets"]["red"]["href"].startswith("http://127.0.0.1:")
    import pystac

    pystac.ItemCollection.from_dict(fc)


def test_limit_and_paging(tmp_path, api_root):
    home = tmp_path / "ws"
    _run(home, "init")
    with LoopbackServer(lambda base: make_app(api_root, base)) as srv:
        r = _run(home, "ingest", "--stac-api", srv.base, "--collection", "sentinel-2-l2a", "--limit", "6")
        assert r.exit_code == 0, r.output
    fc = json.loads(_run(home, "scenes", "--json").output)
    assert len(fc["features"]) == 6


def test_download_resumes_after_dropped_connection(tmp_path, api_root):
    home = tmp_path / "ws"
    _run(home, "init")
    with LoopbackServer(lambda base: make_app(api_root, base, flaky_bytes=700)) as srv:
        r = _run(home, "ingest", "--stac-api", srv.base, "--collection", "sentinel-2-l2a",
                 "--datetime", "2024-01-01/2024-01-02", "--download")
        assert r.exit_code == 0, r.output
    fc = json.loads(_run(home, "scenes", "--json").output)
    assert len(fc["features"]) == 2
    for feat in fc["features"]:
        for key in ("red", "nir"):
            a = feat["assets"][key]
            local = Path(a["href"])
            assert local.exists() and str(local).startswith(str(home))
            src = api_root / "files" / f"{feat['id']}_{key}.tif"
            assert local.read_bytes() == src.read_bytes()
            assert a["file:checksum"] == "1220" + hashlib.sha256(src.read_bytes()).hexdigest()
            with rasterio.open(local) as ds:
                assert ds.read(1).shape == (64, 64)
        assert "thumbnail" in feat["assets"] and feat["assets"]["thumbnail"]["href"].startswith("http")


def test_unreachable_api_is_one_line_error(tmp_path):
    home = tmp_path / "ws"
    _run(home, "init")
    from .stac_api_server import free_port

    r = CliRunner().invoke(cli, ["--home", str(home), "ingest", "--stac-api",
                                 f"http://127.0.0.1:{free_port()}", "--collection", "x"])
    assert r.exit_code == 1
    assert len(r.output.strip().splitlines()) == 1 and "127.0.0.1" in r.output
