"""The readers in claim order, and helpers to run them over a set of paths.

:data:`FORMATS` lists the readers from the most specific layout to the generic GeoTIFF:
Sentinel-2 (SAFE / cloud COGs, before STAC JSON so a provider's Item JSON beside its COGs is part
of the product), Landsat MTL, CBERS, IRS, Sentinel-1 GRD SAFE, OPERA RTC-S1, HyP3 RTC, STAC JSON,
Sentinel-1 Equi7 tiles and radar-named time stacks, GeoTIFF.

:func:`expand_paths` turns files, folders and zip/tar archives into the candidate paths that
``claim`` expects (archive members as ``/vsizip/`` / ``/vsitar/`` paths); :func:`claim_all` runs
the claim loop. The ingest orchestrator may use them or do the same itself.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ...errors import InputError
from . import (
    Format,
    SceneGroup,
    cbers,
    geotiff,
    hyp3,
    irs,
    landsat,
    opera,
    sentinel1,
    sentinel1_stack,
    sentinel2,
    stac_json,
)

__all__ = ["FORMATS", "get_format", "expand_paths", "claim_all", "unrecognised", "read_items"]

FORMATS: list[Format] = [
    sentinel2.FORMAT,
    landsat.FORMAT,
    cbers.FORMAT,
    irs.FORMAT,
    sentinel1.FORMAT,
    opera.FORMAT,
    hyp3.FORMAT,
    stac_json.FORMAT,
    sentinel1_stack.FORMAT,
    geotiff.FORMAT,
]

_ARCHIVES = {".zip": "/vsizip/", ".tar": "/vsitar/", ".tgz": "/vsitar/", ".gz": "/vsitar/"}


def get_format(name: str) -> Format:
    """The reader called ``name``; InputError listing the known names otherwise."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in FORMATS)
    raise InputError("format", f"unknown format {name!r}; known: {known}")


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Absolute candidate paths: folders walked (sorted, hidden entries skipped), zip and tar
    archives listed as ``/vsizip//abs/a.zip/member`` / ``/vsitar//abs/a.tar/member``.

    The same expansion as ingest (:func:`yvy.catalog.ingest.expand_inputs`), raising the first
    problem instead of collecting them.
    """
    from ..ingest import expand_inputs

    candidates, _, errors = expand_inputs(paths)
    if errors:
        raise InputError(None, errors[0])  # i18n: relayed (already "path: problem")
    return candidates


def claim_all(
    paths: Iterable[str], formats: list[Format] | None = None
) -> tuple[list[SceneGroup], list[str]]:
    """Let each reader claim in turn; return (groups, paths nobody claimed)."""
    left = list(dict.fromkeys(paths))
    groups: list[SceneGroup] = []
    for fmt in formats or FORMATS:
        claimed = fmt.claim(left)
        taken = {f for g in claimed for f in g.files}
        groups.extend(claimed)
        left = [p for p in left if p not in taken]
    return groups, left


def unrecognised(path: str) -> InputError:
    """The error for a file no reader claimed."""
    return InputError(
        path,
        "unknown file type; expected a Sentinel-2 L2A SAFE or COG folder, a Landsat C2 L2 MTL, "
        "an IRS or CBERS product, a Sentinel-1 GRD SAFE, an OPERA or HyP3 RTC product, "
        "a STAC Item/ItemCollection JSON or a GeoTIFF",
    )


def read_items(paths: Iterable[str | os.PathLike], options=None) -> list:
    """Expand, claim and describe ``paths``; raise for the first unclaimed or bad file.

    A convenience for tests and scripts; the ingest orchestrator runs the same steps with its own
    error policy and progress reporting.
    """
    from . import IngestOptions

    options = options or IngestOptions()
    groups, left = claim_all(expand_paths(paths))
    if left:
        raise unrecognised(left[0])
    items = []
    for group in groups:
        items.extend(get_format(group.format).to_items(group, options))
    return items
