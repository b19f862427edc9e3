"""One bbox parser and one date parser (:mod:`yvy.bbox`, :mod:`yvy.dates`), with the same rules
and the same one-line errors from the CLI, the API and the domain."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from yvy.bbox import parse_bbox
from yvy.cli.main import cli
from yvy.dates import find_datetime, now_iso, parse_date, parse_instant, parse_interval, to_iso
from yvy.errors import DateRangeError, InputError

BAD_BOXES = {
    "1,2,3": "is not a valid bounding box",
    "a,b,c,d": "is not a valid bounding box",
    "nan,0,1,1": "not a finite number",
    "0,0,inf,1": "not a finite number",
    "-181,0,1,1": "longitudes must be within -180..180",
    "0,-91,1,1": "latitudes must be within -90..90",
    "2,0,1,1": "a minimum is above its maximum",
    "0,2,1,1": "a minimum is above its maximum",
}


@pytest.mark.parametrize("text", sorted(BAD_BOXES))
def test_bad_box_is_one_line_naming_the_argument(text):
    with pytest.raises(InputError) as err:
        parse_bbox(text, "bbox")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("bbox: ") and BAD_BOXES[text] in msg


@pytest.mark.parametrize("text", sorted(BAD_BOXES))
def test_cli_and_api_apply_the_same_rule(text, tmp_path):
    from yvy.api.params import parse_bbox as api_parse

    CliRunner().invoke(cli, ["--home", str(tmp_path), "init"])
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(tmp_path), "scenes", "--bbox", text])
    assert r.exit_code == 2 and BAD_BOXES[text] in " ".join(r.output.split())
    with pytest.raises(InputError, match=BAD_BOXES[text]):
        api_parse(text)


def test_good_boxes():
    assert parse_bbox("-60.5,-22.5,-60,-22") == (-60.5, -22.5, -60.0, -22.0)
    assert parse_bbox("-60.5 -22.5 -60 -22") == (-60.5, -22.5, -60.0, -22.0)
    assert parse_bbox([0, 1, 5, 2, 3, 9]) == (0.0, 1.0, 2.0, 3.0)  # 3D box: heights dropped
    assert parse_bbox(None) is None and parse_bbox(" ") is None
    assert parse_bbox("0,0,0,0") == (0.0, 0.0, 0.0, 0.0)  # a point is a box; no area is the AOI's rule


def test_instants_and_intervals():
    utc = dt.UTC
    assert parse_instant("2024-01-05") == dt.datetime(2024, 1, 5, tzinfo=utc)
    assert parse_instant("2024-01-05", end=True) == dt.datetime(2024, 1, 5, 23, 59, 59, 999999, tzinfo=utc)
    assert parse_instant("2024-01-05T10:00:00-03:00") == dt.datetime(2024, 1, 5, 13, tzinfo=utc)
    assert parse_interval("2024-01-01/..") == ("2024-01-01T00:00:00.000000Z", None)
    assert parse_interval("../2024-01-31") == (None, "2024-01-31T23:59:59.999999Z")
    assert parse_interval("2024-01-05") == ("2024-01-05T00:00:00.000000Z", "2024-01-05T23:59:59.999999Z")
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    assert to_iso(dt.datetime(2024, 1, 5, 1, 2, 3)) == "2024-01-05T01:02:03Z"
    assert now_iso().endswith("Z") and len(now_iso()) == 20


@pytest.mark.parametrize("text, problem", [
    ("2024-02-30", "not a valid ISO date"), ("yesterday", "is not an ISO date"),
    ("2024-02-01/2024-01-01", "ends before it starts"), ("../..", "at least one closed end"),
    ("a/b/c", "one '/'"),
])
def test_bad_dates_are_one_line(text, problem):
    with pytest.raises(DateRangeError, match=f"^when: .*{problem}"):
        parse_interval(text, "when")


def test_provider_dates_are_read_leniently():
    assert find_datetime("20230105") == dt.datetime(2023, 1, 5, tzinfo=dt.UTC)
    assert find_datetime("2023:01:05 10:00:00") == dt.datetime(2023, 1, 5, 10, tzinfo=dt.UTC)
    assert find_datetime("BAND1") is None and find_datetime("1800-01-01") is None
