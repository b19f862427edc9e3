"""Product format readers: recognise files as scenes and describe them as STAC Items.

Each reader module in this package exposes a module-level object implementing
:class:`Format`. :data:`FORMATS` lists them in the order they get to claim files: the most
specific layouts (STAC JSON, SAFE, MTL, IRS metadata) first, the generic GeoTIFF last.

Contract
--------
``claim(paths)`` receives every candidate path not yet claimed (local paths, or GDAL
``/vsizip/ARCHIVE/MEMBER`` / ``/vsitar/ARCHIVE/MEMBER`` paths for archive members) and returns
the :class:`SceneGroup` s it recognises. A path may belong to one group only; the caller removes
claimed paths before asking the next reader. ``claim`` looks at names and, at most, small
metadata files; it never reads pixels and never raises for a file it does not recognise.

``to_items(group, options)`` reads metadata (never pixels, apart from header reads) and returns
one or more ``pystac.Item`` (a STAC ItemCollection yields several). It raises a
:class:`yvy.errors.InputError` subclass, naming the file, for anything wrong: corrupt or
truncated raster, no CRS, invalid JSON, missing band. It must not touch the catalog.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pystac

__all__ = ["SceneGroup", "IngestOptions", "Format", "FORMATS"]


@dataclass(frozen=True)
class SceneGroup:
    """Files that together make one product (one scene, or one STAC JSON document)."""

    format: str
    """Name of the :class:`Format` that claimed it."""
    key: str
    """Path to quote in messages (the product folder, archive, MTL or main file)."""
    files: tuple[str, ...]
    """Every file (local or /vsi path) that belongs to the product."""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    """Reader-specific notes collected while claiming (e.g. the metadata file)."""


@dataclass(frozen=True)
class IngestOptions:
    """Options from the user that readers honour."""

    datetime: str | None = None
    """ISO datetime forced by ``--datetime`` when the product carries none."""
    collection: str | None = None
    """Collection id forced by ``--collection`` (generic GeoTIFFs, drone)."""
    drone: bool = False
    """Treat generic GeoTIFFs as drone orthomosaics (``--drone``)."""
    checksum: bool = True
    """Compute ``file:checksum`` (SHA-256 multihash) for every asset."""
    units: str | None = None
    """Backscatter unit forced by ``--units`` (``db`` / ``linear``) for radar products."""


class Format(Protocol):
    """A product format reader."""

    name: str

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """Return the groups of ``paths`` this reader recognises."""
        ...

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """Describe a claimed group as STAC Items (metadata reads only)."""
        ...


def _load_formats() -> list[Format]:
    from . import registry

    return registry.FORMATS


def __getattr__(name: str):
    if name == "FORMATS":
        return _load_formats()
    raise AttributeError(name)
