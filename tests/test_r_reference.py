"""yvy's BFAST Monitor against R's bfastmonitor (bfast 1.7.2) on every staged reference.

References live in ``reference/r_bfastmonitor/`` of the shared data (see its MANIFEST and
the ``*_params.json`` files): Somalia MODIS, Slovenia Sentinel-2 (cloud mask, duplicated
day), synthetic scenario B, and the ``bfast_som.csv`` series with R's published break.
Run this file as a script to print the exactness table of ``docs/bfast.md``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from yvy.change.timebase import bfast_dates, decimal_year
from yvy.kernels.bfast import BfastParams, bfast_monitor

RB = "reference/r_bfastmonitor"
RASTER_CASES = [
    # id, stack, start date, history
    ("somalia_2010-01-01_all", "somalia", "2010-01-01", "all"),
    ("somalia_2010-01-01_roc", "somalia", "2010-01-01", "ROC"),
    ("somalia_2010-06-26_all", "somalia", "2010-06-26", "all"),
    ("somalia_2010-06-26_roc", "somalia", "2010-06-26", "ROC"),
    ("slovenia_2017-01-01_all", "slovenia", "2017-01-01", "all"),
    ("slovenia_2017-01-01_roc", "slovenia", "2017-01-01", "ROC"),
    ("synthetic_2017-01-01_all", "synthetic", "2017-01-01", "all"),
    ("synthetic_2017-01-01_roc", "synthetic", "2017-01-01", "ROC"),
]
REF_FILES = {
    "somalia": "somalia_modis_r_bfastmonitor_start{start}_history{hist}.csv",
    "slovenia": "slovenia_s2_r_bfastmonitor_start{start}_history{hist}.csv",
    "synthetic": "synthetic_scenarioB_r_bfastmonitor_start{start}_history{hist}.csv",
}


def _read_stack(path: Path):
    import rasterio

    with rasterio.open(path) as ds:
        return ds.read(), list(ds.descriptions)


def load_stack(get, name: str):
    """Return ``(y (T, H, W) float64, band dates)`` exactly as R's input was built."""
    if name == "somalia":
        y, dates = _read_stack(get("rasters/bfast_modis_ndvi_somalia_2000_2012.tif"))
        return y.astype(np.float64) / 10000.0, dates
    if name == "slovenia":
        y, dates = _read_stack(get("rasters/eolearn_s2_l1c_ndvi_slovenia_2015_2017.tif"))
        cloud, _ = _read_stack(get("rasters/eolearn_s2_cloudmask_slovenia_2015_2017.tif"))
        y = y.astype(np.float64)
        y[cloud == 1] = np.nan
        return y, dates
    y, dates = _read_stack(get(f"{RB}/synthetic_scenarioB_ndvi_30x30_2010_2020.tif"))
    return y.astype(np.float64), dates


def read_reference(path: Path) -> dict:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))

    def col(key, kind=float, empty=math.nan):
        return np.array([kind(r[key]) if r[key] not in ("", "NA") else empty for r in rows])

    return {"row": col("row", int), "col": col("col", int), "status": col("status", int),
            "band": col("break_band_index", int, -1), "break_time": col("break_decimal_year"),
            "magnitude": col("magnitude"), "history_start": col("history_start_decimal_year"),
            "n_history": col("n_history_obs", int, -1)}


def run_case(get, stack: str, start: str, hist: str):
    """Run yvy on one reference case; return (ours, reference), per pixel in R's row order."""
    y, dates = load_stack(get, stack)
    t, keep = bfast_dates(dates)
    params = BfastParams(history=hist.lower())
    out = bfast_monitor(y[keep], t, float(decimal_year(start)[0]), params)
    ref = read_reference(get(f"{RB}/" + REF_FILES[stack].format(start=start, hist=hist)))
    r, c = ref["row"], ref["col"]
    ours = {k: v[r, c] for k, v in out.items()}
    ours["band"] = np.where(ours["break_index"] >= 0, keep[np.maximum(ours["break_index"], 0)],
                            -1)
    return ours, ref


def compare(ours: dict, ref: dict) -> dict:
    """Agreement figures of one case (see docs/bfast.md)."""
    n = ref["status"].size
    both_ok = (ours["status"] >= 0) & (ref["status"] >= 0)
    both_break = (ours["status"] == 1) & (ref["status"] == 1)
    mag_ref = ref["magnitude"][both_ok]
    mag = ours["magnitude"][both_ok]
    fin = np.isfinite(mag_ref) & np.isfinite(mag)
    rel = np.abs(mag[fin] - mag_ref[fin]) / np.maximum(np.abs(mag_ref[fin]), 1e-12)
    hs = np.isfinite(ref["history_start"]) & both_ok
    return {
        "pixels": n,
        "r_breaks": int(np.sum(ref["status"] == 1)),
        "r_no_result": int(np.sum(ref["status"] == -2)),
        "status_equal": int(np.sum(ours["status"] == ref["status"])),
        "break_agree": int(np.sum((ours["status"] == 1) == (ref["status"] == 1))),
        "both_break": int(both_break.sum()),
        "same_break_obs": int(np.sum(ours["band"][both_break] == ref["band"][both_break])),
        "max_break_time_diff": float(np.max(np.abs(ours["break_time"][both_break]
                                                   - ref["break_time"][both_break]),
                                            initial=0.0)),
        "max_rel_magnitude": float(np.max(rel, initial=0.0)),
        "magnitude_nan_mismatch": int(np.sum(np.isnan(mag) != np.isnan(mag_ref))),
        "history_start_equal": int(np.sum(np.abs(ours["history_start"][hs]
                                                 - ref["history_start"][hs]) < 1e-9)),
        "history_compared": int(hs.sum()),
        "n_history_equal": int(np.sum(ours["n_history"][both_ok] == ref["n_history"][both_ok])),
        "no_result_equal": int(np.sum((ours["status"] == -2) == (ref["status"] == -2))),
    }


def check(fig: dict) -> None:
    n = fig["pixels"]
    assert fig["break_agree"] >= 0.999 * n, fig
    assert fig["same_break_obs"] == fig["both_break"], fig
    assert fig["max_break_time_diff"] < 1e-9, fig
    assert fig["max_rel_magnitude"] < 1e-6, fig
    assert fig["magnitude_nan_mismatch"] == 0, fig
    assert fig["no_result_equal"] == n, fig


@pytest.mark.parametrize("case", RASTER_CASES, ids=[c[0] for c in RASTER_CASES])
def test_raster_reference(data_file, case):
    _, stack, start, hist = case
    ours, ref = run_case(data_file, stack, start, hist)
    check(compare(ours, ref))


# ----------------------------------------------------------------- bfast_som.csv series


def load_som(get):
    with open(get("timeseries/bfast_som.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    dates = [r["date"] for r in rows]
    series = {k: np.array([float(r[k]) if r[k] not in ("", "NA") else np.nan for r in rows])
              for k in ("ndvi_a", "ndvi_b")}
    return dates, series


def som_runs(get):
    """Yield (reference row, yvy output) for the 8 runs of som_r_bfastmonitor_*.csv."""
    dates, series = load_som(get)
    with open(get(f"{RB}/som_r_bfastmonitor_start2010p13.csv"), newline="") as fh:
        refs = list(csv.DictReader(fh))
    for ref in refs:
        y = series[ref["series"]]
        if ref["ts_construction"].startswith("bfastts"):
            t, keep = bfast_dates(dates)
            y = y[keep]
        else:  # ts(x, start = c(2000, 4), frequency = 23): time = 2000 + (4 - 1 + i) / 23
            t = 2000 + (3 + np.arange(y.size)) / 23
        params = BfastParams(history=ref["history"].lower())
        out = bfast_monitor(y[:, None], t, float(ref["start_decimal_year"]), params)
        yield ref, {k: v[0] for k, v in out.items()}


def test_som_series(data_file):
    for ref, out in som_runs(data_file):
        assert out["status"] == int(ref["status"])
        assert out["break_index"] + 1 == int(ref["break_obs_index"])
        assert abs(out["break_time"] - float(ref["break_decimal_year"])) < 1e-9
        assert abs(out["magnitude"] / float(ref["magnitude"]) - 1) < 1e-6
        assert abs(out["history_start"] - float(ref["history_start_decimal_year"])) < 1e-9
        assert out["n_history"] == int(ref["n_history_obs"])


def test_published_break(data_file):
    """The published ``bfastmonitor(NDVIa, start = c(2010, 13))``: break 2011(3), obs 253."""
    with open(data_file("reference/bfast_published_reference_results.json")) as fh:
        pub = json.load(fh)["results"][0]
    dates, series = load_som(data_file)
    t = 2000 + (3 + np.arange(len(dates))) / 23
    out = bfast_monitor(series["ndvi_a"][:, None], t, 2010 + 12 / 23, BfastParams(history="roc"))
    assert out["break_index"][0] + 1 == pub["breakpoint_index"]
    assert dates[out["break_index"][0]] == pub["breakpoint_date"]
    assert abs(out["break_time"][0] - pub["breakpoint_decimal_year"]) < 1e-6
    assert abs(out["history_start"][0] - 2000 - 3 / 23) < 1e-12  # history from 2000(4)


def exactness_table(get) -> str:
    """Markdown table of the agreement figures of every case."""
    lines = [("| case | pixels | R breaks | R no result | break/no-break equal | "
              "same break obs | max rel magnitude | history start equal | n_history equal |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for cid, stack, start, hist in RASTER_CASES:
        f = compare(*run_case(get, stack, start, hist))
        lines.append(
            f"| {cid} | {f['pixels']} | {f['r_breaks']} | {f['r_no_result']} | "
            f"{f['break_agree']} ({100 * f['break_agree'] / f['pixels']:.2f} %) | "
            f"{f['same_break_obs']}/{f['both_break']} | {f['max_rel_magnitude']:.1e} | "
            f"{f['history_start_equal']}/{f['history_compared']} | "
            f"{f['n_history_equal']}/{f['pixels'] - f['r_no_result']} |")
    for ref, out in som_runs(get):
        ok = out["break_index"] + 1 == int(ref["break_obs_index"])
        rel = abs(out["magnitude"] / float(ref["magnitude"]) - 1)
        hs_ok = abs(out["history_start"] - float(ref["history_start_decimal_year"])) < 1e-9
        kind = "bfastts" if ref["ts_construction"].startswith("bfastts") else "ts23"
        lines.append(f"| som {ref['series']} {kind} {ref['history']} | 1 | 1 | 0 | 1 | "
                     f"{int(ok)}/1 (obs {out['break_index'] + 1}) | {rel:.1e} | "
                     f"{int(hs_ok)}/1 | {int(out['n_history'] == int(ref['n_history_obs']))}/1 |")
    return "\n".join(lines)


if __name__ == "__main__":
    import os

    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    root = Path(os.environ.get("YVY_TEST_DATA", default))
    print(exactness_table(lambda rel: root / rel))
