"""Collection templates: a ``pystac.Collection`` per collection id the readers produce.

:func:`collection_template` returns a fresh Collection with title, description, license,
providers and summaries; its extent is a placeholder (whole world, open interval) that the
catalog store replaces from the items it holds. Unknown ids (``--collection NAME``) get a
generic template.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import pystac

from .cbers import CBERS_BANDS
from .irs import IRS_BANDS
from .landsat import _OLI
from .radar import RADAR_COLLECTIONS
from .sentinel2 import S2_BANDS

__all__ = ["collection_template", "KNOWN_COLLECTIONS"]

_ESA = pystac.Provider("European Space Agency", roles=["producer", "licensor"],
                       url="https://sentinel.esa.int/")
_USGS = pystac.Provider("USGS", roles=["producer", "licensor"], url="https://www.usgs.gov/landsat")
_INPE = pystac.Provider("INPE", roles=["producer", "licensor"], url="http://www.cbers.inpe.br/")
_NRSC = pystac.Provider("National Remote Sensing Centre, ISRO", roles=["producer", "licensor"],
                        url="https://www.nrsc.gov.in/")
_LOCAL = pystac.Provider("yvy", roles=["host"])


def _base() -> dict:
    return {
        "sentinel-2-l2a": dict(
            title="Sentinel-2 Level-2A",
            description="Sentinel-2 MSI surface reflectance (Level-2A, Sen2Cor), SAFE or "
                        "cloud-optimised GeoTIFF layout.",
            license="proprietary", providers=[_ESA, _LOCAL],
            summaries={"constellation": ["sentinel-2"], "platform": ["sentinel-2a", "sentinel-2b",
                       "sentinel-2c"], "instruments": ["msi"], "gsd": [10, 20, 60],
                       "eo:bands": [{"name": b, "common_name": v[1]} for b, v in S2_BANDS.items()]},
            keywords=["sentinel", "copernicus", "esa", "msi", "surface reflectance"],
        ),
        "landsat-c2-l2": dict(
            title="Landsat Collection 2 Level-2",
            description="Landsat 4-9 Collection 2 Level-2 surface reflectance and surface "
                        "temperature (USGS).",
            license="proprietary", providers=[_USGS, _LOCAL],
            summaries={"constellation": ["landsat"], "platform": ["landsat-4", "landsat-5",
                       "landsat-7", "landsat-8", "landsat-9"],
                       "instruments": ["tm", "etm+", "oli", "tirs"], "gsd": [30],
                       "eo:bands": [{"name": v[0], "common_name": v[1]} for v in _OLI.values()]},
            keywords=["landsat", "usgs", "surface reflectance"],
        ),
        "drone": dict(
            title="Drone orthomosaics",
            description="Orthomosaics from drone (UAV) surveys: RGB or multispectral GeoTIFFs.",
            license="other", providers=[_LOCAL], summaries={}, keywords=["drone", "uav"],
        ),
        "geotiff": dict(
            title="Generic rasters",
            description="GeoTIFF / COG rasters ingested as they are (single images and time "
                        "stacks whose band descriptions are dates).",
            license="other", providers=[_LOCAL], summaries={}, keywords=["geotiff"],
        ),
    }


def _cbers(sat: str, cam: str, bands: dict) -> dict:
    return dict(
        title=f"CBERS-{sat.upper()} {cam.upper()}",
        description=f"CBERS-{sat.upper()} {cam.upper()} imagery from INPE (one GeoTIFF per band).",
        license="CC-BY-SA-3.0", providers=[_INPE, _LOCAL],
        summaries={"constellation": ["cbers"], "platform": [f"cbers-{sat}"], "instruments": [cam],
                   "gsd": sorted({v[2] for v in bands.values()}),
                   "eo:bands": [{"name": f"B{k}", "common_name": v[0]} for k, v in bands.items()]},
        keywords=["cbers", "inpe", cam],
    )


def _irs(sat: str, sensor: str, bands: dict) -> dict:
    return dict(
        title=f"IRS {sat.title()} {sensor.upper()}",
        description=f"Indian Remote Sensing {sat} {sensor.upper()} products as distributed by "
                    "NRSC (one GeoTIFF per band with NRSC metadata).",
        license="proprietary", providers=[_NRSC, _LOCAL],
        summaries={"constellation": ["irs"], "platform": [sat], "instruments": [sensor],
                   "eo:bands": [{"name": f"B{k}", "common_name": v[0]} for k, v in bands.items()]},
        keywords=["irs", "isro", "nrsc", sensor],
    )


def _radar() -> dict:
    return {
        cid: dict(title=title, description=desc, license="proprietary", providers=[_ESA, _LOCAL],
                  summaries={"constellation": ["sentinel-1"], "sar:frequency_band": ["C"]},
                  keywords=keywords)
        for cid, (title, desc, keywords) in RADAR_COLLECTIONS.items()
    }


def _all() -> dict:
    out = _base() | _radar()
    for (sat, cam), bands in CBERS_BANDS.items():
        out[f"cbers-{sat}-{cam}"] = _cbers(sat, cam, bands)
    for sat in ("resourcesat-1", "resourcesat-2", "resourcesat-2a"):
        for sensor, bands in IRS_BANDS.items():
            out[f"irs-{sat}-{sensor}"] = _irs(sat, sensor, bands)
    return out


KNOWN_COLLECTIONS: tuple[str, ...] = tuple(_all())


def collection_template(collection_id: str) -> pystac.Collection:
    """A new Collection for ``collection_id`` with a placeholder extent."""
    spec = _all().get(collection_id) or dict(
        title=collection_id, description=f"User collection {collection_id}.", license="other",
        providers=[_LOCAL], summaries={}, keywords=[],
    )
    extent = pystac.Extent(pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
                           pystac.TemporalExtent([[None, None]]))
    return pystac.Collection(
        id=collection_id, title=spec["title"], description=spec["description"], extent=extent,
        license=spec["license"], providers=list(spec["providers"]),
        summaries=pystac.Summaries(dict(spec["summaries"])), keywords=list(spec["keywords"]),
    )
