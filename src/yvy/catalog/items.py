"""Raster headers -> STAC Items: the builder every format reader shares.

:func:`read_raster` reads one raster's header (never its pixels) into a :class:`RasterInfo`;
:func:`build_item` turns named rasters plus reader-supplied band and scene metadata into a
``pystac.Item`` with the projection, eo, raster and file extensions, a WGS84 footprint and bbox.
:func:`validate_item` checks an Item against the core STAC schema that pystac ships (offline).

Band metadata is written in two forms that describe the same values, so both STAC 1.1 readers
and Earth Search v1 style readers (odc-stac aliases, ``eo:bands`` / ``raster:bands``) find it:

* ``bands``: ``name, description, data_type, nodata, unit, eo:common_name,
  eo:center_wavelength, raster:scale, raster:offset, raster:spatial_resolution``
* ``eo:bands`` (``name, common_name, description, center_wavelength``) and ``raster:bands``
  (``data_type, nodata, scale, offset, spatial_resolution, unit``).

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import posixpath
import struct
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pystac

from ..dates import as_utc, to_iso
from ..errors import CorruptRasterError, InputError
from ..io import multihash_sha256, open_member, open_raster, sha256_file, split_vsi

__all__ = [
    "BandInfo",
    "RasterInfo",
    "AssetSpec",
    "read_raster",
    "build_item",
    "validate_item",
    "link_collection",
    "COLLECTION_HREF",
    "basename",
    "dirname",
    "read_bytes",
    "is_raster_name",
    "file_size",
    "footprint",
    "PROJ_EXT",
    "EO_EXT",
    "RASTER_EXT",
    "FILE_EXT",
    "SAT_EXT",
    "MGRS_EXT",
    "VIEW_EXT",
]

PROJ_EXT = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
EO_EXT = "https://stac-extensions.github.io/eo/v1.1.0/schema.json"
RASTER_EXT = "https://stac-extensions.github.io/raster/v1.1.0/schema.json"
FILE_EXT = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
SAT_EXT = "https://stac-extensions.github.io/sat/v1.0.0/schema.json"
MGRS_EXT = "https://stac-extensions.github.io/mgrs/v1.0.0/schema.json"
VIEW_EXT = "https://stac-extensions.github.io/view/v1.0.0/schema.json"

COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
MEDIA_TYPES = {
    "GTiff": str(pystac.MediaType.GEOTIFF),
    "COG": COG_MEDIA_TYPE,
    "JP2OpenJPEG": str(pystac.MediaType.JPEG2000),
    "JPEG2000": str(pystac.MediaType.JPEG2000),
}
_DATA_TYPES = {"complex64": "cfloat32", "complex128": "cfloat64", "complex_int16": "cint16"}


@dataclass(frozen=True)
class BandInfo:
    """What a reader knows about one band beyond its header (all optional)."""

    name: str | None = None
    description: str | None = None
    common_name: str | None = None
    center_wavelength: float | None = None
    """Micrometres."""
    full_width_half_max: float | None = None
    scale: float | None = None
    """Physical value = DN * scale + offset; overrides the header's scale."""
    offset: float | None = None
    nodata: float | None = None
    """Overrides the header's nodata (e.g. 0 for Sentinel-2 L2A JP2s, which carry none)."""
    unit: str | None = None


@dataclass(frozen=True)
class RasterInfo:
    """Header facts of one raster, read by :func:`read_raster`."""

    href: str
    driver: str
    crs_code: str | None
    """``EPSG:nnnn`` when the CRS has an EPSG code, else None."""
    crs_wkt2: str
    shape: tuple[int, int]
    transform: tuple[float, float, float, float, float, float]
    bounds: tuple[float, float, float, float]
    count: int
    dtypes: tuple[str, ...]
    nodata: float | None
    descriptions: tuple[str | None, ...]
    scales: tuple[float, ...]
    offsets: tuple[float, ...]
    colorinterp: tuple[str, ...] = ()
    tags: dict = field(default_factory=dict, compare=False, hash=False)
    band_tags: tuple = field(default=(), compare=False, hash=False)
    crs: object = field(default=None, compare=False, hash=False)
    """The rasterio CRS (for reprojection)."""

    @property
    def resolution(self) -> float:
        """Pixel size along x in CRS units."""
        return abs(self.transform[0]) or math.hypot(self.transform[0], self.transform[3])

    def same_grid(self, other: RasterInfo) -> bool:
        """True when both rasters share CRS, shape and transform."""
        return (
            self.crs_wkt2 == other.crs_wkt2
            and self.shape == other.shape
            and all(
                math.isclose(a, b, abs_tol=1e-9) for a, b in zip(self.transform, other.transform, strict=False)
            )
        )


@dataclass(frozen=True)
class AssetSpec:
    """One raster asset for :func:`build_item`."""

    raster: RasterInfo
    bands: Sequence[BandInfo] = ()
    """Per-band extras, in band order; shorter than the band count is fine."""
    title: str | None = None
    roles: tuple[str, ...] = ("data",)


# ---------------------------------------------------------------------------------------------
# Reading headers


def read_raster(href: str) -> RasterInfo:
    """Read one raster's header into a :class:`RasterInfo`; never reads pixels.

    Raises
    ------
    CorruptRasterError
        Unreadable, truncated or not a raster.
    ProjectionError
        No CRS or no georeferencing.
    """
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    href = str(href)
    _check_tiff_complete(href)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        ds = open_raster(href)
    with ds:
        try:
            crs = ds.crs
            epsg = crs.to_epsg()
            t = ds.transform
            info = RasterInfo(
                href=href,
                driver=ds.driver,
                crs_code=f"EPSG:{epsg}" if epsg else None,
                crs_wkt2=crs.to_wkt(version="WKT2_2019"),
                shape=(ds.height, ds.width),
                transform=(t.a, t.b, t.c, t.d, t.e, t.f),
                bounds=tuple(ds.bounds),
                count=ds.count,
                dtypes=tuple(ds.dtypes),
                nodata=ds.nodata,
                descriptions=tuple(d or None for d in ds.descriptions),
                scales=tuple(ds.scales),
                offsets=tuple(ds.offsets),
                colorinterp=tuple(c.name for c in ds.colorinterp),
                tags=dict(ds.tags()),
                band_tags=tuple(dict(ds.tags(i)) for i in range(1, ds.count + 1)),
                crs=crs,
            )
        except RasterioError as exc:
            raise CorruptRasterError(href, f"unreadable raster header ({exc})") from exc
    if info.count == 0:
        raise CorruptRasterError(href, "raster has no bands")
    return info


_TIFF_TYPES = {3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}
# StripOffsets -> StripByteCounts, TileOffsets -> TileByteCounts
_OFFSET_TAGS = {273: 279, 324: 325}


def _check_tiff_complete(href: str) -> None:
    """Raise CorruptRasterError when a TIFF's strips/tiles point past the end of the file.

    GDAL opens a truncated GeoTIFF whose header survived and only fails when pixels are read;
    this reads the IFDs (header bytes only) to catch it at ingest time.
    """
    try:
        size = file_size(href)
        with open_member(href) as fh:
            head = fh.read(16)
            if head[:4] not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
                return
            end = _tiff_data_end(fh, head, size)
    except (OSError, ValueError, KeyError, struct.error):
        return  # not ours to judge; GDAL will report unreadable files
    if end > size:
        raise CorruptRasterError(
            href, f"truncated or corrupt TIFF: its header points to byte {end} but the file has "
            f"{size} bytes"
        )


def _tiff_data_end(fh, head: bytes, size: int) -> int:
    bo = "<" if head[:2] == b"II" else ">"
    big = head[2:4] in (b"+\x00", b"\x00+")
    off = struct.unpack(bo + ("Q" if big else "I"), head[8:16] if big else head[4:8])[0]
    end, seen = 0, 0
    while off and seen < 64:
        if off + 8 > size:
            return off + 8
        seen += 1
        fh.seek(off)
        n = struct.unpack(bo + ("Q" if big else "H"), fh.read(8 if big else 2))[0]
        esize = 20 if big else 12
        raw = fh.read(n * esize)
        entries = {}
        for i in range(n):
            e = raw[i * esize : (i + 1) * esize]
            tag, typ = struct.unpack(bo + "HH", e[:4])
            cnt = struct.unpack(bo + ("Q" if big else "I"), e[4:12] if big else e[4:8])[0]
            entries[tag] = (typ, cnt, e[12:20] if big else e[8:12])
        for otag, ctag in _OFFSET_TAGS.items():
            if otag in entries and ctag in entries:
                offs = _tiff_values(fh, bo, big, *entries[otag])
                cnts = _tiff_values(fh, bo, big, *entries[ctag])
                end = max([end] + [o + c for o, c in zip(offs, cnts, strict=False) if c])
        fh.seek(off + (8 if big else 2) + n * esize)
        off = struct.unpack(bo + ("Q" if big else "I"), fh.read(8 if big else 4))[0]
    return end


def _tiff_values(fh, bo, big, typ, cnt, inline):
    fmt, width = _TIFF_TYPES.get(typ, ("I", 4))
    nbytes = width * cnt
    if nbytes <= len(inline):
        data = inline[:nbytes]
    else:
        fh.seek(struct.unpack(bo + ("Q" if big else "I"), inline)[0])
        data = fh.read(nbytes)
    return struct.unpack(f"{bo}{cnt}{fmt}", data)


def file_size(href: str) -> int:
    """Size in bytes of a local file or a /vsizip/ or /vsitar/ member."""
    if href.startswith("/vsizip/"):
        import zipfile

        archive, member = split_vsi(href)
        with zipfile.ZipFile(archive) as zf:
            return zf.getinfo(member).file_size
    if href.startswith("/vsitar/"):
        import tarfile

        archive, member = split_vsi(href)
        with tarfile.open(archive) as tf:
            return tf.getmember(member).size
    return os.path.getsize(href)


# ---------------------------------------------------------------------------------------------
# Building items


def build_item(
    item_id: str,
    assets: Mapping[str, AssetSpec],
    *,
    fmt: str,
    datetime: dt.datetime | None = None,
    start_datetime: dt.datetime | None = None,
    end_datetime: dt.datetime | None = None,
    properties: Mapping | None = None,
    collection: str | None = None,
    checksum: bool = True,
    extra_assets: Mapping[str, pystac.Asset] | None = None,
    extensions: Sequence[str] = (),
) -> pystac.Item:
    """Build a STAC Item from named raster assets.

    Parameters
    ----------
    item_id
        Deterministic id of the product.
    assets
        Asset key -> :class:`AssetSpec`; at least one.
    fmt
        Reader name, stored as ``yvy:format``.
    datetime, start_datetime, end_datetime
        Either ``datetime``, or both ``start_datetime`` and ``end_datetime`` (``datetime`` is then
        null). Naive datetimes are taken as UTC.
    properties
        Extra properties (platform, eo:cloud_cover, sat:..., yvy:stack_dates...).
    collection
        Collection id stored in the Item's ``collection`` field.
    checksum
        Compute ``file:checksum`` (SHA-256 multihash) for every asset.
    extra_assets
        Non-raster assets (metadata files) to add as they are.
    extensions
        Extra ``stac_extensions`` schema URIs (sat, mgrs, landsat, view...).
    """
    if not assets:
        raise InputError(item_id, "no raster assets to describe")
    if datetime is None and (start_datetime is None or end_datetime is None):
        raise InputError(item_id, "no acquisition date; give the date")
    rasters = [a.raster for a in assets.values()]
    ref = max(rasters, key=lambda r: r.shape[0] * r.shape[1])
    geometry, bbox = footprint(ref)
    props = dict(properties or {})
    if datetime is None:
        props["start_datetime"] = to_iso(start_datetime)
        props["end_datetime"] = to_iso(end_datetime)
    props["yvy:format"] = fmt
    codes = {r.crs_code for r in rasters}
    wkts = {r.crs_wkt2 for r in rasters}
    if len(wkts) == 1 or (len(codes) == 1 and None not in codes):
        _set_crs(props, ref)
        if all(ref.same_grid(r) for r in rasters):
            props.update(_grid_fields(ref))
    item = pystac.Item(
        id=item_id,
        geometry=geometry,
        bbox=bbox,
        datetime=as_utc(datetime),
        properties=props,
        collection=collection,
    )
    if collection:
        item.add_link(pystac.Link("collection", COLLECTION_HREF, pystac.MediaType.JSON, collection))
    for key, spec in assets.items():
        item.add_asset(key, _raster_asset(spec, checksum, crs_on_asset="proj:code" not in props))
    for key, asset in (extra_assets or {}).items():
        item.add_asset(key, asset)
    exts = [PROJ_EXT, EO_EXT, RASTER_EXT, FILE_EXT, *extensions]
    item.stac_extensions = list(dict.fromkeys(exts))
    return item


def _set_crs(target: dict, r: RasterInfo) -> None:
    target["proj:code"] = r.crs_code
    if r.crs_code is None:
        target["proj:wkt2"] = r.crs_wkt2


def _grid_fields(r: RasterInfo) -> dict:
    return {
        "proj:shape": list(r.shape),
        "proj:transform": [float(v) for v in r.transform],
        "proj:bbox": [float(v) for v in r.bounds],
    }


def _raster_asset(spec: AssetSpec, checksum: bool, crs_on_asset: bool) -> pystac.Asset:
    r = spec.raster
    fields: dict = {}
    if crs_on_asset:
        _set_crs(fields, r)
    fields.update(_grid_fields(r))
    common, eo_bands, raster_bands = [], [], []
    for i in range(r.count):
        extra = spec.bands[i] if i < len(spec.bands) else BandInfo()
        c, e, rb = _band_fields(r, i, extra)
        common.append(c)
        eo_bands.append(e)
        raster_bands.append(rb)
    fields["bands"] = common
    fields["eo:bands"] = eo_bands
    fields["raster:bands"] = raster_bands
    fields["file:size"] = file_size(r.href)
    if checksum:
        try:
            fields["file:checksum"] = multihash_sha256(sha256_file(r.href))
        except (OSError, KeyError) as exc:
            raise CorruptRasterError(r.href, f"cannot read file for checksum ({exc})") from exc
    return pystac.Asset(
        href=r.href,
        media_type=MEDIA_TYPES.get(r.driver, str(pystac.MediaType.GEOTIFF)),
        title=spec.title,
        roles=list(spec.roles),
        extra_fields=fields,
    )


def _band_fields(r: RasterInfo, i: int, extra: BandInfo) -> tuple[dict, dict, dict]:
    dtype = _DATA_TYPES.get(r.dtypes[i], r.dtypes[i])
    nodata = _json_nodata(extra.nodata if extra.nodata is not None else r.nodata)
    scale = extra.scale if extra.scale is not None else r.scales[i]
    offset = extra.offset if extra.offset is not None else r.offsets[i]
    scaled = scale not in (None, 1.0) or offset not in (None, 0.0)
    description = extra.description or r.descriptions[i]
    name = extra.name or r.descriptions[i] or f"b{i + 1}"
    res = float(r.resolution)
    common = {"name": name, "description": description, "data_type": dtype, "nodata": nodata}
    common |= {"unit": extra.unit, "eo:common_name": extra.common_name}
    common["eo:center_wavelength"] = extra.center_wavelength
    common["eo:full_width_half_max"] = extra.full_width_half_max
    if scaled:
        common |= {"raster:scale": scale, "raster:offset": offset}
    common["raster:spatial_resolution"] = res
    eo = {"name": name, "common_name": extra.common_name, "description": description}
    eo |= {"center_wavelength": extra.center_wavelength}
    eo["full_width_half_max"] = extra.full_width_half_max
    rb = {"data_type": dtype, "nodata": nodata, "spatial_resolution": res, "unit": extra.unit}
    if scaled:
        rb |= {"scale": scale, "offset": offset}
    return _drop_none(common), _drop_none(eo), _drop_none(rb)


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _json_nodata(v):
    if v is None:
        return None
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def footprint(r: RasterInfo, densify: int = 21) -> tuple[dict, list[float]]:
    """WGS84 footprint polygon (GeoJSON) and bbox of a raster, densified along each edge."""
    from pyproj import CRS, Transformer
    from shapely.geometry import Polygon, mapping

    (a, b, c, d, e, f) = r.transform
    h, w = r.shape
    edge = [k / (densify - 1) for k in range(densify)]
    cols_rows = (
        [(w * s, 0.0) for s in edge]
        + [(w, h * s) for s in edge[1:]]
        + [(w * (1 - s), h) for s in edge[1:]]
        + [(0.0, h * (1 - s)) for s in edge[1:]]
    )
    xs = [a * col + b * row + c for col, row in cols_rows]
    ys = [d * col + e * row + f for col, row in cols_rows]
    if r.crs_code in ("EPSG:4326", "OGC:CRS84"):
        lons, lats = xs, ys
    else:
        tr = Transformer.from_crs(CRS.from_wkt(r.crs_wkt2), "EPSG:4326", always_xy=True)
        lons, lats = tr.transform(xs, ys)
    pts = [(round(x, 9), round(y, 9)) for x, y in zip(lons, lats, strict=False)]
    if not all(math.isfinite(v) for p in pts for v in p):
        raise InputError(r.href, "raster bounds cannot be projected to WGS84")
    poly = Polygon(pts)
    if not poly.is_valid:
        poly = poly.buffer(0)
    if poly.exterior.is_ccw is False:
        poly = Polygon(list(poly.exterior.coords)[::-1])
    geom = mapping(poly)
    rings = [[list(p) for p in ring] for ring in geom["coordinates"]]
    geom = {"type": "Polygon", "coordinates": rings}
    return geom, [float(v) for v in poly.bounds]


# ---------------------------------------------------------------------------------------------
# Paths (local or /vsizip/, /vsitar/ members: both use "/" separators)


def basename(path: str) -> str:
    """Last component of a local or /vsi path."""
    return posixpath.basename(str(path).replace(os.sep, "/").rstrip("/"))


def dirname(path: str) -> str:
    """Parent of a local or /vsi path."""
    return posixpath.dirname(str(path).replace(os.sep, "/").rstrip("/"))


def read_bytes(path: str, limit: int = 64 << 20) -> bytes:
    """Bytes of a small local file or archive member (metadata files); InputError if unreadable."""
    try:
        with open_member(path) as fh:
            data = fh.read(limit + 1)
    except (OSError, KeyError) as exc:
        raise InputError(path, f"cannot read file ({exc.__class__.__name__})") from exc
    if len(data) > limit:
        raise InputError(path, f"metadata file larger than {limit >> 20} MiB")
    return data


def is_raster_name(path: str) -> bool:
    """True for .tif/.tiff/.jp2 names (any case)."""
    return basename(path).lower().endswith((".tif", ".tiff", ".jp2"))


# ---------------------------------------------------------------------------------------------
# Validation


COLLECTION_HREF = "../collection.json"
"""Where an item's ``collection`` link points when no server publishes it: the collection
document of a self-contained STAC catalog laid out as ``<collection>/<item>/<item>.json`` beside
``<collection>/collection.json`` (pystac's layout). The STAC API replaces it with its own URL."""


def link_collection(item: dict) -> dict:
    """``item`` with a ``collection`` link whenever it has a ``collection`` field (STAC 1.1
    requires the link with the field)."""
    cid = item.get("collection")
    links = [ln for ln in item.get("links") or [] if isinstance(ln, dict)]
    if cid and not any(ln.get("rel") == "collection" for ln in links):
        links.append({"rel": "collection", "href": COLLECTION_HREF, "type": "application/json", "title": cid})
    return {**item, "links": links} if cid else item


def validate_item(item: pystac.Item | dict, subject: object = None) -> None:
    """Validate an Item against the core STAC 1.1 JSON schema shipped with pystac (offline).

    Extension schemas are not fetched (they live on the network); extension fields are built
    by :func:`build_item` and checked by the tests. Raises :class:`InputError` naming
    ``subject`` (default: the item id) on failure.
    """
    from pystac.errors import STACValidationError
    from pystac.validation.stac_validator import JsonSchemaSTACValidator

    d = item.to_dict(include_self_link=False) if isinstance(item, pystac.Item) else dict(item)
    d["stac_version"] = pystac.get_stac_version()
    d = link_collection(d)
    try:
        JsonSchemaSTACValidator().validate_core(d, pystac.STACObjectType.ITEM, d["stac_version"])
    except STACValidationError as exc:
        raise InputError(subject or d.get("id"), f"invalid STAC Item: {_best_error(exc)}") from exc


def _best_error(exc) -> str:
    import jsonschema

    best = jsonschema.exceptions.best_match(exc.source or [])
    if best is None:
        return "does not match the STAC Item schema"
    where = "/".join(str(p) for p in best.absolute_path) or "document"
    return f"{where}: {best.message[:160]}"
