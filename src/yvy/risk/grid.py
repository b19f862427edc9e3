"""The model grid of a risk model and the windows it is streamed in.

A :class:`Grid` is a CRS, an affine transform and a shape: the grid of the forest-cover-change
raster a model was fitted on, onto which every covariate is resampled. Imports numpy, rasterio and
affine only; nothing from the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from affine import Affine

__all__ = ["Grid", "windows"]


@dataclass(frozen=True)
class Grid:
    """A raster grid: CRS (WKT), affine transform and (height, width)."""

    crs: str
    transform: tuple[float, ...]
    height: int
    width: int

    @property
    def affine(self) -> Affine:
        """The transform as an :class:`affine.Affine`."""
        return Affine(*self.transform[:6])

    @property
    def res(self) -> float:
        """Pixel size (map units), the mean of the two axes."""
        a = self.affine
        return float((abs(a.a) + abs(a.e)) / 2)

    @property
    def pixel_area_ha(self) -> float:
        """Area of one pixel in hectares (map units taken as metres)."""
        a = self.affine
        return float(abs(a.a * a.e) / 10_000)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in the grid's CRS."""
        a = self.affine
        xs = (a.c, a.c + a.a * self.width)
        ys = (a.f, a.f + a.e * self.height)
        return min(xs), min(ys), max(xs), max(ys)

    @classmethod
    def of(cls, ds) -> Grid:
        """The grid of an open rasterio dataset."""
        if ds.crs is None:
            from ..errors import ProjectionError

            raise ProjectionError(ds.name, "raster has no CRS")
        return cls(ds.crs.to_wkt(), tuple(float(v) for v in list(ds.transform)[:6]), ds.height, ds.width)

    def window_transform(self, rows: slice, cols: slice) -> Affine:
        """Transform of a window of this grid."""
        return self.affine * Affine.translation(cols.start, rows.start)

    def to_dict(self) -> dict:
        """JSON-able form (stored in the model file and in STAC ``proj:`` fields)."""
        return {"crs": self.crs, "transform": list(self.transform), "shape": [self.height, self.width]}

    @classmethod
    def from_dict(cls, d: dict) -> Grid:
        """Inverse of :meth:`to_dict`."""
        return cls(d["crs"], tuple(d["transform"]), int(d["shape"][0]), int(d["shape"][1]))


def windows(grid: Grid, size: int = 1024) -> Iterator[tuple[slice, slice]]:
    """(rows, cols) slices tiling ``grid`` in blocks of at most ``size`` x ``size`` pixels."""
    for r in range(0, grid.height, size):
        for c in range(0, grid.width, size):
            yield slice(r, min(r + size, grid.height)), slice(c, min(c + size, grid.width))


def block_ids(rows: np.ndarray, cols: np.ndarray, block: int) -> np.ndarray:
    """Spatial block id of pixels (row, col) for blocks of ``block`` pixels a side."""
    return (rows // block).astype(np.int64) * 1_000_000 + (cols // block).astype(np.int64)
