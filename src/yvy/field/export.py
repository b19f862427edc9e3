"""Build a field package: alerts and patrol targets as GeoPackage layers and GPX waypoints, and an
MBTiles basemap of recent imagery rendered with rio-tiler over the area.

Tile sources are callables ``(x, y, z) -> PNG bytes | None``: :func:`file_tiles` renders a local
raster (an RGB orthomosaic or composite, or one band stretched to grey), and the CLI can pass the
catalog's renderer for the newest scene. Imports shapely, geopandas (lazily), morecantile and
rio-tiler; never the CLI or storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from ..errors import InputError
from ..i18n import N_
from ..io import atomic_path, atomic_write_bytes
from .mbtiles import write_mbtiles

__all__ = ["area_from", "export_field", "file_tiles", "newest_scene", "tiles_over"]

TileSource = Callable[[int, int, int], "bytes | None"]


def tiles_over(bounds: tuple[float, float, float, float], zooms: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """(z, x, y) of the WebMercatorQuad tiles covering a WGS84 box at each zoom."""
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    for t in tms.tiles(*bounds, zooms=list(zooms)):
        yield t.z, t.x, t.y


def file_tiles(path: str | Path) -> TileSource:
    """Tile source rendering a local raster: bands 1-3 as RGB (byte data as is, else a 2-98 %
    stretch), or band 1 in grey."""
    from rio_tiler.io import Reader

    try:
        with Reader(str(path)) as src:
            count, dtype = src.dataset.count, src.dataset.dtypes[0]
            idx = (1, 2, 3) if count >= 3 else (1,)
            stats = src.statistics(indexes=idx, max_size=512)
    except Exception as exc:  # rasterio/rio-tiler raise several kinds on a bad file
        raise InputError(path, f"cannot read imagery ({exc})") from None
    ranges = None if dtype == "uint8" else [(s.percentile_2, s.percentile_98) for s in stats.values()]

    def render(x: int, y: int, z: int) -> bytes | None:
        from rio_tiler.errors import TileOutsideBounds

        with Reader(str(path)) as src:
            try:
                img = src.tile(x, y, z, tilesize=256, indexes=idx)
            except TileOutsideBounds:
                return None
        if img.mask is not None and not img.mask.any():
            return None
        if ranges is not None:
            img.rescale(in_range=ranges)
        return img.render(img_format="PNG")

    return render


def _gpx(points: Sequence[tuple[float, float, str, str]]) -> str:
    wpts = "".join(f'<wpt lat="{lat:.7f}" lon="{lon:.7f}"><name>{escape(name)}</name><desc>{escape(desc)}</desc></wpt>'
                   for lon, lat, name, desc in points)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="yvy" '
            f'xmlns="http://www.topografix.com/GPX/1/1">{wpts}</gpx>\n')


def _alert_rows(alerts) -> list[dict]:
    return [{"id": a.id, "status": getattr(a.status, "value", a.status),
             "confidence": getattr(a.confidence, "value", a.confidence), "area_ha": round(a.area_ha, 3),
             "first_detected": a.first_detected, "geometry": a.geometry} for a in alerts]


def _write_gpkg(dest: Path, layers: dict[str, list[dict]]) -> None:
    import geopandas as gpd

    with atomic_path(dest, suffix=".gpkg") as tmp:
        tmp.unlink()
        for name, rows in layers.items():
            if rows:
                gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326").to_file(tmp, layer=name, driver="GPKG")
        if not tmp.exists():
            gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326").to_file(tmp, layer="alerts", driver="GPKG")


def export_field(out: str | Path, area, *, alerts: Sequence = (), targets: Sequence[dict] = (),
                 tiles: TileSource | None = None, zooms: Sequence[int] = range(10, 15),
                 name: str = "yvy field package", progress=lambda done, total, label="": None) -> dict:
    """Write ``field.gpkg``, ``alerts.gpx``, ``targets.gpx`` and ``basemap.mbtiles`` into ``out``.

    ``area`` is a WGS84 shapely geometry; alerts and targets (GeoJSON point features) outside it
    are left out. Returns counts and paths.
    """
    import shapely

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    alerts = [a for a in alerts if a.geometry.intersects(area)]
    trows = []
    for f in targets:
        g = shapely.geometry.shape(f["geometry"])
        if g.intersects(area):
            trows.append({**{k: v for k, v in f.get("properties", {}).items() if not isinstance(v, list | dict)},
                          "geometry": g})
    _write_gpkg(out / "field.gpkg", {"alerts": _alert_rows(alerts), "targets": trows})
    apts = [(p.x, p.y, a.id, f"{getattr(a.status, 'value', a.status)}, {a.area_ha:.1f} ha, {a.first_detected}")
            for a in alerts for p in [a.geometry.representative_point()]]
    atomic_write_bytes(out / "alerts.gpx", _gpx(apts).encode())
    tpts = [(r["geometry"].x, r["geometry"].y, str(r.get("id", i)), str(r.get("note", "")))
            for i, r in enumerate(trows)]
    atomic_write_bytes(out / "targets.gpx", _gpx(tpts).encode())
    res = {"alerts": len(alerts), "targets": len(trows), "tiles": 0, "out": str(out.absolute())}
    if tiles is not None:
        bounds = tuple(float(v) for v in area.bounds)
        todo = list(tiles_over(bounds, zooms))

        def rendered():
            for i, (z, x, y) in enumerate(todo):
                progress(i + 1, len(todo), N_("tile") + f" {z}/{x}/{y}")
                data = tiles(x, y, z)
                if data is not None:
                    yield z, x, y, data
        res["tiles"] = write_mbtiles(out / "basemap.mbtiles", rendered(), name=name, bounds=bounds,
                                     minzoom=min(zooms), maxzoom=max(zooms), description="recent imagery")
    return res


def area_from(value: str):
    """A WGS84 area from ``minx,miny,maxx,maxy`` or a vector file (union of its features)."""
    import shapely

    p = Path(value)
    if p.exists():
        import geopandas as gpd

        df = gpd.read_file(p)
        if df.crs is None:
            raise InputError(p, "area has no CRS")
        return shapely.union_all(df.to_crs("EPSG:4326").geometry.values)
    try:
        minx, miny, maxx, maxy = (float(v) for v in value.split(","))
    except ValueError:
        raise InputError("--area", f"{value!r} is neither a file nor minx,miny,maxx,maxy") from None
    if not (minx < maxx and miny < maxy):
        raise InputError("--area", "empty bounding box")
    return shapely.box(minx, miny, maxx, maxy)


def newest_scene(items: Sequence[dict]) -> dict | None:
    """The newest item with red/green/blue assets (a scene the true-colour renderer can draw)."""
    scenes = [i for i in items if {"red", "green", "blue"} <= set(i.get("assets", {}))]
    return max(scenes, key=lambda i: i["properties"].get("datetime") or "", default=None)

