"""Where the demo scenes lie: the Sentinel-2 tile, the pixel grid and the sun.

The site is in the central Paraguayan Chaco (department of Boquerón), about 23 km east of
Mariscal Estigarribia and 55 km north-west of Filadelfia, around 22.00° S 60.40° W: a
landscape of dry Chaco forest and Mennonite-colony cattle ranches. It falls in the real
Sentinel-2 MGRS tile **20KQA** (UTM zone 20 south, EPSG:32720), whose 10 m grid starts at
x = 699960, y = 7600040. The demo grid is a ``size_px`` square cut from that tile grid.

Imports only numpy and the standard library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "CENTRE_LONLAT",
    "EPSG",
    "GRID_SQUARE",
    "LATITUDE_BAND",
    "MGRS_TILE",
    "PIXEL_M",
    "UTM_ZONE",
    "Grid",
    "site_grid",
    "sun_angles",
]

EPSG = 32720
UTM_ZONE = 20
LATITUDE_BAND = "K"
GRID_SQUARE = "QA"
MGRS_TILE = f"{UTM_ZONE}{LATITUDE_BAND}{GRID_SQUARE}"
TILE_ORIGIN = (699960.0, 7600040.0)
"""Upper-left corner of the Sentinel-2 tile 20KQA (as in its ``proj:transform``)."""
TILE_PX = 10980
PIXEL_M = 10.0
CENTRE_LONLAT = (-60.40, -22.00)
CENTRE_UTM = (768440.0, 7564890.0)
"""``CENTRE_LONLAT`` in EPSG:32720 (pyproj), kept as a constant so the grid never depends on
the PROJ version."""


@dataclass(frozen=True)
class Grid:
    """The demo pixel grid: a square window of the 20KQA tile's 10 m grid."""

    size: int
    """Width and height in pixels."""
    transform: tuple[float, float, float, float, float, float]
    """Affine coefficients (a, b, c, d, e, f) as in GDAL/rasterio order a b c / d e f."""
    col_off: int
    """Column of the window's first pixel in the tile grid."""
    row_off: int
    """Row of the window's first pixel in the tile grid."""

    @property
    def crs(self) -> str:
        """The grid's CRS as an ``EPSG:`` string."""
        return f"EPSG:{EPSG}"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in metres."""
        left, top = self.transform[2], self.transform[5]
        span = self.size * PIXEL_M
        return (left, top - span, left + span, top)


def site_grid(size: int) -> Grid:
    """The ``size`` square window of tile 20KQA centred (as near as fits) on the site."""
    col = round((CENTRE_UTM[0] - TILE_ORIGIN[0]) / PIXEL_M - size / 2)
    row = round((TILE_ORIGIN[1] - CENTRE_UTM[1]) / PIXEL_M - size / 2)
    col = min(max(col, 0), TILE_PX - size)
    row = min(max(row, 0), TILE_PX - size)
    left = TILE_ORIGIN[0] + col * PIXEL_M
    top = TILE_ORIGIN[1] - row * PIXEL_M
    return Grid(size, (PIXEL_M, 0.0, left, 0.0, -PIXEL_M, top), col, row)


def sun_angles(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """Solar azimuth (degrees clockwise from north) and elevation at a UTC time and place.

    NOAA's low-precision formulas (about 0.1° here), enough for shadow geometry.
    """
    doy = when.timetuple().tm_yday
    hour = when.hour + when.minute / 60 + when.second / 3600
    g = 2 * math.pi / 365 * (doy - 1 + (hour - 12) / 24)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(g)
        - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g)
        - 0.040849 * math.sin(2 * g)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(g)
        + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g)
        + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g)
        + 0.00148 * math.sin(3 * g)
    )
    solar_minutes = hour * 60 + eqtime + 4 * lon
    ha = math.radians(solar_minutes / 4 - 180)
    phi = math.radians(lat)
    cos_zen = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    elevation = 90 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zen))))
    azimuth = math.degrees(
        math.atan2(-math.sin(ha), math.tan(decl) * math.cos(phi) - math.sin(phi) * math.cos(ha))
    )
    return azimuth % 360, elevation


def earth_sun_factor(when: datetime) -> float:
    """Sentinel-2's reflectance conversion factor (1/d², d in astronomical units)."""
    doy = when.timetuple().tm_yday
    return 1 / (1 - 0.01672 * math.cos(0.0172 * (doy - 4))) ** 2
