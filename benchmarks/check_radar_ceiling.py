"""How many of the Bolivia pixels Hansen maps as lost in 2016 show any change in the stacks at all.

The Bolivia stacks end in May 2016 (Landsat 2016-05-25, Sentinel-1 2016-05-17) while Hansen's loss
year 2016 covers the whole year, so a pixel cleared from June on is "lost in 2016" with no sign of
it in the data: no method run on these stacks can alert it. This check measures that ceiling on
producer's accuracy, so the PA figures of ``bench_radar_accuracy.py`` can be read against it.

A lost pixel *shows change by the end of the stacks* when, from 2016-01-01 on, two consecutive
observations of one sensor (deseasonalised as bayts uses them: each date minus its 95th spatial
percentile) are both more likely non-forest than forest under the published pdfs (Landsat NDVI
F N(0, 0.1), NF N(-0.5, 0.125); Sentinel-1 VV F N(-1, 0.75), NF N(-4, 1)). The same test is
applied to the never-lost pixels to show it is not trivially met. bayts with yvy's defaults is
then scored on both groups. Nothing is chosen from these figures (no parameter is tuned here);
they are reported for the tuning and held-out column blocks of ``bench_radar_accuracy.py`` alike.

Usage::

    .venv/bin/python benchmarks/check_radar_ceiling.py      # one run (deterministic)

Results: ``benchmarks/results/radar_ceiling.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from bench_radar_accuracy import NDVI, PDF_NDVI, PDF_VV, S1VV, START, fused, read_stack, truth

from yvy.change.fusion import DEFAULT_BWF, DEFAULT_CHI, DEFAULT_PNF_MIN, SPATIAL_DEFAULTS
from yvy.change.timebase import decimal_year
from yvy.kernels.bayts import SensorPdf, spatial_normalise

OUT = Path(__file__).parent / "results"


def more_likely_nf(y: np.ndarray, pdf: SensorPdf) -> np.ndarray:
    """Per observation: the non-forest density exceeds the forest density (NaN stays False)."""
    def logpdf(m, s):
        return -np.log(s) - 0.5 * ((y - m) / s) ** 2

    with np.errstate(invalid="ignore"):
        return np.isfinite(y) & (logpdf(pdf.nf_mean, pdf.nf_sd) > logpdf(pdf.f_mean, pdf.f_sd))


def two_in_a_row(flags: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per pixel: two consecutive *valid* observations (missing ones skipped) both flagged."""
    n = flags.shape[1]
    out = np.zeros(n, bool)
    for j in range(n):  # a few hundred pixels: clarity over speed
        f = flags[valid[:, j], j]
        out[j] = bool((f[1:] & f[:-1]).any())
    return out


def main() -> None:
    data = Path(os.environ.get("YVY_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    ndvi, dl, profile = read_stack(data / NDVI)
    vv, ds, _ = read_stack(data / S1VV)
    loss = truth(data, profile)
    t0 = float(decimal_year([START])[0])
    tl, tv = decimal_year(dl), decimal_year(ds)
    nd, vd = spatial_normalise(ndvi, 0.95), spatial_normalise(vv, 0.95)
    thresholds = {"chi": DEFAULT_CHI, "pnf_min": DEFAULT_PNF_MIN, "bwf": tuple(DEFAULT_BWF)}
    nchi, mp, days = SPATIAL_DEFAULTS["bayts"]
    settings = {"defaults": thresholds | {"neighbour_chi": nchi, "min_pixels": mp, "neighbour_days": days},
                "no spatial rule": thresholds,
                "chi 0.5": {"chi": 0.5, "pnf_min": 0.5, "bwf": (0.2, 0.8)}}
    alerted = {k: np.isfinite(fused([nd, vd], [tl, tv], [PDF_NDVI, PDF_VV], t0, p)) for k, p in settings.items()}
    cols = np.broadcast_to((np.arange(loss.shape[1]) // 10) % 2, loss.shape)
    rows = []
    for part_name, part in (("tuning (even blocks)", cols == 0), ("held-out (odd blocks)", cols == 1)):
        for label, cls in (("lost in 2016", 16), ("never lost", 0)):
            m = (loss == cls) & part
            shows = np.zeros(int(m.sum()), bool)
            once = np.zeros(int(m.sum()), bool)
            for y, t, pdf in ((nd, tl, PDF_NDVI), (vd, tv, PDF_VV)):
                w = y[t >= t0][:, m]
                nf = more_likely_nf(w, pdf)
                shows |= two_in_a_row(nf, np.isfinite(w))
                once |= nf.any(axis=0)
            row = {"part": part_name, "pixels": label, "n": int(m.sum()), "shows_change": int(shows.sum()),
                   "one_observation": int(once.sum())}
            for k, al in alerted.items():
                a = al[m]
                row[k] = {"alerted": int(a.sum()), "among_showing": int((a & shows).sum()),
                          "among_not_showing": int((a & ~shows).sum())}
            rows.append(row)
    OUT.mkdir(exist_ok=True)
    last = {"landsat": dl[-1], "sentinel1": ds[-1]}
    (OUT / "radar_ceiling.json").write_text(json.dumps({"runs": 1, "last_dates": last, "rows": rows}, indent=1))
    lines = ["# Lost pixels with visible change in the Bolivia stacks (what producer's accuracy can reach)", "",
             "Produced by `benchmarks/check_radar_ceiling.py` (1 run, deterministic). Last dates: Landsat "
             f"{last['landsat']}, Sentinel-1 {last['sentinel1']}; Hansen loss year 2016 runs to December. "
             "'Shows change': two consecutive observations of one sensor from 2016-01-01 both more likely "
             "non-forest than forest under the published pdfs. 'Alerted': bayts confirms a change from "
             "2016-01-01 (defaults: chi 0.9, PNFmin 0.5, bwf 0.1 0.95 and the spatial rule: neighbour chi "
             f"{nchi}, {mp} pixels, {days} days; no spatial rule: the same thresholds alone; chi 0.5: bwf 0.2 0.8, "
             "17.9 % demo false "
             "alerts); each cell: alerted / of them showing change / of them not showing change. 'One "
             "observation': pixels with at least one observation of either sensor from 2016-01-01 more "
             "likely non-forest (a looser test, met by speckle on stable forest too).", "",
             "| part | pixels | n | shows change | share | one observation | bayts defaults | no spatial rule "
             "| bayts chi 0.5 |",
             "|---|---|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        cell = lambda a: f"{a['alerted']} / {a['among_showing']} / {a['among_not_showing']}"  # noqa: E731
        lines.append(f"| {r['part']} | {r['pixels']} | {r['n']} | {r['shows_change']} | "
                     f"{r['shows_change'] / max(1, r['n']):.3f} | {r['one_observation']} | {cell(r['defaults'])} "
                     f"| {cell(r['no spatial rule'])} | {cell(r['chi 0.5'])} |")
    (OUT / "radar_ceiling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
