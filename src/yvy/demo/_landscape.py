"""The static landscape of the demo: land cover, fields, the tajamar and the clearings.

Chaco structure: a matrix of dry forest (denser and sparser stands, a sandy palaeochannel
with open woodland), an existing ranch on one side with rectangular paddocks (pasture and
cropland) separated by forest windbreaks (*cortinas rompevientos*), a dirt road and a
tajamar (excavated reservoir) in one paddock. New clearings in the later part of the period
are large rectangular blocks that leave forest strips standing inside them, plus small
irregular clearings of a few hectares, sometimes with remnant trees (holes).

Sizes are in pixels of 10 m (1 ha = 100 px). Imports only numpy and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from scipy import ndimage

__all__ = [
    "BARE",
    "CLEARED",
    "COVER_NAMES",
    "CROP",
    "FOREST",
    "PASTURE",
    "RETAINED",
    "WATER",
    "Clearing",
    "Landscape",
    "add_pasture_fire",
    "build_landscape",
]

# Land-cover codes (landcover.tif). RETAINED forest behaves as forest.
FOREST, PASTURE, CROP, WATER, BARE, RETAINED, CLEARED = 1, 2, 3, 4, 5, 6, 7
COVER_NAMES = {
    FOREST: "forest",
    PASTURE: "pasture",
    CROP: "cropland",
    WATER: "water",
    BARE: "bare (road, tajamar berm)",
    RETAINED: "forest left standing (windbreak, isleta)",
    CLEARED: "forest cleared during the period",
}

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Clearing:
    """One clearing event (ground truth)."""

    id: int
    kind: str
    """``block`` (rectangular, windbreaks left) or ``irregular`` (a few ha)."""
    day: int
    """Days since 1970-01-01 of the clearing (forest to bare soil)."""
    burn_delay: int
    """Days after clearing when the felled wood is burnt; 0 = never burnt."""
    bare_days: int
    """Days after clearing before sown pasture starts to establish."""
    windrow_axis: int
    """0: debris windrows run east-west, 1: north-south."""

    @property
    def date(self) -> date:
        """Calendar date of the clearing."""
        return date.fromordinal(_EPOCH.toordinal() + self.day)


@dataclass(frozen=True)
class Landscape:
    """Static per-pixel layers (all ``size`` x ``size``) and per-field parameters."""

    cover: np.ndarray
    """uint8 land cover at the start (FOREST, PASTURE, CROP, WATER, BARE, RETAINED)."""
    field_id: np.ndarray
    """int32 paddock/field index into the ``field_*`` arrays (0 = not a field)."""
    clear_id: np.ndarray
    """int16 clearing id (0 = never cleared)."""
    clear_day: np.ndarray
    """int32 days since 1970 of clearing (0 = never cleared)."""
    density: np.ndarray
    """float32 woody density, about 0.5 (open woodland) to 1.1 (dense forest)."""
    texture: np.ndarray
    """float32 canopy texture, zero mean, unit variance, correlated over ~2 px."""
    patchiness: np.ndarray
    """float32 mid-scale pattern (grazing patches, soil), zero mean, unit variance."""
    soil_bright: np.ndarray
    """float32 soil brightness factor (about 0.85 to 1.15)."""
    water_depth: np.ndarray
    """float32 0 at the tajamar rim to 1 at its deepest point; 0 elsewhere."""
    field_kind: np.ndarray
    """uint8 per field: PASTURE or CROP (index 0 unused)."""
    field_vigour: np.ndarray
    """float32 per field: grazing pressure / crop vigour factor."""
    field_soil: np.ndarray
    """float32 per field: bare-soil fraction in the wet season (pasture)."""
    clearings: tuple[Clearing, ...]
    burn_day: int = 0
    """Days since 1970 of the pasture fire (0 = no fire); see :func:`add_pasture_fire`."""
    burned: np.ndarray | None = None
    """bool mask of the pasture burnt on ``burn_day`` (None = no fire)."""

    @property
    def size(self) -> int:
        """Width and height in pixels."""
        return self.cover.shape[0]

    def retained(self) -> np.ndarray:
        """Boolean mask of forest strips and islands left standing."""
        return self.cover == RETAINED

    def final_cover(self) -> np.ndarray:
        """Land cover at the end of the period (cleared pixels are CLEARED)."""
        out = self.cover.copy()
        out[self.clear_id > 0] = CLEARED
        return out


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    field -= field.mean()
    return (field / (field.std() + 1e-12)).astype(np.float32)


def _split(length: int, part: int, gap: int, min_runs: int = 1) -> list[tuple[int, int]]:
    """Cut ``length`` into runs of about ``part`` separated by ``gap``-wide strips."""
    n = max(min_runs, round((length + gap) / (part + gap)))
    while n > 1 and (length - (n - 1) * gap) / n < 10:
        n -= 1
    inner = (length - (n - 1) * gap) / n
    runs, start = [], 0.0
    for _ in range(n):
        a = round(start)
        b = round(start + inner)
        runs.append((a, b))
        start += inner + gap
    return runs


def _ranch(size: int, rng: np.random.Generator):
    """Paddock grid of an existing ranch along the western edge (rotated later)."""
    cover = np.full((size, size), FOREST, np.uint8)
    field_id = np.zeros((size, size), np.int32)
    depth = round(rng.uniform(0.30, 0.42) * size)
    wb = int(rng.integers(5, 11))
    road = 3
    part = int(np.clip(rng.uniform(0.18, 0.30) * size, 25, 120))
    kinds = [0]
    rows = _split(size, part, wb)
    cols = _split(depth - wb, part, wb)
    cover[:, :depth] = RETAINED
    cover[:, depth : depth + road] = BARE
    for r0, r1 in rows:
        for c0, c1 in cols:
            fid = len(kinds)
            kinds.append(CROP if rng.random() < 0.3 else PASTURE)
            field_id[r0:r1, c0:c1] = fid
    kinds = np.array(kinds, np.uint8)
    if len(kinds) > 2:  # at least one paddock of each kind
        for want in (CROP, PASTURE):
            if not (kinds[1:] == want).any():
                kinds[1 + int(rng.integers(len(kinds) - 1))] = want
    inside = field_id > 0
    cover[inside] = kinds[field_id[inside]]
    water_depth = np.zeros((size, size), np.float32)
    pastures = [i for i in range(1, len(kinds)) if kinds[i] == PASTURE]
    if pastures:
        _tajamar(cover, field_id, water_depth, int(rng.choice(pastures)), rng)
    return cover, field_id, kinds, water_depth


def _tajamar(cover, field_id, water_depth, fid: int, rng: np.random.Generator) -> None:
    """Dig a rounded-rectangle reservoir (about 60-90 m x 90-140 m) with an earth berm."""
    rr, cc = np.nonzero(field_id == fid)
    h, w = int(rng.integers(6, 10)), int(rng.integers(9, 15))
    if rng.random() < 0.5:
        h, w = w, h
    r0 = rr.min() + 4 + int(rng.integers(0, max(1, rr.max() - rr.min() - h - 8)))
    c0 = cc.min() + 4 + int(rng.integers(0, max(1, cc.max() - cc.min() - w - 8)))
    yy, xx = np.mgrid[0:h, 0:w]
    # superellipse: rectangular with rounded corners
    d = np.abs((yy + 0.5 - h / 2) / (h / 2)) ** 4 + np.abs((xx + 0.5 - w / 2) / (w / 2)) ** 4
    pit = d < 1.0
    depth = np.clip(1 - d, 0, 1) ** 0.5
    box = (slice(r0, r0 + h), slice(c0, c0 + w))
    berm = ndimage.binary_dilation(np.pad(pit, 2), iterations=2) & ~np.pad(pit, 2)
    bbox = (slice(r0 - 2, r0 + h + 2), slice(c0 - 2, c0 + w + 2))
    cover[bbox][berm] = BARE
    cover[box][pit] = WATER
    water_depth[box][pit] = depth[pit]
    field_id[bbox][berm] = 0
    field_id[box][pit] = 0


def _palaeochannel(size: int, rng: np.random.Generator) -> np.ndarray:
    """A sinuous belt of open woodland on sandy soils (the Chaco's old river beds)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    centre = size / 2 * (np.cos(angle) - np.sin(angle)) + rng.uniform(-0.25, 0.25) * size
    wave = rng.uniform(0.04, 0.08) * size * np.sin(2 * np.pi * u / (rng.uniform(0.6, 1.2) * size))
    half = rng.uniform(0.025, 0.05) * size
    dist = np.abs(v - centre - wave)
    return np.clip(1 - dist / half, 0, 1) ** 0.8


class _Space:
    """Free forest with O(1) rectangle tests (summed-area table)."""

    def __init__(self, free: np.ndarray):
        self.free = free.copy()
        self._update()

    def _update(self) -> None:
        self.sat = np.pad(self.free.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))

    def fits(self, r0: int, c0: int, h: int, w: int) -> bool:
        n = self.free.shape[0]
        if r0 < 0 or c0 < 0 or r0 + h > n or c0 + w > n:
            return False
        s = self.sat
        total = s[r0 + h, c0 + w] - s[r0, c0 + w] - s[r0 + h, c0] + s[r0, c0]
        return total == h * w

    def take(self, mask_or_box) -> None:
        self.free[mask_or_box] = False
        self._update()


def _block(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A rectangular clearing with windbreak strips (and maybe an isleta) left standing."""
    cleared = np.ones((h, w), bool)
    gap = int(rng.integers(5, 11))  # 50-100 m
    part = int(rng.integers(22, 40))
    direction = rng.random()
    strips_rows = direction < 0.55 or direction > 0.85
    strips_cols = direction >= 0.55
    for axis, on in ((0, strips_rows), (1, strips_cols)):
        if not on:
            continue
        length = cleared.shape[axis]
        runs = _split(length, part, gap, min_runs=2)
        keep = np.ones(length, bool)
        for a, b in runs:
            keep[a:b] = False
        if axis == 0:
            cleared[keep, :] = False
        else:
            cleared[:, keep] = False
    if rng.random() < 0.4:  # isleta: a forest island kept inside one sub-paddock
        core = ndimage.binary_erosion(cleared, iterations=5)
        rr, cc = np.nonzero(core)
        if rr.size:
            k = int(rng.integers(rr.size))
            yy, xx = np.mgrid[0:h, 0:w]
            rad = rng.uniform(1.8, 3.5)
            cleared &= (yy - rr[k]) ** 2 + (xx - cc[k]) ** 2 > rad**2
    return cleared


def _irregular(rng: np.random.Generator) -> np.ndarray:
    """A small irregular clearing of about 1-4.5 ha, sometimes with remnant trees."""
    area = rng.uniform(100, 450)
    ratio = rng.uniform(1.0, 2.2)
    a = np.sqrt(area * ratio / np.pi)
    b = area / (np.pi * a)
    half = int(np.ceil(a * 1.4)) + 2
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    t = rng.uniform(0, np.pi)
    u = xx * np.cos(t) + yy * np.sin(t)
    v = -xx * np.sin(t) + yy * np.cos(t)
    noise = _smooth_noise(rng, yy.shape, 2.5)
    shape = (u / a) ** 2 + (v / b) ** 2 + 0.35 * noise < 1.0
    labels, n = ndimage.label(shape)
    if n == 0:
        shape[half, half] = True
        return shape
    sizes = ndimage.sum(shape, labels, range(1, n + 1))
    shape = labels == (1 + int(np.argmax(sizes)))
    shape = ndimage.binary_fill_holes(shape)
    if rng.random() < 0.45:  # a clump of trees left standing: a hole
        core = ndimage.binary_erosion(shape, iterations=3)
        rr, cc = np.nonzero(core)
        if rr.size:
            k = int(rng.integers(rr.size))
            shape &= (yy - (rr[k] - half)) ** 2 + (xx - (cc[k] - half)) ** 2 > rng.uniform(
                1.0, 2.2
            ) ** 2
    return shape


def _place_clearings(cover, size, rng, first_day: int, last_day: int):
    clear_id = np.zeros((size, size), np.int16)
    retained = np.zeros((size, size), bool)
    free = ndimage.binary_erosion(cover == FOREST, iterations=4, border_value=0)
    space = _Space(free)
    placed: list[tuple[str, tuple[slice, slice], np.ndarray]] = []
    area_factor = (size / 300) ** 2
    target = rng.uniform(0.10, 0.17) * size * size
    max_blocks = max(2, round(4 * area_factor))
    bmin = int(np.clip(0.14 * size, 30, 70))
    bmax = int(np.clip(0.30 * size, 45, 160))
    done = 0
    for _ in range(400):
        if done >= target or sum(k == "block" for k, *_ in placed) >= max_blocks:
            break
        h, w = int(rng.integers(bmin, bmax + 1)), int(rng.integers(bmin, bmax + 1))
        r0, c0 = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
        if not space.fits(r0, c0, h, w):
            continue
        cleared = _block(h, w, rng)
        box = (slice(r0, r0 + h), slice(c0, c0 + w))
        space.take((slice(max(r0 - 8, 0), r0 + h + 8), slice(max(c0 - 8, 0), c0 + w + 8)))
        placed.append(("block", box, cleared))
        done += int(cleared.sum())
    n_irregular = int(np.clip(round(rng.uniform(2, 4) * area_factor), 2, 400))
    for _ in range(n_irregular):
        shape = _irregular(rng)
        h, w = shape.shape
        for _ in range(60):
            r0, c0 = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
            if space.fits(r0, c0, h, w):
                box = (slice(r0, r0 + h), slice(c0, c0 + w))
                space.take((slice(max(r0 - 3, 0), r0 + h + 3), slice(max(c0 - 3, 0), c0 + w + 3)))
                placed.append(("irregular", box, shape))
                break
    days = sorted(int(d) for d in rng.integers(first_day, last_day + 1, size=len(placed)))
    order = rng.permutation(len(placed))
    clearings = []
    clear_day = np.zeros((size, size), np.int32)
    for cid, (i, day) in enumerate(zip(order, days, strict=False), start=1):
        kind, box, shape = placed[i]
        clear_id[box][shape] = cid
        clear_day[box][shape] = day
        if kind == "block":
            retained[box][~shape] = True
        else:
            # remnant trees inside an irregular clearing
            retained[box] |= ndimage.binary_fill_holes(shape) & ~shape
        burnt = rng.random() < (0.65 if kind == "block" else 0.35)
        clearings.append(
            Clearing(
                id=cid,
                kind=kind,
                day=day,
                burn_delay=int(rng.integers(20, 61)) if burnt else 0,
                bare_days=int(rng.integers(100, 181)),
                windrow_axis=int(rng.integers(2)),
            )
        )
    return clear_id, clear_day, retained, tuple(clearings)


def build_landscape(
    size: int, rng: np.random.Generator, first_day: int, last_day: int
) -> Landscape:
    """Draw the landscape; clearing dates fall in [first_day, last_day] (days since 1970)."""
    cover, field_id, kinds, water_depth = _ranch(size, rng)
    k = int(rng.integers(4))
    cover, field_id, water_depth = (
        np.ascontiguousarray(np.rot90(a, k)) for a in (cover, field_id, water_depth)
    )
    density = 0.93 + 0.09 * _smooth_noise(rng, (size, size), size / 12)
    density += 0.05 * _smooth_noise(rng, (size, size), 4)
    density -= 0.38 * _palaeochannel(size, rng)
    density = np.clip(density, 0.45, 1.1).astype(np.float32)
    density[cover == RETAINED] *= 0.95
    texture = _smooth_noise(rng, (size, size), 1.2)
    patchiness = _smooth_noise(rng, (size, size), 3.0)
    soil_bright = (1 + 0.07 * _smooth_noise(rng, (size, size), 6)).astype(np.float32)
    n_fields = len(kinds)
    vigour = rng.uniform(0.78, 1.0, n_fields).astype(np.float32)
    soil = rng.uniform(0.04, 0.14, n_fields).astype(np.float32)
    clear_id, clear_day, retained, clearings = _place_clearings(
        cover, size, rng, first_day, last_day
    )
    cover[retained] = RETAINED
    return Landscape(
        cover=cover,
        field_id=field_id,
        clear_id=clear_id,
        clear_day=clear_day,
        density=density,
        texture=texture,
        patchiness=patchiness,
        soil_bright=soil_bright,
        water_depth=water_depth,
        field_kind=kinds,
        field_vigour=vigour,
        field_soil=soil,
        clearings=clearings,
    )


def add_pasture_fire(land: Landscape, day: int) -> Landscape:
    """The landscape with its largest grazed paddock burnt on ``day`` (days since 1970).

    Dry-season grass fires are the Chaco's commonest fires; the paddock burns whole, its forest
    windbreaks do not (the demo's forest alerts stay as they were). Deterministic: no random draw.
    A landscape without pasture is returned unchanged.
    """
    grazed = np.flatnonzero(land.field_kind == PASTURE)
    if not grazed.size:
        return land
    counts = np.bincount(land.field_id[land.cover == PASTURE].ravel(), minlength=land.field_kind.size)
    field = int(grazed[np.argmax(counts[grazed])])
    burned = (land.field_id == field) & (land.cover == PASTURE)
    return replace(land, burn_day=int(day), burned=burned)
