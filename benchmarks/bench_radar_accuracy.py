"""Accuracy of BFAST Monitor (history all / ROC), ``sar`` and ``bayts`` on the real Bolivia stacks.

Ground truth: Hansen GFC v1.7 loss year, the shared north third of the bayts site
(``reference/hansen_gfc_v1.7_lossyear_bolivia_bayts_site_north.tif``), nearest-neighbour onto the
stack grid (EPSG:32720, 30 m). Scored pixels: loss year 16 (positive) and never lost (0, negative);
the stacks mask pixels cleared before 2016, and 2016 loss covers the whole year while the stacks
end in May 2016. A pixel is *alerted* when the method confirms a change in the monitoring period
(from 2016-01-01); pixels without any data count as not alerted.

Split: the scored pixels are cut into column blocks of 10 px; even blocks (0-9, 20-29, ...) are
the **tuning** part, odd blocks the **held-out** part. Every parameter choice (a grid of chi,
PNFmin, bwf for bayts and sar; direction for BFAST) is made on the tuning part; the table reports
the held-out part. The spatial rule of ``yvy detect`` (:mod:`yvy.kernels.grow`: weak evidence
completed by a confirmed 4-neighbour, a smallest group) is chosen in a second stage, by the same
rule, per method, on yvy's thresholds (bayts' first-stage choice, which both methods use).

False alarms over a long period: the 2016 window (January to May) is short, and a setting that
confirms on two noisy dates in a row raises more false alerts the longer it monitors. The selection
therefore also bounds the **stable false-alarm rate**: the share of the 3,200 stable forest pixels
of the demo's radar scenario (``yvy.demo._radar``: six months of 12-day passes from two orbits with
speckle, NDVI every 5 days with a clouded wet season) with any confirmed change (for ``sar``: radar
only). Selection rule: among settings with tuning UA >= 0.95 and a demo stable false-alarm rate <=
1 %, the best tuning F1 (ties: higher UA, then fewer demo false alarms); when none qualifies, relax
the false-alarm bound, then the UA bound. The demo scenario is therefore tuning data too; the
held-out Bolivia pixels are not. Reported as well, not used to choose: the same rate on the Bolivia
never-lost pixels when monitoring 17 months from 2015-01-01 (71 Sentinel-1 passes, 44 Landsat
dates; only 29 tuning and 111 held-out such pixels, too few to bound a 1 % rate). R bayts
(``reference/bayts_r_spatial_result_bolivia_2016.tif``, the published parameters) is scored on the
same pixels for comparison.

Delay: days from the monitoring start (2016-01-01) to the date the alert exists (bayts/sar: the
confirmation date; BFAST: the break observation), median over held-out true positives (Hansen
gives only the year of loss, so no per-pixel clearing date exists to measure from).

One run (deterministic). Usage::

    .venv/bin/python benchmarks/bench_radar_accuracy.py [--data ../shared/data]

Writes ``benchmarks/results/radar_accuracy.{md,json}``. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import rasterio
from rasterio.warp import Resampling, reproject

from yvy.change.fusion import DEFAULT_BWF, DEFAULT_CHI, DEFAULT_PNF_MIN, SPATIAL_DEFAULTS
from yvy.change.timebase import DAYS_PER_YEAR, bfast_dates, decimal_year
from yvy.kernels.bayts import BaytsParams, SensorPdf, bayts, spatial_normalise
from yvy.kernels.bfast import BfastParams, bfast_monitor
from yvy.kernels.grow import rule_times

NDVI = "rasters/bayts_landsat_ndvi_bolivia_2005_2016.tif"
S1VV = "rasters/bayts_s1_vv_bolivia_2014_2016.tif"
HANSEN = "reference/hansen_gfc_v1.7_lossyear_bolivia_bayts_site_north.tif"
R_REF = "reference/bayts_r_spatial_result_bolivia_2016.tif"
START = "2016-01-01"
LONG_START = "2015-01-01"
MAX_STABLE_FA = 0.01
NO_WINDOW = {"bayts": (0.5, 2, None), "sar": (0.55, 3, None)}
"""The spatial rule chosen before the time window existed (an option then; reported for comparison)."""
LONG_END = date(2026, 12, 1)
"""The demo scenario continued to 36 months of monitoring (``benchmarks/check_spatial_percolation.py``)."""
PDF_NDVI = SensorPdf(0.0, 0.1, -0.5, 0.125)
PDF_VV = SensorPdf(-1.0, 0.75, -4.0, 1.0)
OUT = Path(__file__).parent / "results"


def fused(ys, ts, pdfs, start, p) -> np.ndarray:
    """Alert times of a setting: the bayts kernel, then the spatial rule when ``p`` has one
    (``neighbour_chi``: None or >= chi = no growth; ``min_pixels``: 1 = none; ``neighbour_days``:
    None = no time window), as ``yvy detect`` does."""
    nchi = p.get("neighbour_chi")
    nchi = None if nchi is None else min(nchi, p["chi"])
    o = bayts(ys, ts, pdfs, start, BaytsParams(chi=p["chi"], pnf_min=p["pnf_min"], bwf=tuple(p["bwf"]), chi_weak=nchi))
    days = p.get("neighbour_days")
    return rule_times(o, p["chi"], nchi, p.get("min_pixels", 1), None if days is None else days / DAYS_PER_YEAR)


def read_stack(path):
    with rasterio.open(path) as ds:
        a = ds.read().astype(np.float64)
        a[a == ds.nodata] = np.nan
        return a, list(ds.descriptions), ds.profile


def truth(data: Path, profile) -> np.ndarray:
    """Hansen loss year on the stack grid (255 outside the shared north third)."""
    dst = np.full((profile["height"], profile["width"]), 255, np.uint8)
    with rasterio.open(data / HANSEN) as ds:
        reproject(ds.read(1), dst, src_transform=ds.transform, src_crs=ds.crs, dst_transform=profile["transform"],
                  dst_crs=profile["crs"], resampling=Resampling.nearest, src_nodata=None, dst_nodata=255)
    return dst


def score(alert_time: np.ndarray, lossyear: np.ndarray, part: np.ndarray, t0: float) -> dict:
    pos, neg = (lossyear == 16) & part, (lossyear == 0) & part
    alert = np.isfinite(alert_time)
    tp, fp, fn = int((alert & pos).sum()), int((alert & neg).sum()), int((~alert & pos).sum())
    ua = tp / (tp + fp) if tp + fp else float("nan")
    pa = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * ua * pa / (ua + pa) if ua + pa else 0.0
    delay = float(np.median((alert_time[alert & pos] - t0) * 365.0)) if tp else float("nan")
    return {"tp": tp, "fp": fp, "fn": fn, "n_pos": int(pos.sum()), "n_neg": int(neg.sum()), "ua": ua, "pa": pa,
            "f1": f1, "median_delay_days": delay}


class DemoStable:
    """False-alert share of the demo radar scenario's stable forest pixels for a bayts setting
    (``end``: the scenario continued to that date, for long monitoring)."""

    def __init__(self, end: date | None = None):
        from yvy.demo._radar import CLEAR, _read, radar_scenario

        with tempfile.TemporaryDirectory() as tmp:
            demo = radar_scenario(tmp, **({"end": end} if end else {}))
            (vv, self.tv), (nd, self.tn) = _read(demo.s1), _read(demo.ndvi)
        self.vv, self.nd = spatial_normalise(vv, 0.95), spatial_normalise(nd, 0.95)
        self.stable = np.ones(vv.shape[1:], bool)
        self.stable[CLEAR] = False
        self.start = float(decimal_year([demo.monitor_start.isoformat()])[0])

    def rate(self, sensors, p) -> float:
        ys = [self.nd if s == "optical" else self.vv for s in sensors]
        ts = [self.tn if s == "optical" else self.tv for s in sensors]
        pdfs = [PDF_NDVI if s == "optical" else PDF_VV for s in sensors]
        return float(np.isfinite(fused(ys, ts, pdfs, self.start, p)[self.stable]).mean())


def stable_fa(alert_time: np.ndarray, lossyear: np.ndarray, part: np.ndarray) -> float:
    """Share of never-lost pixels of ``part`` with a confirmed change (any time)."""
    neg = (lossyear == 0) & part
    return float((np.isfinite(alert_time) & neg).sum() / max(1, neg.sum()))


def choose(results: list[tuple[dict, dict]], long_fa: float = 1.0) -> tuple[dict, dict]:
    """Best (params, tuning score): best F1 among settings with UA >= 0.95, a demo stable
    false-alarm rate <= MAX_STABLE_FA and a 36-month one <= ``long_fa`` (ties: higher UA, then
    fewer 36-month, then six-month demo false alarms); relax the false-alarm bounds, then UA, if none."""
    fa = lambda s, k: s.get(k, 0.0)  # noqa: E731 (BFAST: not scored on the demo)
    for ok in (lambda s: s["ua"] >= 0.95 and fa(s, "demo_fa") <= MAX_STABLE_FA and fa(s, "demo_fa_36") <= long_fa,
               lambda s: s["ua"] >= 0.95, lambda s: True):
        cand = [r for r in results if ok(r[1])]
        if cand:
            return max(cand, key=lambda r: (r[1]["f1"], r[1]["ua"], -fa(r[1], "demo_fa_36"), -fa(r[1], "demo_fa")))
    raise ValueError("no settings")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("YVY_TEST_DATA", "../shared/data"))
    args = ap.parse_args()
    data = Path(args.data)
    ndvi, dl, profile = read_stack(data / NDVI)
    vv, ds, _ = read_stack(data / S1VV)
    loss = truth(data, profile)
    cols = np.broadcast_to((np.arange(loss.shape[1]) // 10) % 2, loss.shape)
    tune, held = cols == 0, cols == 1
    t0 = float(decimal_year([START])[0])
    tl, tv = decimal_year(dl), decimal_year(ds)
    nd, vd = spatial_normalise(ndvi, 0.95), spatial_normalise(vv, 0.95)
    rows = []

    t_long = float(decimal_year([LONG_START])[0])

    def run_bayts(sensors, p, start=t0):
        ys = [nd if s == "optical" else vd for s in sensors]
        ts = [tl if s == "optical" else tv for s in sensors]
        pdfs = [PDF_NDVI if s == "optical" else PDF_VV for s in sensors]
        return fused(ys, ts, pdfs, start, p)

    demo, demo_long = DemoStable(), DemoStable(end=LONG_END)

    def scored(sensors, p, part):
        out = score(run_bayts(sensors, p), loss, part, t0)
        out["stable_fa"] = stable_fa(run_bayts(sensors, p, t_long), loss, part)
        out["demo_fa"] = demo.rate(sensors, p)
        out["demo_fa_36"] = demo_long.rate(sensors, p)
        return out

    grid = [{"chi": c, "pnf_min": m, "bwf": b} for c, m, b in itertools.product(
        (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99), (0.5, 0.6, 0.7),
        ((0.1, 0.9), (0.0, 1.0), (0.2, 0.8), (0.1, 0.95), (0.05, 0.9)))]
    spatial_grid = [{"neighbour_chi": c, "min_pixels": m, "neighbour_days": d}
                    for c, m, d in itertools.product((None, 0.3, 0.4, 0.5, 0.55, 0.6, 0.7), (1, 2, 3),
                                                     (None, 30, 45, 60, 90, 180))
                    if d is None or c is not None or m > 1]
    yvy = {"chi": DEFAULT_CHI, "pnf_min": DEFAULT_PNF_MIN, "bwf": tuple(DEFAULT_BWF)}
    tuning_grid, chosen_rule = {}, {}
    keys = ("ua", "pa", "f1", "stable_fa", "demo_fa", "demo_fa_36")
    listed = lambda res: [{**p, "bwf": list(p["bwf"]), **{k: r[k] for k in keys}} for p, r in res]  # noqa: E731
    for name, sensors in (("bayts", ("optical", "radar")), ("sar", ("radar",))):
        res = [(p, scored(sensors, p, tune)) for p in grid]  # stage 1: the kernel's thresholds
        tuning_grid[name] = listed(res)
        p1, tuned1 = choose(res)
        rows.append({"method": f"{name} (stage 1: its best thresholds, no spatial rule)",
                     "params": {**p1, "bwf": list(p1["bwf"])}, "tuning": tuned1, "held_out": scored(sensors, p1, held)})
        # stage 2: the spatial rule, on the thresholds yvy uses for both methods (bayts' stage-1 choice)
        res2 = [(yvy | q, scored(sensors, yvy | q, tune)) for q in spatial_grid]
        tuning_grid[name + " spatial rule"] = listed(res2)
        p, tuned = choose(res2, long_fa=demo_long.rate(sensors, yvy))  # no more long-run false alarms than no rule
        chosen_rule[name] = [p["neighbour_chi"], p["min_pixels"], p["neighbour_days"]]
        rows.append({"method": f"{name} (stage 2: yvy thresholds + its best spatial rule)",
                     "params": {**p, "bwf": list(p["bwf"])}, "tuning": tuned, "held_out": scored(sensors, p, held)})
        for label, rule in (("yvy defaults", SPATIAL_DEFAULTS[name]),
                            ("yvy thresholds, no spatial rule", (None, 1, None)),
                            ("yvy thresholds + the rule without a time window, the option before it",
                             NO_WINDOW[name])):
            d = yvy | dict(zip(("neighbour_chi", "min_pixels", "neighbour_days"), rule, strict=True))
            rows.append({"method": f"{name} ({label})", "params": {**d, "bwf": list(d["bwf"])},
                         "tuning": scored(sensors, d, tune), "held_out": scored(sensors, d, held)})
    r_defaults = {"chi": 0.9, "pnf_min": 0.5, "bwf": (0.1, 0.9)}
    old = {"chi": 0.5, "pnf_min": 0.5, "bwf": (0.2, 0.8)}
    both = ("optical", "radar")
    for label, sensors, p in (("bayts (R parameters)", both, r_defaults),
                              ("bayts (chi 0.5, bwf 0.2 0.8: defaults before the false-alarm bound)", both, old)):
        rows.append({"method": label, "params": {**p, "bwf": list(p["bwf"])},
                     "tuning": scored(sensors, p, tune), "held_out": scored(sensors, p, held)})
    t_b, keep = bfast_dates(dl)
    y = ndvi[keep]
    for history in ("all", "roc"):
        res = []
        for direction in ("both", "negative"):
            p = BfastParams(history=history, direction=direction)
            bt = bfast_monitor(y, t_b, t0, p)["break_time"]
            res.append(({"history": history, "direction": direction}, score(bt, loss, tune, t0), bt))
        best = choose([(a, b) for a, b, _ in res])
        bt = next(c for a, b, c in res if a == best[0])
        rows.append({"method": f"bfast {history}", "params": best[0], "tuning": best[1],
                     "held_out": score(bt, loss, held, t0)})
    with rasterio.open(data / R_REF) as ds_r:
        ref = ds_r.read(3).astype(np.float64)
        ref[ref == ds_r.nodata] = np.nan
    rows.append({"method": "R bayts::baytsSpatial (reference output)", "params": r_defaults | {"bwf": [0.1, 0.9]},
                 "tuning": score(ref, loss, tune, t0), "held_out": score(ref, loss, held, t0)})
    OUT.mkdir(exist_ok=True)
    meta = {"runs": 1, "truth": HANSEN, "split": "column blocks of 10 px: even = tuning, odd = held-out",
            "scored": "Hansen loss year 16 (positive) vs 0 (negative)", "monitor_start": START,
            "stable_fa": f"Bolivia never-lost pixels with a confirmed change when monitoring from {LONG_START}",
            "demo_fa": "demo radar scenario: stable forest pixels (3,200) with a confirmed change",
            "rule": f"best tuning F1 with tuning UA >= 0.95 and demo stable false-alarm rate <= {MAX_STABLE_FA}",
            "stages": "stage 1: chi, PNFmin, bwf without the spatial rule; stage 2: the spatial rule "
                      "(neighbour_chi, min_pixels, neighbour_days) on yvy's thresholds; the same rule at both stages",
            "rows": rows, "tuning_grid": tuning_grid, "stage2_choice": chosen_rule,
            "defaults": {m: list(v) for m, v in SPATIAL_DEFAULTS.items()},
            "no_window": {m: list(v) for m, v in NO_WINDOW.items()}}
    (OUT / "radar_accuracy.json").write_text(json.dumps(meta, indent=1, default=float))
    lines = ["# Radar / radar-optical accuracy on the Bolivia stacks (Hansen loss 2016 vs never lost)", "",
             f"Produced by `benchmarks/bench_radar_accuracy.py` (1 run, deterministic). Split: {meta['split']}. "
             f"Parameters chosen ({meta['rule']}) in two stages: {len(grid)} settings of chi, PNFmin and bwf "
             f"without the spatial rule, then {len(spatial_grid)} settings of the spatial rule (neighbour_chi: "
             "growth from a confirmed 4-neighbour, None = off; min_pixels: smallest 4-connected group; "
             "neighbour_days: neighbours connected only when their evidence is this close in time, None = any) on "
             "yvy's thresholds (bayts' stage-1 choice, used by both methods); "
             "UA, PA, F1, delay, TP/FP/FN and Bolivia stable FA on the held-out part. Demo FA: share of the "
             "demo radar scenario's 3,200 stable forest pixels with a confirmed change over its six months "
             "(a selection criterion); demo FA 36 mo: the same scenario continued to 36 months of monitoring "
             "(stage 2 criterion: no more than yvy's thresholds without the rule). "
             "Bolivia stable FA: share of never-lost held-out pixels with a confirmed "
             f"change when monitoring 17 months from {LONG_START} (111 pixels; not a criterion).", "",
             "| method | parameters (chosen on tuning) | UA | PA | F1 | median delay (days after 2016-01-01) "
             "| TP / FP / FN | Bolivia stable FA (17 months) | demo FA | demo FA 36 mo | tuning F1 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        h, tu = r["held_out"], r["tuning"]
        fa = lambda d, k: f"{d[k]:.3f}" if k in d else "-"  # noqa: E731
        lines.append(f"| {r['method']} | {json.dumps(r['params'])} | {h['ua']:.3f} | {h['pa']:.3f} | {h['f1']:.3f} "
                     f"| {h['median_delay_days']:.0f} | {h['tp']} / {h['fp']} / {h['fn']} | {fa(h, 'stable_fa')} "
                     f"| {fa(h, 'demo_fa')} | {fa(h, 'demo_fa_36')} | {tu['f1']:.3f} |")
    n = rows[0]["held_out"]
    lines += ["", f"Held-out pixels: {n['n_pos']} lost in 2016, {n['n_neg']} never lost.", "",
              f"Stage 2 choice (neighbour_chi, min_pixels, neighbour_days) per method: {json.dumps(chosen_rule)}; "
              f"the rule without a window (before it existed): {json.dumps(meta['no_window'])}; yvy's defaults "
              f"(SPATIAL_DEFAULTS): {json.dumps(meta['defaults'])} (docs/radar.md)."]
    (OUT / "radar_accuracy.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
