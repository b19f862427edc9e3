"""`yvy ingest` end to end: good inputs land, bad ones are reported on one line each, the
catalog is unchanged for them, a summary counts both, `--strict` stops at the first error."""

from __future__ import annotations

import json
import zipfile

import pytest
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.testing.products import make_bad_inputs, make_landsat_c2l2, make_s2_cogs, make_s2_safe


def run(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), *args])


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "ws"
    assert run(h, "init").exit_code == 0
    return h


def scenes(home):
    return json.loads(run(home, "scenes", "--json").output)["features"]


def test_mixed_good_and_bad(home, tmp_path):
    good1 = make_s2_cogs(tmp_path / "in")
    good2 = make_landsat_c2l2(tmp_path / "in2")
    bad = make_bad_inputs(tmp_path / "bad")
    args = [str(good1), str(good2)] + [str(p) for p in bad.values()]
    r = run(home, "ingest", *args)
    assert r.exit_code == 1
    errors = [ln for ln in r.output.splitlines() if ln.startswith("error: ")]
    assert len(errors) == len(bad)
    for name, path in bad.items():
        assert any(path.name in ln for ln in errors), (name, r.output)
    assert f"2 ítem(s) ingeridos (2 nuevos, 0 actualizados), {len(bad)} fallidos" in r.output
    ids = {f["id"] for f in scenes(home)}
    assert len(ids) == 2


def test_same_scene_twice_is_one_item(home, tmp_path):
    safe = make_s2_safe(tmp_path / "in")
    assert run(home, "ingest", str(safe)).exit_code == 0
    r = run(home, "ingest", str(safe))
    assert r.exit_code == 0 and "(0 nuevos, 1 actualizados)" in r.output
    assert len(scenes(home)) == 1


def test_zip_archive_referenced_in_place_and_copy(home, tmp_path):
    z = make_s2_safe(tmp_path / "in", archive="zip")
    assert str(z).endswith(".zip")
    assert run(home, "ingest", str(z)).exit_code == 0
    (item,) = scenes(home)
    href = item["assets"]["red"]["href"]
    assert href.startswith("/vsizip/") and str(z) in href
    r = run(home, "ingest", "--copy", str(z))
    assert r.exit_code == 0, r.output
    (item,) = scenes(home)
    href = item["assets"]["red"]["href"]
    assert href.startswith(str(home)) and (home / href.split(str(home) + "/")[1]).exists()


def test_unreadable_archive(home, tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    r = run(home, "ingest", str(bad))
    assert r.exit_code == 1
    assert "broken.zip" in r.output and "archive" in r.output
    assert scenes(home) == []


def test_strict_stops_at_first_error(home, tmp_path):
    bad = make_bad_inputs(tmp_path / "bad")
    good = make_s2_cogs(tmp_path / "in")
    r = run(home, "ingest", "--strict", str(bad["corrupt"]), str(good))
    assert r.exit_code == 1
    assert "corrupt_20230105.tif" in r.output
    assert len([ln for ln in r.output.splitlines() if ln.strip()]) == 1


def test_corrupt_member_in_zip_leaves_catalog_unchanged(home, tmp_path):
    good = make_s2_cogs(tmp_path / "in")
    assert run(home, "ingest", str(good)).exit_code == 0
    before = scenes(home)
    z = tmp_path / "bad.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("scene_20230301.tif", b"II*\x00garbage" * 10)
    r = run(home, "ingest", str(z))
    assert r.exit_code == 1 and "scene_20230301.tif" in r.output
    assert scenes(home) == before


def test_real_rasters_ingest(home, yvy_data):
    r = run(home, "ingest", str(yvy_data / "rasters"), str(yvy_data / "irs"))
    assert r.exit_code == 0, r.output
    feats = scenes(home)
    by_id = {f["id"].rsplit("-", 1)[0]: f for f in feats if f["collection"] == "geotiff"}
    sinop = by_id["sits_modis_mod13q1_ndvi_sinop_2013_2014"]
    assert sinop["properties"].get("proj:code") is None and "proj:wkt2" in json.dumps(sinop)
    assert len(sinop["properties"]["yvy:stack_dates"]) == 12
    cbers = [f for f in feats if f["collection"] == "cbers-4-awfi"]
    assert cbers and "EPSG:10857" in json.dumps(cbers[0])
    irs = [f for f in feats if f["collection"].startswith("irs-")]
    assert irs and irs[0]["properties"]["datetime"].startswith("2019-02-16")
