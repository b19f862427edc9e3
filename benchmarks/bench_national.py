"""Benchmark: the national daily job, scaled down: CPU-µs per pixel of full detection and of
one-scene updates after 1, 12 and 36 months of monitoring, through the real CLI on COG scenes,
split by stage, and the national daily time extrapolated from it.

The mosaic is one tile of the demo generator's Sentinel-2 L2A COGs (``--size`` px square, a 5-day
revisit over ``1 + 3`` years: one year of history, three of monitoring), which is Paraguay's daily
0.96 G new pixels (docs/capacity.md) scaled by ``size**2 / 0.96e9``. For each monitoring length M
(1, 12, 36 months) a fresh workspace ingests every scene up to M months after the monitoring start
but the newest, runs ``yvy detect`` (full detection, alerts included), then ingests the newest
scene and runs ``yvy monitor update`` (one-scene update, alerts included) ``--repeats`` times,
each on a fresh copy of the workspace; figures are medians.

CPU time is the process's (all threads), counted per stage by wrapping the stage's entry points
(outermost call only): ``decode`` (the cube's window reads, minus the mask), ``mask`` (quality-band
masks, CPU time of the decoding threads), ``state`` (reading the stored model), ``kernel``
(BFAST Monitor fit or update plus the alert helpers), ``write`` (chunk files, COGs, model, catalog),
``alerts`` (breaks to alert polygons and their store) and ``other`` (the rest: planning, catalog
queries, CLI start-up). Numba kernels are compiled and cached before timing.

``--baseline-python`` runs the same benchmark under another interpreter (e.g. the main branch's
venv) in the same session, so old and new paths are measured under the same load.

``--codecs`` (default) also compares COG settings on the last detection's rasters; ``--codecs-only
FOLDER`` does only that, on a product version folder (e.g. a larger workspace's).

Usage: python benchmarks/bench_national.py [--size 200] [--repeats 3] [--baseline-python PATH]

Results: ``benchmarks/results/bench_national.{md,json}`` at 200 px (the default),
``bench_national_<size>.{md,json}`` at another size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "2")

PARAGUAY_DAILY_PX = 0.96e9
"""New pixels a day for Paraguay at a 5-day Sentinel-2 revisit (docs/capacity.md)."""
MONTHS = (1, 12, 36)
STAGES = ("decode", "mask", "state", "kernel", "write", "alerts", "other")


class Stages:
    """CPU seconds per stage: wrappers that count the outermost call of each entry point."""

    def __init__(self):
        self.cpu = dict.fromkeys(STAGES, 0.0)
        self._depth = 0

    def wrap(self, owner, name: str, stage: str, clock=time.process_time) -> None:
        fn = getattr(owner, name, None)
        if fn is None:
            return
        outer = self

        def wrapped(*a, **kw):
            if clock is time.process_time and outer._depth:
                return fn(*a, **kw)
            outer._depth += clock is time.process_time
            c0 = clock()
            try:
                return fn(*a, **kw)
            finally:
                outer.cpu[stage] += clock() - c0
                outer._depth -= clock is time.process_time

        setattr(owner, name, wrapped)

    def reset(self):
        self.cpu = dict.fromkeys(STAGES, 0.0)


def _instrument() -> Stages:
    import yvy.change._engine as engine
    import yvy.change._publish as pub
    try:
        import yvy.change._state as state
    except ImportError:  # a baseline before the state was stored per chunk
        state = None
    import yvy.change.detect as det
    import yvy.change.monitor as mon
    import yvy.change.product as prod
    import yvy.cli._alerting as cal
    import yvy.cli.detect as cdet
    import yvy.cli.monitor as cmon
    from yvy.cube.build import ItemCube
    from yvy.cube.mask import SensorSpec

    st = Stages()
    st.wrap(ItemCube, "read", "decode")
    st.wrap(SensorSpec, "invalid_mask", "mask", clock=time.thread_time)  # runs in decoding threads
    st.wrap(mon, "_model_chunk", "state")
    for name in ("detect", "update"):
        st.wrap(engine, name, "kernel")
    for mod in (det, mon, prod):
        st.wrap(mod, "save_chunk", "write")
    if state is not None:
        st.wrap(state, "save_state", "write")
    st.wrap(mon, "publish", "write")
    st.wrap(pub, "publish", "write")
    for mod in (cal, cdet, cmon):
        st.wrap(mod, "alerts_from_product", "alerts")
    return st


def _warm_kernels() -> None:
    """Compile (or load from numba's cache) the kernels the pipeline uses, outside the timing."""
    import numpy as np

    from yvy.change import _engine as engine

    rng = np.random.default_rng(0)
    t = 2020 + np.arange(60) / 23
    y = (0.6 + 0.1 * np.sin(2 * np.pi * t)[:, None] + rng.normal(0, 0.02, (60, 40))).astype(np.float32)
    days = np.arange(60, dtype=np.int64) * 16
    params = engine.make_params(3, True, 0.25, 0.05, "all", "negative")
    res = engine.detect(y[:50], t[:50], days[:50], 2021.0, params)
    engine.update(res["model"], res["state"], y[50:], t[50:], days[50:])


def _cli(home: Path, *args: str) -> None:
    from yvy.cli.main import cli

    try:
        cli.main(args=["--home", str(home), "--quiet", *args], standalone_mode=False)
    except SystemExit as exc:  # pragma: no cover - a failing step fails the benchmark
        if exc.code:
            raise


@contextmanager
def _measured(st: Stages, out: dict):
    st.reset()
    c0, w0 = time.process_time(), time.perf_counter()
    yield
    total = time.process_time() - c0
    out.update(cpu_s=total, wall_s=time.perf_counter() - w0,
               stages={**{k: v for k, v in st.cpu.items() if k != "other"}})
    out["stages"]["decode"] -= out["stages"]["mask"]
    out["stages"]["other"] = total - sum(out["stages"].values())


def _file_bytes(folder: Path, written_only: bool = False) -> int:
    """Bytes of the files under ``folder`` (a model's .npy chunks or, for one written before,
    GeoTIFFs); ``written_only``: leave out hard links to another version's files (not written)."""
    return sum(st.st_size for f in folder.rglob("*") if f.is_file()
               for st in [f.stat()] if not (written_only and st.st_nlink > 1))


COG_CODECS = {
    "DEFLATE 6 + predictor (before)": {"compress": "DEFLATE", "predictor": "YES"},
    "DEFLATE 1 (now)": {"compress": "DEFLATE", "level": 1},
    "DEFLATE 1 + predictor": {"compress": "DEFLATE", "predictor": "YES", "level": 1},
    "ZSTD 1 + predictor": {"compress": "ZSTD", "predictor": "YES", "level": 1},
    "LZW + predictor": {"compress": "LZW", "predictor": "YES"},
}
"""COG settings compared on a detection's rasters (``--codecs``)."""


def _codecs(folder: Path, repeats: int) -> dict:
    """CPU-us per pixel to encode (COG driver, from an uncompressed tiled GeoTIFF, as
    :func:`yvy.change.product._to_cog` does) and decode every raster of a detection product, and
    its size, for each of :data:`COG_CODECS` (median of ``repeats`` encodings; lossless checked)."""
    import numpy as np
    import rasterio
    from rasterio.shutil import copy as rio_copy

    files = sorted(folder.glob("*.tif"))
    out = {name: {"encode_s": 0.0, "decode_s": 0.0, "bytes": 0} for name in COG_CODECS}
    px = 0
    with tempfile.TemporaryDirectory(prefix="yvy-codecs-") as tmp:
        raw, dest = Path(tmp) / "raw.tif", Path(tmp) / "cog.tif"
        for f in files:
            with rasterio.open(f) as ds:
                arr, prof = ds.read(), ds.profile
            px = prof["width"] * prof["height"]
            prof.pop("compress", None)
            prof.update(tiled=True, blockxsize=min(512, -(-prof["width"] // 16) * 16),
                        blockysize=min(512, -(-prof["height"] // 16) * 16))
            with rasterio.open(raw, "w", **prof) as ds:
                ds.write(arr)
            for name, opts in COG_CODECS.items():
                times = []
                for _ in range(repeats):
                    c0 = time.process_time()
                    rio_copy(raw, dest, driver="COG", blocksize=512, overview_resampling="nearest", **opts)
                    times.append(time.process_time() - c0)
                c0 = time.process_time()
                with rasterio.open(dest) as ds:
                    back = ds.read()
                out[name]["decode_s"] += time.process_time() - c0
                out[name]["encode_s"] += statistics.median(times)
                out[name]["bytes"] += dest.stat().st_size
                assert np.array_equal(back, arr, equal_nan=arr.dtype.kind == "f"), (f.name, name)
    return {"pixels": px, "rasters": len(files), "codecs": out}


def _codec_lines(c: dict, what: str) -> list[str]:
    lines = [f"COG settings on the {c['rasters']} rasters of {what} ({c['pixels']:,} px each; "
             "CPU-us per grid pixel, all rasters together):"]
    for name, v in c["codecs"].items():
        lines.append(f"  {name:<32} encode {_us(v['encode_s'], c['pixels']):6.2f}  decode "
                     f"{_us(v['decode_s'], c['pixels']):5.2f}  size {v['bytes'] / c['pixels']:6.2f} bytes/px")
    return lines


def _scenario(root: Path, scenes: list, dates: list, months: int, a, st: Stages, demo) -> dict:
    first = dates[0]
    mstart = date(first.year + 1, 1, 1)
    end_m = mstart.month - 1 + months
    cut = date(mstart.year + end_m // 12, end_m % 12 + 1, 1)
    use = [s for s, d in zip(scenes, dates, strict=True) if d < cut]
    older, newest = use[:-1], use[-1]
    home = root / f"m{months}"
    root.mkdir(parents=True, exist_ok=True)
    _cli(home, "init", str(home))
    _cli(home, "ingest", *map(str, older))
    minx, miny, maxx, maxy = demo.bounds_lonlat
    det: dict = {}
    with _measured(st, det):
        _cli(home, "detect", "--bbox", f"{minx},{miny},{maxx},{maxy}", "--index", "ndvi",
             "--history-start", first.isoformat(), "--monitor-start", mstart.isoformat(),
             "--direction", "negative", "--collection", "sentinel-2-l2a", "--chunk", str(a.chunk))
    det.update(dates=len(older), monitor_dates=sum(1 for d in dates[:len(older)] if d >= mstart),
               model_bytes=_file_bytes(home / "assets" / "models"))  # what an update reads
    codecs = None
    if getattr(a, "codecs", False) and months == MONTHS[-1]:
        codecs = _codecs(next((home / "assets" / "detections").glob("*/v1")), a.repeats)
    _cli(home, "ingest", str(newest))
    ups = []
    for r in range(a.repeats):
        copy = root / f"m{months}-r{r}"
        shutil.copytree(home, copy)
        up: dict = {}
        with _measured(st, up):
            _cli(copy, "monitor", "update")
        ups.append(up)
        # the copy's catalog still points at v1 in home: its v2 links v1's unchanged chunks there
        written = _file_bytes(copy / "assets" / "models", written_only=True)
        shutil.rmtree(copy)
    up = {"cpu_s": statistics.median(u["cpu_s"] for u in ups),
          "wall_s": statistics.median(u["wall_s"] for u in ups),
          "stages": {k: statistics.median(u["stages"][k] for u in ups) for k in STAGES},
          "written_bytes": written}
    return {"months": months, "detect": det, "update": up, "codecs": codecs}


def run(a) -> dict:
    from yvy.demo import generate_demo

    st = _instrument()
    _warm_kernels()
    with tempfile.TemporaryDirectory(prefix="yvy-national-") as tmp:
        root = Path(tmp)
        demo = generate_demo(root / "scenes", size_px=a.size, years=4, seed=0)
        pairs = sorted(zip(demo.dates, demo.scene_dirs, strict=True))
        dates, scenes = [d for d, _ in pairs], [s for _, s in pairs]
        warm = argparse.Namespace(**{**vars(a), "repeats": 1})  # first use of every kernel and import
        _scenario(root / "warm-up", scenes, dates, MONTHS[0], warm, st, demo)
        res = [_scenario(root, scenes, dates, m, a, st, demo) for m in MONTHS]
    return {"pixels": a.size * a.size, "size": a.size, "repeats": a.repeats, "scenarios": res,
            "python": sys.executable}


def _us(sec: float, px: int) -> float:
    return 1e6 * sec / px


def _report(label: str, r: dict, cores: int) -> list[str]:
    px = r["pixels"]
    lines = [f"[{label}] {px:,} px per scene ({r['size']} x {r['size']}), {sys.platform}, "
             f"median of {r['repeats']} updates", "",
             f"{'step':<26}{'CPU-us/px':>10}{'wall s':>8}  " + " ".join(f"{s:>7}" for s in STAGES)]
    for s in r["scenarios"]:
        for kind in ("detect", "update"):
            d = s[kind]
            name = (f"detect {d['dates']} dates" if kind == "detect" else "update 1 scene") + f" @{s['months']}mo"
            lines.append(f"{name:<26}{_us(d['cpu_s'], px):>10.2f}{d['wall_s']:>8.2f}  "
                         + " ".join(f"{_us(d['stages'][k], px):>7.2f}" for k in STAGES))
    lines.append("")
    for s in r["scenarios"]:
        cpu_min = PARAGUAY_DAILY_PX * _us(s["update"]["cpu_s"], px) * 1e-6 / 60
        lines.append(f"after {s['months']:>2} months: national daily update {cpu_min / 60:6.2f} CPU-h = "
                     f"{cpu_min / cores:7.1f} min on one {cores}-core server, "
                     + ", ".join(f"{cpu_min / n:6.1f} min on {n} Dask workers" for n in (16, 64))
                     + " (one core each, linear scaling assumed)")
        lines.append(f"{'':16}stored model read by the update {s['detect']['model_bytes'] / px:6.0f} bytes/px, "
                     f"written by it {s['update']['written_bytes'] / px:4.0f} bytes/px")
    for s in r["scenarios"]:
        if s.get("codecs"):
            lines += ["", *_codec_lines(s["codecs"], f"the {s['months']}-month detection")]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=200, help="tile side in pixels (demo generator, 100..2000)")
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cores", type=int, default=2, help="cores of the server the extrapolation assumes")
    ap.add_argument("--baseline-python", help="also run under this interpreter (the old path)")
    ap.add_argument("--json-out", help=argparse.SUPPRESS)
    ap.add_argument("--note", default="", help="a line for the results file (e.g. the machine's load)")
    ap.add_argument("--codecs", action=argparse.BooleanOptionalAction, default=True,
                    help="also compare COG settings on the last detection's rasters (this run only)")
    ap.add_argument("--codecs-only", metavar="FOLDER",
                    help="only compare COG settings on the rasters of a detection product's version folder "
                         "(results: bench_national.codecs.md)")
    a = ap.parse_args()
    if a.codecs_only:
        from datetime import UTC, datetime

        lines = _codec_lines(_codecs(Path(a.codecs_only), a.repeats), f"{Path(a.codecs_only).parent.name}")
        print("\n".join(lines))
        results = Path(__file__).resolve().parent / "results" / "bench_national.codecs.md"
        results.write_text("\n".join([
            "# bench_national --codecs-only", "",
            f"- command: `python benchmarks/bench_national.py {' '.join(sys.argv[1:])}`",
            f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; encodings: median of {a.repeats}",
            *([f"- note: {a.note}"] if a.note else []), "", "```", *lines, "```", ""]))
        return
    if a.json_out:  # child run for --baseline-python
        Path(a.json_out).write_text(json.dumps(run(a)))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from _results import RESULTS, recorded

    name = "bench_national" if a.size == 200 else f"bench_national_{a.size}"  # 200 px: the figures before
    with recorded(name, a.repeats, a.note, script="bench_national.py"):
        results = {"this": run(a)}
        if a.baseline_python:
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                subprocess.run([a.baseline_python, __file__, "--size", str(a.size), "--chunk", str(a.chunk),
                                "--repeats", str(a.repeats), "--no-codecs", "--json-out", f.name], check=True)
                results["baseline"] = json.loads(Path(f.name).read_text())
        for label, r in results.items():
            print("\n".join(_report(label, r, a.cores)), "\n")
        if "baseline" in results:
            for new, old in zip(results["this"]["scenarios"], results["baseline"]["scenarios"], strict=True):
                print(f"@{new['months']}mo: update CPU new/old {new['update']['cpu_s'] / old['update']['cpu_s']:.2f}, "
                      f"detect CPU new/old {new['detect']['cpu_s'] / old['detect']['cpu_s']:.2f}")
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
