"""Pieces of the fusion pipeline: radar units, decimal year -> days, normalisation shifts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from yvy.change.fusion import _days_of, sar_units
from yvy.change.timebase import decimal_year
from yvy.errors import InputError
from yvy.testing.scenes import write_stack


def test_days_of_inverts_decimal_year():
    dates = ["2015-01-01", "2015-06-15", "2015-12-31", "2016-01-05", "2016-02-28", "2016-03-01", "2016-12-31",
             "2020-07-04"]
    t = decimal_year(dates)
    want = [(date.fromisoformat(d) - date(1970, 1, 1)).days for d in dates]
    np.testing.assert_array_equal(_days_of(t, date(1970, 1, 1).toordinal()), want)
    # 29 February shares 1 March's stamp in R's time base: it maps back to 1 March
    leap = _days_of(decimal_year(["2016-02-29"]), date(1970, 1, 1).toordinal())
    assert leap[0] == (date(2016, 3, 1) - date(1970, 1, 1)).days
    assert np.isnan(_days_of(np.array([np.nan]), 0)[0])


def test_sar_units_from_tag_and_values(tmp_path):
    dates = ["2016-01-05", "2016-01-17"]
    lin = np.full((2, 8, 8), 0.05, np.float32)
    p = write_stack(tmp_path / "a.tif", dates, lin)
    assert sar_units(str(p)) == ("linear", "values")
    db = write_stack(tmp_path / "b.tif", dates, np.full((2, 8, 8), -9.0, np.float32))
    assert sar_units(str(db)) == ("db", "values")
    import rasterio

    with rasterio.open(p, "r+") as ds:
        ds.update_tags(units="dB")  # a tag wins over the values
    assert sar_units(str(p)) == ("db", "tag")
    odd = write_stack(tmp_path / "c.tif", dates, np.full((2, 8, 8), 55.0, np.float32))
    with pytest.raises(InputError, match="unknown backscatter units"):
        sar_units(str(odd))
