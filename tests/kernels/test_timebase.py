"""R's bfastts time base and duplicate-day rule (yvy.change.timebase)."""

from __future__ import annotations

import datetime as dt
import doctest

import numpy as np
import pytest

from yvy.change import timebase
from yvy.change.timebase import bfast_dates, decimal_year
from yvy.errors import DateRangeError, InputError


def test_decimal_year_matches_r_values():
    # values R passed as `start` in the reference runs (params JSON files)
    assert decimal_year("2010-06-26")[0] == 2010.482191780822
    assert decimal_year("2010-07-12")[0] == 2010.5260273972603
    assert decimal_year("2017-01-01")[0] == 2017.0
    # a break date as R printed it (somalia ROC reference, 17 significant digits)
    assert decimal_year("2011-04-07")[0] == 2011.2630136986302


def test_leap_day_shares_stamp_with_first_of_march():
    t = decimal_year(["2012-02-28", "2012-02-29", "2012-03-01", "2012-12-31", "2013-01-01"])
    assert t[1] == t[2] == 2012 + 59 / 365
    assert t[3] == 2012 + 364 / 365
    assert np.all(np.diff(t[[0, 2, 3, 4]]) > 0)


def test_input_types():
    ref = decimal_year(["2015-12-08"])[0]
    assert decimal_year(dt.date(2015, 12, 8))[0] == ref
    assert decimal_year(dt.datetime(2015, 12, 8, 10, 4, 9))[0] == ref
    assert decimal_year(np.datetime64("2015-12-08T10:04:09"))[0] == ref
    assert decimal_year(["2015-12-08T10:04:09"])[0] == ref
    assert decimal_year(np.array(["2015-12-08"], dtype="datetime64[D]"))[0] == ref


def test_duplicate_day_later_band_wins():
    # the Slovenia stack: bands 7 and 8 are both 2015-12-08; R keeps band 8
    dates = ["2015-11-28T10:00:00", "2015-12-08T10:04:09", "2015-12-08T10:11:25",
             "2015-12-18T10:12:15"]
    t, keep = bfast_dates(dates)
    assert keep.tolist() == [0, 2, 3]
    assert np.all(np.diff(t) > 0)


def test_unsorted_dates_and_leap_collision():
    t, keep = bfast_dates(["2012-03-01", "2011-05-05", "2012-02-29"])
    assert keep.tolist() == [1, 2]  # 29 Feb comes later in band order than 1 Mar: it wins
    assert t[1] == 2012 + 59 / 365


def test_errors():
    with pytest.raises(InputError):
        decimal_year(["not a date"])
    with pytest.raises(DateRangeError):
        bfast_dates([])


def test_doctests():
    assert doctest.testmod(timebase).failed == 0
