"""Detection and model products: raster layout, COG assembly from chunk files, STAC items.

A detection product is a folder of single-band COGs (one per :data:`OUTPUTS` entry) registered
as a STAC Item in collection ``yvy-detections``; the history model it was monitored with is a
folder of multi-band GeoTIFFs (one per model array) registered in ``yvy-models``. Files are
versioned (``v1/``, ``v2/`` ...): an update writes a new version, the catalog item is switched
to it in one transaction and only then is the old version deleted, so a kill never leaves the
catalog pointing at half-updated files.

Chunk results travel as ``.npz`` files in a scratch folder; :func:`assemble` writes each raster
window by window into a tiled GeoTIFF and converts it to a COG, so memory stays bounded by one
chunk whatever the size of the grid.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import atomic_path

__all__ = [
    "BREAKS_BANDS",
    "STAC_VERSION",
    "CONFIRM_RULE",
    "DETECTIONS",
    "MODELS",
    "OUTPUTS",
    "Output",
    "assemble",
    "collection_dict",
    "load_chunk",
    "raster_asset",
    "read_window",
    "same_bits",
    "save_chunk",
    "write_breaks",
]

STAC_VERSION = "1.1.0"
"""STAC version of the products and collections yvy writes."""

DETECTIONS = "yvy-detections"
MODELS = "yvy-models"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"
GTIFF = "image/tiff; application=geotiff"

CONFIRM_RULE = (
    "confirm_count = number of valid observations on or after the break date whose residual "
    "from the history model (observed - predicted) is below -2 x the history residual standard "
    "deviation; prev_obs_days = date (days since 1970-01-01) of the last valid observation "
    "before the break"
)


@dataclass(frozen=True)
class Output:
    """One per-pixel output raster of a detection product."""

    name: str
    dtype: str
    nodata: float | int
    description: str
    unit: str | None = None


OUTPUTS: tuple[Output, ...] = (
    Output("break_decimal_year", "float64", np.nan,
           "date of the first break, decimal year in R's bfastts time base (NaN: no break)", "year"),
    Output("break_days", "float32", np.nan, "date of the first break, days since 1970-01-01", "day"),
    Output("magnitude", "float32", np.nan, "median residual over the monitoring period"),
    Output("break_magnitude", "float32", np.nan,
           "median residual on and after the break (NaN: no break); the loss evidence of a one-sided test"),
    Output("statistic", "float32", np.nan, "MOSUM test statistic"),
    Output("history_start", "float64", np.nan, "start of the stable history, decimal year", "year"),
    Output("history_valid_count", "float32", np.nan, "valid observations in the stable history"),
    Output("status", "int8", -128, "1 break, 0 no break, -2 too little history, -128 outside the AOI"),
    Output("confirm_count", "int16", -1, CONFIRM_RULE),
    Output("prev_obs_days", "float32", np.nan,
           "last valid observation before the break, days since 1970-01-01", "day"),
    Output("forest_history", "uint8", 255,
           "forest during the history from the fitted history year (yvy:forest_rule): 1 forest, "
           "0 not forest, 255 unknown (no fit, or no rule for the index)"),
)
"""Rasters of a detection product, in asset order."""

BREAKS_BANDS = ("break_decimal_year", "break_days", "magnitude", "statistic", "history_start",
                "history_valid_count")
"""Band order of ``breaks.tif`` written with ``--out``."""


# -- chunk files --------------------------------------------------------------------------------
def chunk_path(scratch: Path, i: int) -> Path:
    """The scratch file of chunk ``i`` of a job."""
    return Path(scratch) / f"chunk_{i:06d}.npz"


def save_chunk(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write a chunk's arrays atomically (npz)."""
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)  # uncompressed: CPU matters more than scratch disk here


def load_chunk(path: Path):
    """Open a chunk file (lazy ``NpzFile``; use as a context manager)."""
    return np.load(path, allow_pickle=False)


# -- rasters ------------------------------------------------------------------------------------
def _block(n: int) -> int:
    """Tile size for a raster side of ``n`` pixels: 512, or less for a small raster (a multiple of
    16, as TIFF requires), so small products are not padded to 512 x 512 tiles."""
    return min(512, -(-n // 16) * 16)


def _profile(geobox, dtype: str, count: int, nodata) -> dict:
    return {
        "driver": "GTiff", "width": geobox.width, "height": geobox.height, "count": count,
        "dtype": dtype, "crs": geobox.crs.to_wkt(), "transform": geobox.affine, "nodata": nodata,
        "tiled": True, "blockxsize": _block(geobox.width), "blockysize": _block(geobox.height),
        "compress": "deflate", "BIGTIFF": "IF_SAFER",
    }


COG_OPTIONS = {"compress": "DEFLATE", "level": 1}
"""Compression of the product COGs: DEFLATE (readable everywhere) at its fastest level, without a
predictor. On a detection's 11 rasters (``benchmarks/bench_national.py``, results in
``benchmarks/results/bench_national.md`` and ``bench_national.codecs.md``) it encodes in about 0.6
to 0.75 of the CPU time of level 6 with the predictor, decodes faster and is smaller: the
floating-point predictor enlarges the mostly-NaN rasters (break dates) more than it shrinks the
others."""


def _to_cog(src: Path, dest: Path) -> None:
    from rasterio.shutil import copy as rio_copy

    with atomic_path(dest, suffix=".tif") as tmp:
        rio_copy(src, tmp, driver="COG", blocksize=512, overview_resampling="nearest", BIGTIFF="IF_SAFER",
                 **COG_OPTIONS)


@dataclass(frozen=True)
class RasterSpec:
    """A raster to assemble: file name, chunk-array key(s), dtype, nodata, band names."""

    name: str
    keys: tuple[str, ...]
    dtype: str
    nodata: float | int | None
    descriptions: tuple[str, ...]


RAW_SCRATCH_BYTES = 256 * 2**20
"""Largest raster whose scratch copy (before the COG step) is left uncompressed."""


def _raw_bytes(geobox, spec: RasterSpec) -> int:
    return int(geobox.width) * int(geobox.height) * len(spec.descriptions) * np.dtype(spec.dtype).itemsize


def _chunk_array(z, spec: RasterSpec) -> np.ndarray:
    """(bands, h, w) of a spec in one chunk file, in the spec's dtype."""
    parts = [np.asarray(z[k]) for k in spec.keys]
    arr = np.concatenate([p.reshape(-1, p.shape[-2], p.shape[-1]) for p in parts])
    return arr.astype(spec.dtype, copy=False)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-for-bit equality (NaN payloads and signed zeros included)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    as_int = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.itemsize in (1, 2, 4, 8) else None
    if as_int is None:
        return a.tobytes() == b.tobytes()
    return bool(np.array_equal(np.ascontiguousarray(a).view(as_int), np.ascontiguousarray(b).view(as_int)))


def _same_window(ds, arr: np.ndarray, rows: slice, cols: slice) -> bool:
    """Whether ``arr`` equals, bit for bit, a window of the open raster ``ds`` (a thin strip is
    compared first: a changed raster usually differs at once)."""
    strip = min(rows.stop, rows.start + 16)
    for r0, r1 in ((rows.start, strip), (strip, rows.stop)):
        if r1 > r0 and not same_bits(arr[:, r0 - rows.start:r1 - rows.start],
                                      ds.read(window=((r0, r1), (cols.start, cols.stop)))):
            return False
    return True


def assemble(scratch: Path, windows: Sequence[tuple[slice, slice]], geobox, dest: Path,
             specs: Sequence[RasterSpec], chunk_file: Callable[[int], Path], *,
             progress: Callable[[str], None] | None = None,
             previous: Mapping[str, str | Path] | None = None) -> dict[str, Path]:
    """Write each spec as the COG ``dest/<name>.tif`` from the per-chunk npz files.

    A chunk array of shape ``(h, w)`` fills one band; ``(k, h, w)`` fills ``k`` bands. The tiled
    GeoTIFF built in ``scratch`` is converted to a COG (DEFLATE, overviews) that appears
    atomically. Returns name -> written path.

    ``previous`` (an update): name -> file of the previous version; a raster whose values did
    not change is not written again, its previous file is returned instead.
    """
    import rasterio

    dest.mkdir(parents=True, exist_ok=True)
    tmp_dir = scratch / "assemble"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handles = {}
    same = {}  # name -> the previous version's file, open, while every window so far equals it
    try:
        for spec in specs:
            old = (previous or {}).get(spec.name)
            if old is None or not Path(old).exists():
                continue
            ds = rasterio.open(old)
            if ds.count == len(spec.descriptions) and ds.dtypes[0] == np.dtype(spec.dtype).name \
                    and (ds.height, ds.width) == (geobox.height, geobox.width):
                same[spec.name] = ds
            else:
                ds.close()
        for spec in specs:
            prof = _profile(geobox, spec.dtype, len(spec.descriptions), spec.nodata)
            if _raw_bytes(geobox, spec) <= RAW_SCRATCH_BYTES:  # the COG step compresses: once is enough
                prof.pop("compress")
            else:  # a large grid: keep scratch disk bounded, at deflate's cheapest level
                prof["zlevel"] = 1
            handles[spec.name] = rasterio.open(tmp_dir / f"{spec.name}.tif", "w", **prof)
            for i, d in enumerate(spec.descriptions, start=1):
                handles[spec.name].set_band_description(i, d)
        for i, (rows, cols) in enumerate(windows):
            win = ((rows.start, rows.stop), (cols.start, cols.stop))
            with load_chunk(chunk_file(i)) as z:
                for spec in specs:
                    arr = _chunk_array(z, spec)
                    handles[spec.name].write(arr, window=win)
                    if spec.name in same and not _same_window(same[spec.name], arr, rows, cols):
                        same.pop(spec.name).close()
    finally:
        for h in (*handles.values(), *same.values()):
            h.close()
    out = {}
    for spec in specs:
        if progress:
            progress(spec.name)
        tmp, final = tmp_dir / f"{spec.name}.tif", dest / f"{spec.name}.tif"
        if spec.name in same:  # unchanged: the previous file stays (no compression, no overviews)
            tmp.unlink()
            out[spec.name] = Path(previous[spec.name])
            continue
        _to_cog(tmp, final)
        tmp.unlink()
        out[spec.name] = final
    shutil.rmtree(tmp_dir, ignore_errors=True)
    return out


def output_specs(outputs: Sequence[Output] = OUTPUTS) -> list[RasterSpec]:
    """:class:`RasterSpec` of each detection output (BFAST Monitor's by default)."""
    return [RasterSpec(o.name, (o.name,), o.dtype, o.nodata, (o.name,)) for o in outputs]


def write_breaks(files: Mapping[str, Path], geobox, dest: Path, windows,
                 bands: Sequence[str] = BREAKS_BANDS) -> Path:
    """``dest``: one float64 multi-band COG of ``bands`` (:data:`BREAKS_BANDS` by default; NaN where
    no value)."""
    import tempfile

    import rasterio

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".breaks.", dir=dest.parent) as tmp_dir:
        tmp = Path(tmp_dir) / "breaks.tif"
        with rasterio.open(tmp, "w", **_profile(geobox, "float64", len(bands), np.nan)) as out:
            for b, name in enumerate(bands, start=1):
                out.set_band_description(b, name)
            srcs = {n: rasterio.open(files[n]) for n in bands}
            try:
                for rows, cols in windows:
                    win = ((rows.start, rows.stop), (cols.start, cols.stop))
                    for b, name in enumerate(bands, start=1):
                        out.write(srcs[name].read(1, window=win).astype("float64"), b, window=win)
            finally:
                for s in srcs.values():
                    s.close()
        _to_cog(tmp, dest)
    return dest


def read_window(path: str | Path, rows: slice, cols: slice) -> np.ndarray:
    """(bands, h, w) of a window of a raster."""
    import rasterio

    with rasterio.open(path) as ds:
        return ds.read(window=((rows.start, rows.stop), (cols.start, cols.stop)))


# -- STAC ---------------------------------------------------------------------------------------
def collection_dict(collection_id: str) -> dict:
    """STAC Collection for detection or model products."""
    what = ("BFAST Monitor change-detection products" if collection_id == DETECTIONS
            else "BFAST Monitor history models (per-pixel coefficients and monitoring state)")
    return {
        "type": "Collection", "stac_version": STAC_VERSION, "id": collection_id, "description": what,
        "license": "proprietary", "links": [],
        "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]}, "temporal": {"interval": [[None, None]]}},
    }


def raster_asset(path: Path, title: str, dtype: str, nodata, unit: str | None = None,
                 bands: int = 1, media: str = COG) -> dict:
    """STAC asset dict for a product raster."""
    nd = None if nodata is None else ("nan" if isinstance(nodata, float) and np.isnan(nodata) else nodata)
    rb = {"data_type": dtype, "nodata": nd}
    if unit:
        rb["unit"] = unit
    return {"href": str(Path(path).absolute()), "type": media, "title": title, "roles": ["data"],
            "raster:bands": [dict(rb) for _ in range(bands)]}


def grid_properties(geobox) -> dict:
    """proj: fields of a geobox."""
    epsg = geobox.crs.epsg
    props = {"proj:shape": [int(geobox.height), int(geobox.width)],
             "proj:transform": [float(v) for v in list(geobox.affine)[:6]]}
    if epsg:
        props["proj:code"] = f"EPSG:{epsg}"
    else:
        props["proj:code"] = None
        props["proj:wkt2"] = geobox.crs.to_wkt()
    return props


def geobox_from_properties(props: Mapping):
    """The GeoBox recorded by :func:`grid_properties`."""
    from affine import Affine
    from odc.geo.geobox import GeoBox

    crs = props.get("proj:code") or props.get("proj:wkt2")
    h, w = props["proj:shape"]
    return GeoBox((h, w), Affine(*props["proj:transform"]), crs)


def json_ready(value):
    """Make numpy scalars/arrays JSON-able."""
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
