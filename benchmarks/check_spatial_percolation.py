"""Does the spatial rule grow through stable forest over long monitoring? Measured on synthetic
stable forest, ground truth known by construction.

The demo's radar scenario (``yvy.demo._radar.radar_scenario``: 60 x 60 pixels at 20 m, Sentinel-1
VV every 6 days from two orbits with gamma speckle (ENL 50) and a seasonal cycle, NDVI every 5 days
with a clouded wet season, one 20 x 20 clearing) is continued to 36 months of monitoring from
2023-12-01. Its 3,200 pixels outside the clearing never change. After 6, 12, 24 and 36 months the
bayts kernel (yvy's defaults) runs over all dates so far, and for each spatial rule setting this
reports the share of those stable pixels with weak evidence (Pchange reached ``--neighbour-chi``
once) and the share with a confirmed change (a false alert), and the share of the clearing found.
Settings: yvy's thresholds without the rule; yvy's default rule (``yvy.change.fusion.SPATIAL_DEFAULTS``)
and the same without its time window and with 90 and 180 days (``--neighbour-days``); the rule
without a window that was the option before the window existed (neighbour chi 0.5, 2 pixels).

One seeded run (deterministic). Usage::

    .venv/bin/python benchmarks/check_spatial_percolation.py

Writes ``benchmarks/results/spatial_percolation.{md,json}``. Not collected by pytest.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from yvy.change.fusion import (
    DEFAULT_BWF,
    DEFAULT_CHI,
    DEFAULT_OPTICAL_PDF,
    DEFAULT_PNF_MIN,
    DEFAULT_SAR_PDF,
    SPATIAL_DEFAULTS,
)
from yvy.change.timebase import DAYS_PER_YEAR, decimal_year
from yvy.demo._radar import CLEAR, SIZE, _read, radar_scenario
from yvy.kernels.bayts import BaytsParams, SensorPdf, bayts, spatial_normalise
from yvy.kernels.grow import rule_times

OUT = Path(__file__).parent / "results"
START = date(2023, 12, 1)
MONTHS = (6, 12, 24, 36)


def main() -> None:
    nchi, mp, days = SPATIAL_DEFAULTS["bayts"]
    settings = {"no rule": (None, 1, None),
                f"yvy default rule ({nchi} / {mp} px, {days}-day window)": (nchi, mp, days),
                **{f"rule {nchi} / {mp} px, {d}-day window": (nchi, mp, d) for d in (90, 180)},
                f"rule {nchi} / {mp} px, no window": (nchi, mp, None),
                "rule 0.5 / 2 px, no window (the option before the window)": (0.5, 2, None)}
    with tempfile.TemporaryDirectory() as tmp:
        demo = radar_scenario(tmp, end=date(START.year + 3, START.month, 1))
        (vv, tv), (nd, tn) = _read(demo.s1), _read(demo.ndvi)
    vv, nd = spatial_normalise(vv, 0.95), spatial_normalise(nd, 0.95)
    stable = np.ones((SIZE, SIZE), bool)
    stable[CLEAR] = False
    start = float(decimal_year([START.isoformat()])[0])
    pdfs = [SensorPdf(*DEFAULT_OPTICAL_PDF), SensorPdf(*DEFAULT_SAR_PDF)]
    rows = []
    for months in MONTHS:
        y, m = START.year + (START.month - 1 + months) // 12, (START.month - 1 + months) % 12 + 1
        stop = float(decimal_year([date(y, m, 1).isoformat()])[0])
        kv, kn = tv < stop, tn < stop
        for name, (c, px, days) in settings.items():
            params = BaytsParams(chi=DEFAULT_CHI, pnf_min=DEFAULT_PNF_MIN, bwf=DEFAULT_BWF, chi_weak=c)
            o = bayts([nd[kn], vv[kv]], [tn[kn], tv[kv]], pdfs, start, params)
            t = rule_times(o, DEFAULT_CHI, c, px, None if days is None else days / DAYS_PER_YEAR)
            weak = float(np.isfinite(o["change_weak"])[stable].mean()) if c is not None else None
            rows.append({"months": months, "setting": name, "weak_share": weak,
                         "false_alert_share": float(np.isfinite(t)[stable].mean()),
                         "clearing_found": float(np.isfinite(t)[~stable].mean())})
            print(rows[-1], flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "spatial_percolation.json").write_text(json.dumps({"runs": 1, "stable_pixels": int(stable.sum()),
                                                               "rows": rows}, indent=1))
    lines = ["# Spatial rule over long monitoring: stable forest of the demo's radar scenario", "",
             "`benchmarks/check_spatial_percolation.py`, 1 seeded run: the demo's radar scenario continued to 36 "
             f"months from {START.isoformat()}; {int(stable.sum()):,} stable pixels (never change), a 20 x 20 px "
             "clearing in January 2024; bayts with yvy's thresholds. Weak: share of stable pixels whose Pchange "
             "reached --neighbour-chi once; false alerts: share of stable pixels with a confirmed change.", "",
             "| months | setting | stable pixels with weak evidence | false alerts (stable) | clearing found |",
             "|---|---|---|---|---|"]
    for r in rows:
        weak = "–" if r["weak_share"] is None else f"{r['weak_share']:.1%}"
        lines.append(f"| {r['months']} | {r['setting']} | {weak} | {r['false_alert_share']:.1%} "
                     f"| {r['clearing_found']:.1%} |")
    (OUT / "spatial_percolation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
