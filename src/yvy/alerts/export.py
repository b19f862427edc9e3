"""Write alerts to GeoJSON, GeoPackage, KML, CSV or GeoParquet (atomically).

Every format carries the same flat attributes (:func:`yvy.alerts.model.summary`); GeoJSON also
keeps the nested context and legal objects. KML is written here (each Placemark's description is
an HTML table of the alert's attributes, plus ExtendedData), CSV has WKT geometry and centroid
lon/lat, GeoParquet is written by geopandas (GeoParquet 1.1 metadata, WKB geometry).
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from ..errors import InputError
from ..io import atomic_path
from ..security.events import emit
from .model import Alert, summary, to_feature

__all__ = ["FORMATS", "alerts_frame", "export_alerts"]

FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "kml": ".kml", "csv": ".csv", "parquet": ".parquet"}


def alerts_frame(alerts: Sequence[Alert]):
    """A GeoDataFrame (EPSG:4326) with one row per alert and the flat attributes."""
    import geopandas as gpd
    from shapely.geometry import Point

    rows = [summary(a) for a in alerts]
    cols = list(summary(Alert(id="", geometry=Point(0, 0), area_ha=0.0, first_detected="")))
    return gpd.GeoDataFrame(rows, columns=cols, geometry=[a.geometry for a in alerts], crs="EPSG:4326")


def export_alerts(alerts: Sequence[Alert], path: str | Path, fmt: str | None = None) -> Path:
    """Write ``alerts`` to ``path`` in ``fmt`` (guessed from the suffix when None)."""
    path = Path(path)
    if fmt is None:
        suffix = path.suffix.lower()
        fmt = next((k for k, v in FORMATS.items() if v == suffix), None)
        if fmt is None:
            raise InputError(path, f"cannot tell the format from the suffix; use one of {', '.join(FORMATS)}")
    if fmt not in FORMATS:
        raise InputError("format", f"{fmt!r} is not an export format; use one of {', '.join(FORMATS)}")
    with atomic_path(path, suffix=FORMATS[fmt]) as tmp:
        if tmp.exists():
            tmp.unlink()  # GDAL drivers refuse to overwrite the empty temp file
        {"geojson": _geojson, "gpkg": _gpkg, "kml": _kml, "csv": _csv, "parquet": _parquet}[fmt](alerts, tmp)
    emit("export", target=str(path), reason=f"{len(alerts)} alerts as {fmt}")
    return path


def _geojson(alerts, path: Path) -> None:
    feats = []
    for a in alerts:
        f = to_feature(a)
        f["properties"] = {**summary(a), "context": a.context, "legal": a.legal}
        feats.append(f)
    doc = {"type": "FeatureCollection", "name": "yvy_alerts", "features": feats}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _gpkg(alerts, path: Path) -> None:
    alerts_frame(alerts).to_file(path, driver="GPKG", layer="alerts")


def _parquet(alerts, path: Path) -> None:
    gdf = alerts_frame(alerts)
    if len(gdf) > 1:  # spatial order helps readers that prune row groups by their bbox
        gdf = gdf.iloc[gdf.hilbert_distance().argsort(kind="stable")]
    gdf.to_parquet(path, index=False, schema_version="1.1.0", write_covering_bbox=True, compression="zstd",
                   row_group_size=65536)


def _csv(alerts, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = None
        for a in alerts:
            row = summary(a)
            c = a.geometry.representative_point()
            row.update(lon=round(c.x, 7), lat=round(c.y, 7), wkt=a.geometry.wkt)
            if w is None:
                w = csv.DictWriter(fh, fieldnames=list(row))
                w.writeheader()
            w.writerow(row)
        if w is None:
            fh.write("id\n")


_STYLE = {"new": "ff0000ff", "under_review": "ff00a5ff", "confirmed": "ff0000aa", "dismissed": "ff888888",
          "referred": "ffaa00aa"}


def _ring(coords) -> str:
    pts = " ".join(f"{x:.8f},{y:.8f},0" for x, y in coords)
    return f"<LinearRing><coordinates>{pts}</coordinates></LinearRing>"


def _polygon(p) -> str:
    inner = "".join(f"<innerBoundaryIs>{_ring(r.coords)}</innerBoundaryIs>" for r in p.interiors)
    return f"<Polygon><outerBoundaryIs>{_ring(p.exterior.coords)}</outerBoundaryIs>{inner}</Polygon>"


def _kml_geometry(g) -> str:
    if g.geom_type == "Polygon":
        return _polygon(g)
    return "<MultiGeometry>" + "".join(_polygon(p) for p in g.geoms) + "</MultiGeometry>"


def _description(row: dict) -> str:
    cells = "".join(f"<tr><th align='left'>{html.escape(k)}</th>"
                    f"<td>{html.escape('' if v is None else str(v))}</td></tr>"
                    for k, v in row.items())
    return f"<table>{cells}</table>".replace("]]>", "]]&gt;")


def _kml(alerts, path: Path) -> None:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2">',
           "<Document><name>yvy alerts</name>"]
    for status, colour in _STYLE.items():
        out.append(f'<Style id="{status}"><LineStyle><color>{colour}</color><width>2</width></LineStyle>'
                   f"<PolyStyle><color>40{colour[2:]}</color></PolyStyle></Style>")
    for a in alerts:
        row = summary(a)
        data = "".join(f'<Data name="{escape(k)}"><value>{escape("" if v is None else str(v))}</value></Data>'
                       for k, v in row.items())
        out.append(
            f"<Placemark><name>{escape(a.id)}</name><styleUrl>#{a.status.value}</styleUrl>"
            f"<description><![CDATA[{_description(row)}]]></description>"
            f"<ExtendedData>{data}</ExtendedData>{_kml_geometry(a.geometry)}</Placemark>"
        )
    out.append("</Document></kml>")
    path.write_text("\n".join(out), encoding="utf-8")
