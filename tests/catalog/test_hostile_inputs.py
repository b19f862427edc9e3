"""Inputs that used to hang, crash or escape: FIFOs named .tif, names that are not UTF-8, folders
with symbolic-link loops, STAC JSON nested very deep, item ids that are paths, a --copy killed
half way."""

from __future__ import annotations

import json
import os
import shutil

from click.testing import CliRunner

from yvy.cli.main import cli


def _run(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def test_fifo_loop_and_bad_names_are_one_line_errors(tmp_path, data_file):
    home = tmp_path / "ws"
    _run(home, "init")
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    os.symlink(src, src / "sub" / "back")  # a loop
    os.mkfifo(src / "pipe.tif")
    shutil.copy(data_file("rasters/bfast_modis_ndvi_somalia_2000_2012.tif"), os.fsencode(src) + b"/caf\xe9.tif")
    shutil.copy(data_file("rasters/bfast_modis_ndvi_somalia_2000_2012.tif"), src / "good.tif")
    r = _run(home, "ingest", str(src))  # returns (the FIFO would block a reader forever)
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 2
    assert any("pipe.tif: no es un archivo regular" in ln for ln in lines)  # Spanish by default
    assert any("no es UTF-8 válido" in ln for ln in lines)
    assert "1 ítem(s) ingeridos" in r.output


def test_deep_stac_json_and_path_ids(tmp_path, data_file):
    home = tmp_path / "ws"
    _run(home, "init")
    deep = tmp_path / "deep.json"
    deep.write_text('{"type": "Feature", "properties": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}")
    r = _run(home, "ingest", str(deep))
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert len([ln for ln in r.output.splitlines() if ln.startswith("error:")]) == 1
    # an item whose id and collection are paths: --copy stays under assets/copies
    tif = tmp_path / "scene.tif"
    shutil.copy(data_file("rasters/bfast_modis_ndvi_somalia_2000_2012.tif"), tif)
    outside = tmp_path / "outside"
    item = {"type": "Feature", "stac_version": "1.1.0", "id": f"../../../../{outside}/x",
            "collection": "../../up", "geometry": {"type": "Point", "coordinates": [42, 0]},
            "bbox": [42, 0, 42, 0], "properties": {"datetime": "2020-01-01T00:00:00Z"}, "links": [],
            "assets": {"data": {"href": str(tif), "type": "image/tiff", "roles": ["data"]}}}
    (tmp_path / "item.json").write_text(json.dumps(item))
    r = _run(home, "ingest", str(tmp_path / "item.json"), "--copy")
    assert not outside.exists()
    copies = [p for p in (home / "assets").rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to((home / "assets" / "copies").resolve()) for p in copies)


def test_copy_leaves_no_temporary_files_after_a_kill(tmp_path, data_file):
    home = tmp_path / "ws"
    _run(home, "init")
    tif = tmp_path / "scene.tif"
    shutil.copy(data_file("rasters/bfast_modis_ndvi_somalia_2000_2012.tif"), tif)
    assert _run(home, "ingest", str(tif), "--copy").exit_code == 0
    copy = next((home / "assets" / "copies").rglob("scene.tif"))
    # what a kill -9 half way leaves: a temporary beside the destination, and no destination
    stale = copy.parent / ".scene.tif.abc123.tif"
    stale.write_bytes(b"half")
    copy.unlink()
    assert _run(home, "ingest", str(tif), "--copy").exit_code == 0
    assert sorted(p.name for p in copy.parent.iterdir()) == ["scene.tif"]
