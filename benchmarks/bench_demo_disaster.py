"""The demo's disaster products against the truth they were made from: ``yvy demo --no-serve`` with
its defaults (300 px site, seed 0), then the burnt paddock (``demo/fire_truth.geojson``) against the
fire event and the burn scars, and ``flood.tif`` against ``disaster/s1/flood_truth.tif``.

One run (the demo is seeded and deterministic). Usage::

    .venv/bin/python benchmarks/bench_demo_disaster.py

Writes ``benchmarks/results/bench_demo_disaster.md``. Not collected by pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import rasterio
import shapely
from _results import recorded
from shapely.geometry import shape

YVY = str(Path(sys.executable).with_name("yvy"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "ws"
        subprocess.run([YVY, "--quiet", "--home", str(home), "demo", "--no-serve"], check=True,
                       stdout=subprocess.DEVNULL)
        fire = json.loads((home / "demo" / "fire_truth.geojson").read_text())["features"][0]
        burnt = shape(fire["geometry"])
        events = json.loads(subprocess.run([YVY, "--home", str(home), "fires", "list", "--json"], check=True,
                                           capture_output=True, text=True).stdout)
        burn = json.loads((home / "disaster" / "burn" / "burn.json").read_text())
        scars = json.loads((home / "disaster" / "burn" / "burn_scars.geojson").read_text())["features"]
        mapped = shapely.union_all([shape(f["geometry"]) for f in scars])
        with rasterio.open(home / "disaster" / "flood" / "flood.tif") as a, \
                rasterio.open(home / "disaster" / "s1" / "flood_truth.tif") as b:
            flood, truth = a.read(1) == 1, b.read(1) == 1
        water = json.loads(subprocess.run([YVY, "--home", str(home), "scenes", "--json"], check=True,
                                          capture_output=True, text=True).stdout)
    print(f"pasture fire of {fire['properties']['date']}, {fire['properties']['area_ha']} ha burnt (truth)")
    print(f"- fire events from the FIRMS-like hotspots: {len(events)}; hotspots {[e['hotspots'] for e in events]}, "
          f"start {[e['start'] for e in events]}")
    inter = mapped.intersection(burnt).area
    print(f"- burn scars: {len(scars)} polygons, {sum(v for k, v in burn['hectares'].items() if k != 'regrowth'):.1f} "
          f"ha burnt by class {burn['hectares']}; recall of the burnt paddock {inter / burnt.area:.3f}, "
          f"precision {inter / mapped.area:.3f}")
    iou = (flood & truth).sum() / (flood | truth).sum()
    print(f"flood: {truth.sum() / 100:.1f} ha flooded (truth), {flood.sum() / 100:.1f} ha mapped, IoU {iou:.3f}")
    print(f"catalog items after the demo: {len(water['features'])}")


if __name__ == "__main__":
    with recorded("bench_demo_disaster", runs=1, note="`yvy demo --no-serve` defaults (300 px, seed 0)"):
        main()
