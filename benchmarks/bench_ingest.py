"""Benchmark: registering scenes reads metadata, not pixels.

Writes N scene files (each a 1,024 x 1,024 uint16 DEFLATE COG with a date in its name; full
Sentinel-2 bands would only make the checksum pass slower, not the metadata reads), ingests them
into a fresh workspace with checksums on and off, and prints items/s. A second pass shows the
cost of re-ingesting (idempotent upserts).

Usage: python benchmarks/bench_ingest.py [--n 1000] [--size 1024]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin


def write_files(root: Path, n: int, size: int) -> list[Path]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    data = (1000 + 500 * np.sin(xx / 37.0) * np.cos(yy / 53.0)
            + rng.integers(0, 8, (size, size))).astype("uint16")
    prof = dict(driver="COG", width=size, height=size, count=1, dtype="uint16", crs="EPSG:32720",
                transform=from_origin(600000, 7560000, 10, 10), compress="deflate", nodata=0)
    template = root / "template.tif"
    with rasterio.open(template, "w", **prof) as ds:
        ds.write(data, 1)
    blob = template.read_bytes()
    template.unlink()
    paths = []
    d0 = date(2020, 1, 1)
    for i in range(n):
        p = root / "scenes" / f"scene_{(d0 + timedelta(days=i)).strftime('%Y%m%d')}_{i:04d}.tif"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(blob)
        paths.append(p)
    os.sync()  # keep write-back of the test files out of the timings
    return paths


def run(n: int, size: int, repeats: int) -> None:
    from yvy.catalog.formats import IngestOptions
    from yvy.catalog.ingest import ingest_paths
    from yvy.config import Workspace
    from yvy.storage import open_store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_files(root, n, size)
        mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"{n} files, {size}x{size} uint16 COG, {mb:.0f} MB on disk")
        for checksum in (False, True):
            times = []
            for r in range(repeats):
                ws = Workspace.create(root / f"ws-{checksum}-{r}")
                store = open_store(ws.database_url, create=True)
                t0 = time.perf_counter()
                rep = ingest_paths(store, [root / "scenes"], IngestOptions(checksum=checksum))
                times.append(time.perf_counter() - t0)
                assert rep.ok and len(rep.created) == n, rep.summary()
            t0 = time.perf_counter()
            rep = ingest_paths(store, [root / "scenes"], IngestOptions(checksum=checksum))
            again = time.perf_counter() - t0
            assert len(rep.updated) == n and store.count_items() == n
            med = statistics.median(times)
            print(f"checksum={'on ' if checksum else 'off'}  first ingest median {med:6.2f} s  "
                  f"{n / med:7.0f} items/s   re-ingest {again:6.2f} s ({n / again:7.0f} items/s)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--note", default="", help="a line for the results file (e.g. the machine's load)")
    a = ap.parse_args()
    from _results import recorded

    with recorded("bench_ingest", a.repeats, a.note):
        run(a.n, a.size, a.repeats)
