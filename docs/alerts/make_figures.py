"""Figures and the sensitivity table of docs/alerts.md (run from the repository root):

    YVY_TEST_DATA=/path/to/shared/data .venv/bin/python docs/alerts/make_figures.py
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import rasterio
from matplotlib.colors import ListedColormap
from rasterio.features import rasterize

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.alerts.test_real_data import BOLIVIA, HANSEN, LANDSAT_RULES, analysed_area, bfast_layers

from yvy.alerts import (
    AlertParams,
    _geo,
    update_alerts,
)
from yvy.alerts.evaluate import evaluate_alerts
from yvy.storage import open_store
from yvy.storage.alerts import SQLAlertStore

DATA = Path(os.environ.get("YVY_TEST_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
OUT = Path(__file__).resolve().parent


def run(layers, analysed, params):
    with tempfile.TemporaryDirectory() as tmp:
        s = SQLAlertStore(open_store(f"sqlite:///{tmp}/a.db", create=True))
        update_alerts(s, layers, params)
        alerts = s.find_alerts()
        s.store.close()
    ext = analysed_area(analysed, layers.transform, layers.crs)
    rep = evaluate_alerts(alerts, DATA / HANSEN, change_values=[14, 15], stable_values=[0], extent=ext)
    return alerts, ext, rep


def main() -> None:
    layers, analysed = bfast_layers(DATA / BOLIVIA)
    alerts, ext, rep = run(layers, analysed, LANDSAT_RULES)
    print("chosen", rep["count"], rep["area"])
    rows = []
    for mmu, loss, interval in itertools.product((0.1, 0.25, 0.5), (0.0, 0.02, 0.05), (True, False)):
        p = AlertParams(window_days=30, min_loss=loss, mmu_ha=mmu, interval_join=interval)
        _, _, r = run(layers, analysed, p)
        rows.append(f"| {mmu} | {loss} | {'yes' if interval else 'no'} | {r['count']['ua']:.3f} | "
                    f"{r['count']['pa']:.3f} | {r['area']['ua']:.3f} | {r['area']['pa']:.3f} |")
    (OUT / "bolivia_sensitivity.md").write_text(
        "| MMU (ha) | min loss | interval join | UA px | PA px | UA area | PA area |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    with rasterio.open(DATA / HANSEN) as ds:
        ly, tr, crs, shape = ds.read(1), ds.transform, ds.crs, (ds.height, ds.width)
    inside = rasterize([(_geo.reproject(ext, _geo.WGS84, crs), 1)], out_shape=shape, transform=tr).astype(bool)
    alerted = rasterize([(_geo.reproject(a.geometry, _geo.WGS84, crs), 1) for a in alerts], out_shape=shape,
                        transform=tr).astype(bool)
    change, stable = np.isin(ly, [14, 15]) & inside, (ly == 0) & inside
    cls = np.zeros(shape, np.uint8)  # 0 not scored, 1 TN, 2 TP, 3 FP, 4 FN
    cls[stable] = 1
    cls[change & alerted] = 2
    cls[stable & alerted] = 3
    cls[change & ~alerted] = 4
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    extent = (tr.c, tr.c + tr.a * shape[1], tr.f + tr.e * shape[0], tr.f)
    ref = np.zeros(shape, np.uint8)  # 0 outside, 1 stable, 2 loss 2014-15, 3 other loss years (excluded)
    ref[inside & (ly == 0)] = 1
    ref[inside & np.isin(ly, [14, 15])] = 2
    ref[inside & (ly > 0) & ~np.isin(ly, [14, 15])] = 3
    axes[0].imshow(ref, extent=extent, cmap=ListedColormap(["#ffffff", "#cfcfcf", "#1b9e77", "#f4e3a1"]),
                   vmin=0, vmax=3, interpolation="nearest")
    axes[0].set_title("Hansen (analysed area): green loss 2014-15, grey stable, yellow excluded;\n"
                      "red: alert polygons", fontsize=9)
    for a in alerts:
        for poly in getattr(a.geometry, "geoms", [a.geometry]):
            axes[0].plot(*poly.exterior.xy, color="red", lw=0.8)
    cmap = ListedColormap(["#ffffff", "#cfcfcf", "#1b9e77", "#d95f02", "#7570b3"])
    axes[1].imshow(cls, extent=extent, cmap=cmap, vmin=0, vmax=4, interpolation="nearest")
    axes[1].set_title(f"alerts vs Hansen: green TP, orange FP, purple FN, grey TN "
                      f"(UA {rep['count']['ua']:.2f}, PA {rep['count']['pa']:.2f})", fontsize=9)
    for ax in axes:
        ax.tick_params(labelsize=6)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
    fig.tight_layout()
    fig.savefig(OUT / "bolivia_hansen.png", dpi=110)
    print("written", OUT / "bolivia_hansen.png", OUT / "bolivia_sensitivity.md")


if __name__ == "__main__":
    main()
