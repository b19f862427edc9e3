"""Reading NASA FIRMS active-fire files as distributed: MODIS C6/C6.1 and VIIRS 375 m, as CSV,
Shapefile, KML, GeoPackage or GeoJSON, into one normalised hotspot table.

Confidence scales differ: MODIS gives 0-100 %, VIIRS gives classes l / n / h. Both are kept as
a class (``low`` / ``nominal`` / ``high``) and a 0-100 number. MODIS numbers map to classes by
FIRMS's own ranges (low < 30, nominal 30-79, high >= 80); VIIRS classes map to the middle of
those ranges (l -> 15, n -> 55, h -> 90), so a filter ``confidence >= 50`` means the same
thing for both sensors.

The duplicate key across downloads is (sensor, satellite, latitude, longitude, acq_date,
acq_time) with coordinates rounded to 5 decimals (FIRMS's own precision). Any bad row (unknown
columns, coordinates out of range, an impossible date, a confidence that is neither scale)
rejects the whole file with one line naming the file and the row.

Imports pandas (and geopandas/pyogrio for vector formats); never click or storage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import E_, InputError

__all__ = ["COLUMNS", "CONFIDENCE_CLASSES", "KEY", "SOURCES", "fetch_area", "read_firms", "read_many"]

KEY = ("sensor", "satellite", "latitude", "longitude", "acq_date", "acq_time")
"""Columns that identify one hotspot across FIRMS downloads."""
COLUMNS = (*KEY, "acquired", "confidence", "confidence_class", "frp", "brightness", "daynight",
           "version", "source")
"""Columns of the normalised hotspot table."""
CONFIDENCE_CLASSES = {"l": ("low", 15), "n": ("nominal", 55), "h": ("high", 90)}
"""VIIRS class letter -> (class, 0-100 value at the middle of MODIS's range for that class)."""
REQUIRED = ("latitude", "longitude", "acq_date", "acq_time", "confidence")
FIRST_DAY = datetime(2000, 11, 1, tzinfo=UTC)
"""First MODIS Terra active-fire product; earlier dates are impossible."""
SATELLITES = {"T": "Terra", "A": "Aqua", "N": "Suomi NPP", "N20": "NOAA-20", "1": "NOAA-20",
              "N21": "NOAA-21", "2": "NOAA-21", "TERRA": "Terra", "AQUA": "Aqua"}
VECTOR_SUFFIXES = (".shp", ".kml", ".gpkg", ".geojson", ".json", ".zip")


def read_many(paths, *, now: datetime | None = None) -> pd.DataFrame:
    """Read and concatenate FIRMS files, merging duplicate hotspots (first file wins)."""
    frames = [read_firms(p, now=now) for p in paths]
    if not frames:
        raise InputError("files", "no FIRMS file given")
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates(subset=list(KEY), keep="first").reset_index(drop=True)


def read_firms(path: str | Path, *, now: datetime | None = None) -> pd.DataFrame:
    """One FIRMS file as the normalised hotspot table (:data:`COLUMNS`), duplicates merged.

    Raises
    ------
    InputError
        Unreadable file, missing FIRMS columns, bad coordinates, dates or confidences.
    """
    p = Path(path)
    raw = _read_table(p)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing or not ({"brightness", "bright_ti4", "instrument"} & set(raw.columns)):
        found = ", ".join(raw.columns[:12]) or "none"
        need = ", ".join(missing) if missing else "brightness or bright_ti4"
        raise InputError(p, f"not a FIRMS MODIS/VIIRS file: missing column(s) {need} (found {found})")
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    out = pd.DataFrame({"sensor": _sensor(raw, p)})
    out["satellite"] = _satellite(raw, out["sensor"])
    out["latitude"] = _coord(raw, "latitude", 90.0, p)
    out["longitude"] = _coord(raw, "longitude", 180.0, p)
    out["acq_date"], out["acq_time"], out["acquired"] = _when(raw, p, now or datetime.now(UTC))
    out["confidence"], out["confidence_class"] = _confidence(raw, out["sensor"], p)
    out["frp"] = pd.to_numeric(raw.get("frp"), errors="coerce") if "frp" in raw else np.nan
    bright = raw["brightness"] if "brightness" in raw else raw.get("bright_ti4")
    out["brightness"] = pd.to_numeric(bright, errors="coerce") if bright is not None else np.nan
    out["daynight"] = raw["daynight"].astype(str).str.upper() if "daynight" in raw else None
    out["version"] = raw["version"].astype(str) if "version" in raw else None
    out["source"] = p.name
    return out.drop_duplicates(subset=list(KEY)).reset_index(drop=True)[list(COLUMNS)]


def _read_table(p: Path) -> pd.DataFrame:
    if not p.exists():
        raise InputError(p, "file not found")
    try:
        if p.suffix.lower() in VECTOR_SUFFIXES:
            import geopandas as gpd

            gdf = gpd.read_file(p)
            df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
            cols = {c.lower() for c in df.columns}
            if "latitude" not in cols and len(gdf):
                df["latitude"], df["longitude"] = gdf.geometry.y.values, gdf.geometry.x.values
            return df
        return pd.read_csv(p, dtype={"acq_time": str, "ACQ_TIME": str}, keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(p, f"not a readable FIRMS table ({str(exc).splitlines()[0][:120]})") from exc
    except Exception as exc:  # pyogrio raises its own DataSourceError and others
        raise InputError(p, f"not a readable FIRMS file ({str(exc).splitlines()[0][:120]})") from exc


def _bad(p: Path, mask: pd.Series, what: str, values: pd.Series) -> None:
    if mask.any():
        i = int(np.flatnonzero(mask.to_numpy())[0])
        raise InputError(p, f"row {i + 2}: {what}: {values.iloc[i]!r}; {int(mask.sum())} bad row(s), "
                         "nothing ingested from this file")


def _sensor(raw: pd.DataFrame, p: Path) -> pd.Series:
    if "instrument" in raw:
        s = raw["instrument"].astype(str).str.strip().str.upper()
    else:
        s = pd.Series("VIIRS" if "bright_ti4" in raw else "MODIS", index=raw.index)
    _bad(p, ~s.isin(["MODIS", "VIIRS"]), E_("unknown instrument"), raw.get("instrument", s))
    return s


def _satellite(raw: pd.DataFrame, sensor: pd.Series) -> pd.Series:
    if "satellite" not in raw:
        return sensor.map({"MODIS": "unknown", "VIIRS": "unknown"})
    s = raw["satellite"].astype(str).str.strip()
    return s.map(lambda v: SATELLITES.get(v.upper(), v))


def _coord(raw: pd.DataFrame, col: str, limit: float, p: Path) -> pd.Series:
    v = pd.to_numeric(raw[col], errors="coerce")
    _bad(p, ~v.between(-limit, limit), E_(f"{col} out of range [-{limit:g}, {limit:g}]"), raw[col])
    return v.round(5)


def _when(raw: pd.DataFrame, p: Path, now: datetime):
    date = pd.to_datetime(raw["acq_date"].astype(str).str.strip(), format="%Y-%m-%d", errors="coerce", utc=True)
    _bad(p, date.isna(), E_("acq_date is not a YYYY-MM-DD date"), raw["acq_date"])
    hhmm = raw["acq_time"].astype(str).str.strip().str.zfill(4)
    ok = hhmm.str.fullmatch(r"\d{4}")
    hours = pd.to_numeric(hhmm.str[:2], errors="coerce")
    minutes = pd.to_numeric(hhmm.str[2:], errors="coerce")
    _bad(p, ~ok | ~(hours < 24) | ~(minutes < 60), E_("acq_time is not HHMM (UTC)"), raw["acq_time"])
    when = date + pd.to_timedelta(hours * 60 + minutes, unit="min")
    _bad(p, (when < FIRST_DAY) | (when > now + timedelta(days=1)),
         E_("acquisition date before the first MODIS fire product (2000-11-01) or in the future"), raw["acq_date"])
    iso = when.dt.strftime("%Y-%m-%dT%H:%M:00Z")
    return date.dt.strftime("%Y-%m-%d"), hhmm, iso


def _confidence(raw: pd.DataFrame, sensor: pd.Series, p: Path):
    text = raw["confidence"].astype(str).str.strip().str.lower()
    letter = text.str[:1].where(text.isin(["l", "n", "h", "low", "nominal", "high"]))
    number = pd.to_numeric(text, errors="coerce")
    value = number.where(letter.isna(), letter.map(lambda c: CONFIDENCE_CLASSES.get(c, (None, np.nan))[1]))
    _bad(p, value.isna() | ~value.between(0, 100), E_("confidence is neither 0-100 nor l/n/h"), raw["confidence"])
    _bad(p, (sensor == "MODIS") & letter.notna(), E_("MODIS confidence must be 0-100 (mixed sensors?)"),
         raw["confidence"])
    _bad(p, (sensor == "VIIRS") & letter.isna(), E_("VIIRS confidence must be l/n/h (mixed sensors?)"),
         raw["confidence"])
    klass = pd.cut(value, [-1, 29.999, 79.999, 100], labels=["low", "nominal", "high"]).astype(str)
    return value.round().astype(int), klass


FIRMS_API = "https://firms.modaps.eosdis.nasa.gov/api/area/csv"
SOURCES = ("MODIS_NRT", "MODIS_SP", "VIIRS_SNPP_NRT", "VIIRS_SNPP_SP", "VIIRS_NOAA20_NRT", "VIIRS_NOAA20_SP",
           "VIIRS_NOAA21_NRT")
"""FIRMS area API sources (NRT: near real time, SP: standard processing)."""


def fetch_area(map_key: str, source: str, bbox, days: int, dest: str | Path, *, date: str | None = None,
               base_url: str = FIRMS_API, timeout: float = 60.0) -> Path:
    """Download hotspots of ``bbox`` (W,S,E,N) for ``days`` (1-10) from the FIRMS area API to ``dest``.

    The file is checked with :func:`read_firms` before it replaces ``dest``; FIRMS answers an
    invalid key or request with a one-line text, which becomes an InputError.
    """
    import requests

    from ..io import atomic_path

    if source not in SOURCES:
        raise InputError("source", f"{source!r} is not a FIRMS source; use one of {', '.join(SOURCES)}")
    if not 1 <= int(days) <= 10:
        raise InputError("days", "the FIRMS area API serves 1 to 10 days")
    area = ",".join(f"{v:g}" for v in bbox)
    url = f"{base_url.rstrip('/')}/{map_key}/{source}/{area}/{int(days)}" + (f"/{date}" if date else "")
    try:
        r = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise InputError("FIRMS", f"cannot reach the FIRMS API ({type(exc).__name__})") from exc
    text = r.text
    if r.status_code != 200 or not text.startswith("latitude"):
        raise InputError("FIRMS", f"the API refused the request (HTTP {r.status_code}: {text.strip()[:120]})")
    with atomic_path(dest, suffix=".csv") as tmp:
        tmp.write_text(text)
        read_firms(tmp)
    return Path(dest)
