"""STAC Items for demo scenes in the form Earth Search v1 (``sentinel-2-l2a``) publishes.

Property and asset names, titles, ``eo:bands`` and ``raster:bands`` follow Earth Search's
items; hrefs are the relative file names beside the JSON. Differences, all deliberate:
every band is on the 10 m grid (B11, B12 and SCL are 20 m products replicated to 10 m), the
geometry is the demo window, no links to the public API are given, and ``yvy:synthetic``
says the scene is made up.

Imports only the standard library.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..catalog import assets as keys
from ..catalog.items import COLLECTION_HREF
from ..dates import to_iso
from ._site import EPSG, GRID_SQUARE, LATITUDE_BAND, MGRS_TILE, UTM_ZONE

__all__ = ["BAND_ASSETS", "build_item", "product_uri", "scene_id"]

_EXTENSIONS = [
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/mgrs/v1.0.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "https://stac-extensions.github.io/grid/v1.0.0/schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
    "https://stac-extensions.github.io/processing/v1.1.0/schema.json",
]
_COG = "image/tiff; application=geotiff; profile=cloud-optimized"

# file stem -> (asset key, title, band description, centre wavelength, FWHM, native gsd)
BAND_ASSETS = {
    "B02": ("blue", "Blue (band 2)", 0.49, 0.098, 10),
    "B03": ("green", "Green (band 3)", 0.56, 0.045, 10),
    "B04": ("red", "Red (band 4)", 0.665, 0.038, 10),
    "B08": ("nir", "NIR 1 (band 8)", 0.842, 0.145, 10),
    "B11": ("swir16", "SWIR 1 (band 11)", 1.61, 0.143, 20),
    "B12": ("swir22", "SWIR 2 (band 12)", 2.19, 0.242, 20),
}
# Absolute orbit references (datatake ids of real Earth Search items) and the orbit rate.
_ORBIT_REF = {
    "S2A": (datetime(2023, 6, 28), 41859),
    "S2B": (datetime(2023, 9, 12), 34041),
    "S2C": (datetime(2025, 1, 21), 2044),
}
_RELATIVE_ORBIT = 67


def scene_id(sat: str, when: datetime) -> str:
    """Earth Search id, e.g. ``S2A_20KQA_20210105_0_L2A``."""
    return f"{sat}_{MGRS_TILE}_{when:%Y%m%d}_0_L2A"


def _generation(when: datetime) -> datetime:
    return when.replace(microsecond=0) + timedelta(hours=3, minutes=17)


def product_uri(sat: str, when: datetime) -> str:
    """The SAFE product name, e.g. ``S2A_MSIL2A_20210105T140731_N0509_R067_T20KQA_..SAFE``."""
    return (
        f"{sat}_MSIL2A_{when:%Y%m%dT%H%M%S}_N0509_R{_RELATIVE_ORBIT:03d}_T{MGRS_TILE}_"
        f"{_generation(when):%Y%m%dT%H%M%S}.SAFE"
    )


def _absolute_orbit(sat: str, when: datetime) -> int:
    ref, orbit = _ORBIT_REF[sat]
    return orbit + round((when - ref).total_seconds() / 86400 * 14.3)


def _asset(stem: str, size: int, transform: list[float]) -> tuple[str, dict]:
    if stem == "SCL":
        return keys.SCL, {
            "href": "SCL.tif",
            "type": _COG,
            "title": "Scene classification map (SCL)",
            "proj:shape": [size, size],
            "proj:transform": transform,
            "raster:bands": [{"nodata": 0, "data_type": "uint8", "spatial_resolution": 10}],
            "roles": ["data", "reflectance"],
        }
    key, desc, centre, fwhm, native = BAND_ASSETS[stem]
    return key, {
        "href": f"{stem}.tif",
        "type": _COG,
        "title": f"{desc} - {native}m",
        "eo:bands": [
            {
                "name": key,
                "common_name": key,
                "description": desc,
                "center_wavelength": centre,
                "full_width_half_max": fwhm,
            }
        ],
        "gsd": 10,
        "proj:shape": [size, size],
        "proj:transform": transform,
        "raster:bands": [
            {
                "nodata": 0,
                "data_type": "uint16",
                "bits_per_sample": 15,
                "spatial_resolution": 10,
                "scale": 0.0001,
                "offset": -0.1,
            }
        ],
        "roles": ["data", "reflectance"],
    }


def build_item(
    *,
    sat: str,
    when: datetime,
    size: int,
    transform: tuple[float, ...],
    footprint: list[list[float]],
    sun: tuple[float, float],
    earth_sun: float,
    stats: dict[str, float],
    version: str,
) -> dict:
    """The Item dict of one scene.

    ``footprint`` is the closed lon/lat ring of the window, ``sun`` is (azimuth, elevation),
    ``stats`` the SCL percentages (keys ``cloud``, ``high``, ``medium``, ``cirrus``,
    ``shadow``, ``vegetation``, ``not_vegetated``, ``water``, ``nodata``).
    """
    sid = scene_id(sat, when)
    gen = _generation(when)
    orbit = _absolute_orbit(sat, when)
    tr = [float(v) for v in transform]
    lons = [p[0] for p in footprint]
    lats = [p[1] for p in footprint]
    props = {
        "created": to_iso(gen + timedelta(hours=5, minutes=24), "milliseconds"),
        "platform": {"S2A": "sentinel-2a", "S2B": "sentinel-2b", "S2C": "sentinel-2c"}[sat],
        "constellation": "sentinel-2",
        "instruments": ["msi"],
        "eo:cloud_cover": stats["cloud"],
        "proj:epsg": EPSG,
        "mgrs:utm_zone": UTM_ZONE,
        "mgrs:latitude_band": LATITUDE_BAND,
        "mgrs:grid_square": GRID_SQUARE,
        "grid:code": f"MGRS-{MGRS_TILE}",
        "view:sun_azimuth": round(sun[0], 6),
        "view:sun_elevation": round(sun[1], 6),
        "s2:degraded_msi_data_percentage": 0,
        "s2:nodata_pixel_percentage": stats["nodata"],
        "s2:saturated_defective_pixel_percentage": 0,
        "s2:dark_features_percentage": 0,
        "s2:cloud_shadow_percentage": stats["shadow"],
        "s2:vegetation_percentage": stats["vegetation"],
        "s2:not_vegetated_percentage": stats["not_vegetated"],
        "s2:water_percentage": stats["water"],
        "s2:unclassified_percentage": 0,
        "s2:medium_proba_clouds_percentage": stats["medium"],
        "s2:high_proba_clouds_percentage": stats["high"],
        "s2:thin_cirrus_percentage": stats["cirrus"],
        "s2:snow_ice_percentage": 0,
        "s2:product_type": "S2MSI2A",
        "s2:processing_baseline": "05.09",
        "s2:product_uri": product_uri(sat, when),
        "s2:generation_time": to_iso(gen, "milliseconds").replace(".000Z", ".000000Z"),
        "s2:datatake_id": f"G{sat}_{when:%Y%m%dT%H%M%S}_{orbit:06d}_N05.09",
        "s2:datatake_type": "INS-NOBS",
        "s2:datastrip_id": (
            f"{sat}_OPER_MSI_L2A_DS_{sat[1:]}PS_{gen:%Y%m%dT%H%M%S}_S{when:%Y%m%dT%H%M%S}_N05.09"
        ),
        "s2:granule_id": (
            f"{sat}_OPER_MSI_L2A_TL_{sat[1:]}PS_{gen:%Y%m%dT%H%M%S}_A{orbit:06d}_T{MGRS_TILE}_N05.09"
        ),
        "s2:reflectance_conversion_factor": round(earth_sun, 12),
        "datetime": to_iso(when, "milliseconds"),
        "s2:sequence": "0",
        "earthsearch:boa_offset_applied": False,
        "processing:software": {"yvy-demo": version},
        "yvy:synthetic": True,
        "updated": to_iso(gen + timedelta(hours=5, minutes=24), "milliseconds"),
    }
    assets = dict(_asset(stem, size, tr) for stem in (*BAND_ASSETS, "SCL"))
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": list(_EXTENSIONS),
        "id": sid,
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": [footprint]},
        "links": [{"rel": "collection", "href": COLLECTION_HREF, "type": "application/json",
                   "title": "sentinel-2-l2a"}],
        "assets": assets,
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "collection": "sentinel-2-l2a",
    }
