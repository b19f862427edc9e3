"""`yvy calibrate`: a window of the real S1C stripmap GRD, calibrated, geocoded, ingested."""

from __future__ import annotations

import json
import shutil

import numpy as np
from click.testing import CliRunner

from yvy.catalog.formats.sentinel1_calib import radar_geometry
from yvy.cli.main import cli

SM = ("products/sentinel1/stactools-packages__sentinel1/tests/data-files/grd/"
      "S1C_S4_GRDH_1SDH_20250118T171404_20250118T171421_000638_000538_4B8B.SAFE")


def test_calibrate_window_and_ingest(data_file, tmp_path):
    import rasterio
    from rasterio.windows import Window

    safe = tmp_path / data_file(SM).name
    shutil.copytree(data_file(SM), safe)
    for meas in (safe / "measurement").glob("*.tiff"):
        with radar_geometry(), rasterio.open(meas, "w", driver="GTiff", width=8087,
                                             height=11524, count=1, dtype="uint16", tiled=True,
                                             sparse_ok=True, nodata=0) as ds:
            ds.write(np.full((128, 128), 250, "uint16"), 1, window=Window(3000, 6000, 128, 128))
    home = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["--home", str(home), "init"]).exit_code == 0
    r = runner.invoke(cli, ["--home", str(home), "calibrate", str(safe), "--quantity", "gamma0",
                            "--window", "6000,3000,128,128", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [p.rsplit("_", 2)[-2:] for p in out["outputs"]] == [["HH", "gamma0.tif"],
                                                               ["HV", "gamma0.tif"]]
    assert len(out["ingested"]) == 2
    fc = json.loads(runner.invoke(cli, ["--home", str(home), "scenes", "--json"]).output)
    [one, two] = fc["features"]
    assert {one["collection"], two["collection"]} == {"sentinel-1-grd-gamma0"}
    assert one["properties"]["sat:relative_orbit"] == 15
    assert sorted(f["properties"]["sar:polarizations"][0] for f in fc["features"]) == ["HH", "HV"]


def test_calibrate_bad_window_and_missing_calibration(data_file, tmp_path):
    safe = tmp_path / data_file(SM).name
    shutil.copytree(data_file(SM), safe)
    runner = CliRunner()
    home = tmp_path / "ws"
    runner.invoke(cli, ["--home", str(home), "init"])
    r = runner.invoke(cli, ["--lang", "en", "--home", str(home), "calibrate", str(safe), "--window", "1,2,3"])
    assert r.exit_code == 2 and "ROW,COL,HEIGHT,WIDTH" in r.output
    next((safe / "annotation" / "calibration").glob("calibration-*-hv-*.xml")).unlink()
    r = runner.invoke(cli, ["--lang", "en", "--home", str(home), "calibrate", str(safe)])
    assert r.exit_code == 1
    assert len(r.output.strip().splitlines()) == 1 and "no calibration data for HV" in r.output
    assert not (home / "assets" / "calibrated").exists() or \
        not any((home / "assets" / "calibrated").rglob("*.tif"))
