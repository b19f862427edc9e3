"""A corpus of bad inputs: each is an InputError whose message is one line naming the file."""

from __future__ import annotations

import pytest

from yvy.catalog.formats import IngestOptions
from yvy.catalog.formats.registry import claim_all, expand_paths, get_format, read_items
from yvy.errors import CorruptRasterError, InputError, ProjectionError
from yvy.testing.products import make_bad_inputs

CASES = {
    "truncated": (CorruptRasterError, "truncated or corrupt TIFF"),
    "corrupt": (CorruptRasterError, "corrupt"),
    "no_crs": (ProjectionError, "no CRS"),
    "no_georef": (ProjectionError, "no georeferencing"),
    "unknown": (InputError, "unknown file type"),
    "invalid_json": (InputError, "not valid JSON"),
    "invalid_stac": (InputError, "invalid STAC Item"),
    "safe_missing_band": (InputError, "band B04 missing"),
    "landsat_missing_file": (InputError, "_SR_B4.TIF (red), which is missing"),
}


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    return {k: make_bad_inputs_subdir(root, k) for k in CASES}


def make_bad_inputs_subdir(root, name):
    return make_bad_inputs(root / name)[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(bad, name):
    path = bad[name]
    cls, text = CASES[name]
    with pytest.raises(cls) as err:
        # a Landsat product is ingested as its folder (the MTL alone has no band files beside it)
        target = path.parent if name == "landsat_missing_file" else path
        read_items([target], IngestOptions(datetime="2023-01-05"))
    message = str(err.value)
    assert "\n" not in message
    assert str(path.parent) in message or str(path) in message
    assert text in message
    if name == "safe_missing_band":
        assert message.startswith(str(path))


def test_bad_inputs_in_one_folder_each_fail_alone(tmp_path):
    files = make_bad_inputs(tmp_path)
    groups, left = claim_all(expand_paths([tmp_path]))
    assert left == [str(files["unknown"])]
    assert len(groups) == 8
    for group in groups:
        with pytest.raises(InputError) as err:
            get_format(group.format).to_items(group, IngestOptions())
        assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)


def test_bad_datetime_option(tmp_path):
    from yvy.testing.products import write_raster

    path = write_raster(tmp_path / "x.tif")
    with pytest.raises(InputError, match="^datetime: 'yesterday' is not an ISO date"):
        read_items([path], IngestOptions(datetime="yesterday"))
