"""Bad radar input: one line ``subject: problem`` naming the input, nothing half-written.

Real products from the shared data are copied and damaged here (a polarisation removed, the
calibration deleted, an XML truncated); the failures must name the product or file.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.registry import read_items
from yvy.cli.main import cli
from yvy.cube.radar import orbit_labels, require_single_orbit
from yvy.errors import InputError
from yvy.testing.radar import HYP3_STEM, make_hyp3_rtc, write_stack

GRD = "products/sentinel1/stactools-packages__sentinel1/tests/data-files/grd/"
IW = GRD + "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE"
EW_AWS = GRD + "S1A_EW_GRDM_1SDH_20221130T014342_20221130T014446_046117_058549_BB15"
OPERA_CROP = "products/opera/opera-adt__dist-s1/tests/test_data/cropped/10SGD/137/2022-11-14"
OPERA_ISO = "products/opera/ASFHyP3__hyp3-OPERA-RTC/tests/data/opera_v1.0.iso.xml"
EQUI7_DIR = "sar/s1_sig0_equi7_eu/V1M0R1/EQUI7_EU020M/E051N018T3"
NO_SUM = IngestOptions(checksum=False)


def _fails(paths, pattern, options=NO_SUM) -> str:
    with pytest.raises(InputError, match=pattern) as exc:
        read_items(paths, options)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


@pytest.fixture
def iw_copy(data_file, tmp_path):
    safe = tmp_path / data_file(IW).name
    shutil.copytree(data_file(IW), safe)
    return safe


def test_grd_missing_polarisation(iw_copy):
    next((iw_copy / "measurement").glob("*-vh-*.tiff")).unlink()
    msg = _fails([iw_copy], "polarisation VH is listed in manifest.safe but measurement/")
    assert msg.startswith(str(iw_copy))


def test_grd_without_calibration(iw_copy):
    next((iw_copy / "annotation" / "calibration").glob("calibration-*-vv-*.xml")).unlink()
    msg = _fails([iw_copy], "no calibration data for VV .* cannot be calibrated without it")
    assert msg.startswith(str(iw_copy))


def test_real_aws_product_without_annotation_is_refused(data_file):
    # the staged EW GRDM has manifest.safe and productInfo.json only
    _fails([data_file(EW_AWS)], "polarisation HH is listed in manifest.safe but measurement/ew-hh")


@pytest.mark.parametrize("which", ["calibration", "manifest"])
def test_truncated_xml(iw_copy, which):
    if which == "manifest":
        target = iw_copy / "manifest.safe"
    else:
        target = next((iw_copy / "annotation" / "calibration").glob("calibration-*-vh-*.xml"))
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    msg = _fails([iw_copy], "truncated or invalid XML")
    assert msg.startswith(str(target))


def test_calibration_vector_length_mismatch(iw_copy):
    target = next((iw_copy / "annotation" / "calibration").glob("calibration-*-vv-*.xml"))
    text = target.read_text()
    start = text.index("<sigmaNought")
    end = text.index("</sigmaNought>", start)
    body = text[start:end].rsplit(" ", 1)[0]  # drop the last value of the first vector
    target.write_text(text[:start] + body + text[end:])
    _fails([iw_copy], "sigmaNought has not one value per pixel")


def test_opera_missing_polarisation(data_file, tmp_path):
    stem = "OPERA_L2_RTC-S1_T137-292318-IW1_20221114T015900Z_20250222T234616Z_S1A_30_v1.0"
    shutil.copy(data_file(OPERA_CROP) / f"{stem}_VV.tif", tmp_path)
    iso = data_file(OPERA_ISO).read_text().replace('["VV"]', '["VV", "VH"]')
    (tmp_path / f"{stem}.iso.xml").write_text(iso)
    _fails([tmp_path], f"polarisation VH is listed in the ISO metadata but {stem}_VH.tif is missing")


def test_hyp3_missing_polarisation(tmp_path):
    zipped = make_hyp3_rtc(tmp_path, pols=("VV",))
    msg = _fails([zipped], f"polarisation type DV needs {HYP3_STEM}_VH.tif, which is missing")
    assert msg.startswith(str(zipped))


def test_unknown_units_ask_for_the_option(tmp_path):
    data = np.full((2, 8, 8), 40.0, "float32")  # positive and > 3: neither rule decides
    path = write_stack(tmp_path / "s1_vv_stack.tif", data, dates=["2020-01-01", "2020-01-13"])
    _fails([path], r"s1_vv_stack.tif: cannot tell dB from linear backscatter \(values 40..40\); "
                   r"give the units \(db or linear\)$")


def test_cli_unknown_units_exit_1_nothing_registered(tmp_path):
    data = np.full((2, 8, 8), 40.0, "float32")
    path = write_stack(tmp_path / "in" / "s1_vv_stack.tif", data,
                       dates=["2020-01-01", "2020-01-13"])
    home = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["--home", str(home), "init"]).exit_code == 0
    r = runner.invoke(cli, ["--lang", "en", "--home", str(home), "ingest", str(path)])
    assert r.exit_code == 1
    assert "cannot tell dB from linear" in r.output and "give the units (db or linear)" in r.output
    fc = json.loads(runner.invoke(cli, ["--home", str(home), "scenes", "--json"]).output)
    assert fc["features"] == []
    r = runner.invoke(cli, ["--home", str(home), "ingest", str(path), "--units", "db"])
    assert r.exit_code == 0, r.output
    fc = json.loads(runner.invoke(cli, ["--home", str(home), "scenes", "--json"]).output)
    assert [f["properties"]["yvy:units"] for f in fc["features"]] == ["dB"]


def test_mixed_orbits_in_a_stack(data_file, tmp_path):
    real = sorted(data_file(EQUI7_DIR).glob("SIG0_202103*.tif"))[:2]
    shutil.copy(real[0], tmp_path)
    # the same tile seen from an ascending track (name changed: a second geometry)
    other = real[1].name.replace("_D095_", "_A044_")
    shutil.copy(real[1], tmp_path / other)
    items = [i.to_dict() for i in read_items([tmp_path], NO_SUM)]
    labels = orbit_labels(items)
    assert sorted(labels) == [("ascending", 44), ("descending", 95)]
    with pytest.raises(InputError, match=r"^E051N018T3 VH: mixes 2 orbits \(.*\); ascending "
                                         "and descending passes are not comparable raw"):
        require_single_orbit(labels, "E051N018T3 VH")
    assert require_single_orbit(labels[:1], "one") == labels[0]
