"""Agreement checks of ``yvy flood map`` that can be made without the held-back hand label.

1. Synthetic scenes with known water (``yvy.testing.disaster``: gamma speckle, 4.4 looks, water
   -23 dB / land -14 dB VH) at 2 %, 10 % and 30 % water: IoU against the truth, tiled threshold
   vs a global Otsu threshold on the same filtered image.
2. The shared Sen1Floods11 chip (Spain_7370579): our VH threshold vs the event's own Otsu VH
   threshold (Sen1Floods11_Metadata.geojson), and IoU of our water maps (radar only, radar +
   optical) against NDWI > 0 on the clear optical pixels (NDWI is not the truth: the issue
   quotes NDWI > 0 at IoU 0.68 against the hand label). No parameter was tuned on this chip.

Usage::

    .venv/bin/python benchmarks/check_flood_agreement.py      # one run (deterministic)

Results: ``benchmarks/results/flood_agreement.{json,md}``. Not collected by pytest.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import rasterio

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("YVY_TEST_DATA", HERE.parent.parent / "shared" / "data"))


def iou(a, b) -> float:
    return round(float((a & b).sum() / max((a | b).sum(), 1)), 4)


def synthetic(tmp: Path) -> list[dict]:
    from yvy.disaster.flood import FloodParams, map_water
    from yvy.kernels import water as wk
    from yvy.testing.disaster import s1_flood_scene, water_shapes

    rows = []
    lo, hi, n = FloodParams().db_range
    for frac in (0.02, 0.10, 0.30):
        truth = water_shapes((800, 800), frac, seed=21)
        scene = s1_flood_scene(tmp / f"s{frac}.tif", truth, seed=22)
        res = map_water(scene, tmp / f"o{frac}")
        with rasterio.open(res.water) as ds:
            w = ds.read(1) == 1
        with rasterio.open(scene) as ds:
            vh = wk.lee_filter_db(ds.read(2))
        t_glob = wk.otsu_threshold(np.histogram(vh, bins=n, range=(lo, hi))[0], lo, hi)
        rows.append({"water_fraction": frac, "iou_tiled": iou(w, truth), "threshold_tiled": res.thresholds["vh_db"],
                     "iou_global_otsu": iou(vh < t_glob, truth), "threshold_global_otsu": round(t_glob, 2)})
    return rows


def chip(tmp: Path) -> dict:
    from yvy.disaster.flood import map_water
    from yvy.kernels import water as wk

    s1, s2 = DATA / "flood" / "Spain_7370579_S1Hand.tif", DATA / "flood" / "Spain_7370579_S2Hand.tif"
    meta = json.loads((DATA / "flood" / "Sen1Floods11_Metadata.geojson").read_text())
    event = next(f["properties"] for f in meta["features"] if f["properties"]["location"] == "Spain")
    radar = map_water(s1, tmp / "radar")
    fused = map_water(s1, tmp / "fused", optical=s2)
    with rasterio.open(s2) as ds:
        b = {d: ds.read(i + 1) for i, d in enumerate(ds.descriptions)}
    ndwi, _ = wk.optical_water_indices(b["B3"], b["B8"], b["B11"], b["B2"], b["B10"])
    clear = np.isfinite(ndwi)
    opt = (ndwi > 0) & clear
    with rasterio.open(s1) as ds:
        vh_raw = ds.read(2)
    maps = {}
    for name, res in (("radar", radar), ("radar+optical", fused)):
        with rasterio.open(res.water) as ds:
            maps[name] = ds.read(1) == 1
    maps["event Otsu VH threshold, unfiltered"] = vh_raw < event["VH_thresh"]
    return {"event_vh_threshold_db": event["VH_thresh"], "our_vh_threshold": radar.thresholds["vh_db"],
            "mndwi_threshold": fused.thresholds.get("mndwi"), "optical_clear_fraction": fused.optical_clear_fraction,
            "water_fraction": {k: round(float(v.mean()), 4) for k, v in maps.items()} | {"NDWI>0": round(
                float(opt.mean()), 4)},
            "iou_vs_ndwi_on_clear": {k: iou(v & clear, opt) for k, v in maps.items()}}


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        out = {"runs": 1, "synthetic": synthetic(tmp), "chip": chip(tmp) if (DATA / "flood").exists() else None}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "flood_agreement.json").write_text(json.dumps(out, indent=1))
    lines = ["# flood agreement checks\n", "`benchmarks/check_flood_agreement.py` (1 run, deterministic)\n",
             "## Synthetic scenes (truth known)\n", "| water | IoU tiled | VH threshold tiled | IoU global Otsu | "
             "global Otsu threshold |", "|---|---|---|---|---|"]
    for r in out["synthetic"]:
        lines.append(f"| {r['water_fraction']:.0%} | {r['iou_tiled']} | {r['threshold_tiled']['value']} "
                     f"({r['threshold_tiled']['tiles_selected']} tiles) | {r['iou_global_otsu']} | "
                     f"{r['threshold_global_otsu']} |")
    c = out["chip"]
    if c:
        lines += ["\n## Sen1Floods11 Spain_7370579 (hand label held back: no IoU against it here)\n",
                  f"VH threshold: ours {c['our_vh_threshold']['value']} dB "
                  f"({c['our_vh_threshold']['tiles_selected']} of {c['our_vh_threshold']['tiles_total']} tiles "
                  f"bimodal), the event's Otsu {c['event_vh_threshold_db']} dB; MNDWI threshold "
                  f"{c['mndwi_threshold']}; optical clear on {c['optical_clear_fraction']:.1%}.\n",
                  "| map | water fraction | IoU vs NDWI > 0 (clear pixels) |", "|---|---|---|"]
        for k, v in c["iou_vs_ndwi_on_clear"].items():
            lines.append(f"| {k} | {c['water_fraction'][k]} | {v} |")
        lines.append(f"| NDWI > 0 | {c['water_fraction']['NDWI>0']} | 1 |")
    md = "\n".join(lines) + "\n"
    (HERE / "results" / "flood_agreement.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
