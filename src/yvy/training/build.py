"""Making an exercise from a workspace whose outcomes are known: the demo's ground truth.

Every case is cut from the real scenes of the workspace; how each kind is made:

- **clearing**: a clearing of the demo's ``truth.geojson``. The polygon shown is the alert the
  detector made over it when there is one, else the true polygon widened by one pixel (the
  trainee adjusts it); the truth polygon scores the IoU.
- **permit** (agriculture inside a permit): a true clearing too, but the exercise's legal context
  gives it an approved land-use-change permit (its envelope plus 50 m): legal, to dismiss.
- **seasonal**: a cropland or pasture paddock of the demo's ``landcover.tif`` shown at its driest
  scene of the last year, against its greenest scene before: a dip every dry season, no clearing.
- **cloud_shadow**: a patch the scene classification (SCL class 3) marks as cloud shadow over
  forest that is never cleared, on one scene; the scenes before show the forest standing.
- **fire**: a fire event of the workspace (``yvy fires ingest``: FIRMS hotspots clustered) over
  the area and off every true clearing, at its start date. The demo's own scenes have none, so
  a demo exercise has fire cases only once fire events over it were ingested.

Zone series come from one NDVI stack over the area (:mod:`.imagery`). Imports numpy, scipy,
rasterio, shapely; must not import click, fastapi, yvy.storage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from shapely.geometry import mapping, shape

from ..alerts import _geo
from ..errors import InputError
from .imagery import Stack, read_on_grid, read_stack, write_chips, zone_series
from .model import Case

__all__ = ["Candidate", "demo_candidates", "make_cases"]

FOREST_CODES = (1, 6)  # landcover.tif: forest, forest left standing
FIELD_CODES = {2: "pasture", 3: "cropland"}
CHACO_DEPARTMENTS = {"Boquerón", "Alto Paraguay", "Presidente Hayes"}
MIN_SHADOW_PX, MAX_SHADOW_PX = 40, 4000
VALID_SHARE = 0.8  # a scene shows a zone when this share of it is clear


@dataclass(frozen=True)
class Candidate:
    """A case before its imagery is chosen: kind, polygon (WGS84), truth and facts."""

    kind: str
    geometry: object
    truth_geometry: object | None
    truth_date: str | None
    source: str
    note: dict
    scene: int | None = None
    """Index into the stack of the scene the case is shown on (shadows: the shadowed scene)."""


def _vectorize(mask: np.ndarray, grid) -> object:
    import shapely
    from rasterio.features import shapes

    polys = [shape(g) for g, _ in shapes(mask.astype(np.uint8), mask=mask, connectivity=4,
                                         transform=grid.transform)]
    return _geo.reproject(shapely.union_all(polys).simplify(abs(grid.transform.a)), grid.crs, _geo.WGS84)


def _widened(geom_wgs84, grid) -> object:
    g, px = _geo.reproject(geom_wgs84, _geo.WGS84, grid.crs), abs(grid.transform.a)
    return _geo.reproject(g.buffer(px, join_style=2).simplify(px), grid.crs, _geo.WGS84)


def _clearings(truth: dict, alerts: Sequence, grid, rng, n_permits: int) -> list[Candidate]:
    out = []
    feats = truth.get("features", [])
    chosen = rng.choice(len(feats), size=min(n_permits, len(feats)), replace=False) if feats else []
    permit_ids = {int(i) for i in chosen}
    for k, f in enumerate(feats):
        g = shape(f["geometry"])
        hit = [a for a in alerts if a.geometry.intersects(g)]
        shown = max(hit, key=lambda a: a.geometry.intersection(g).area).geometry if hit else _widened(g, grid)
        day, fid = f["properties"]["date"], f["properties"]["id"]
        note = {"alert": hit[0].id} if hit else {}
        if k in permit_ids:
            env = _geo.reproject(_geo.reproject(g, _geo.WGS84, grid.crs).envelope.buffer(50, join_style=2),
                                 grid.crs, _geo.WGS84)
            name = f"PCUS-{day[:4]}-{fid:03d}"
            out.append(Candidate("permit", shown, g, day, f"demo clearing {fid}",
                                 {**note, "permit": name, "permit_geometry": mapping(env)}))
        else:
            out.append(Candidate("clearing", shown, g, day, f"demo clearing {fid}", note))
    return out


def _fields(cover: np.ndarray, grid, tile: int = 40) -> list[Candidate]:
    """Paddocks cut into blocks of at most ``tile`` x ``tile`` pixels (a detector flags part of a
    paddock, not all of it); blocks of 5 ha and more."""
    from scipy import ndimage

    out = []
    rows, cols = np.indices(cover.shape)
    blocks = (rows // tile) * (cover.shape[1] // tile + 1) + cols // tile
    for code, name in FIELD_CODES.items():
        lab, n = ndimage.label(cover == code)
        parts = np.where(lab > 0, lab * (blocks.max() + 1) + blocks, 0)
        ids, sizes = np.unique(parts[parts > 0], return_counts=True)
        for z in ids[sizes >= 500]:
            out.append(Candidate("seasonal", _vectorize(parts == z, grid), None, None, f"demo {name} field",
                                 {"cover": name}))
    return out


def _shadows(stack: Stack, stable_forest: np.ndarray, since: str, rng, want: int) -> list[Candidate]:
    from scipy import ndimage

    taken = np.zeros(stable_forest.shape, bool)
    out: list[Candidate] = []
    times = [t for t, d in enumerate(stack.dates) if d >= since and stack.shadow[t].any()]
    for t in rng.permutation(times).tolist():
        lab, n = ndimage.label(stack.shadow[t] & stable_forest)
        sizes = np.bincount(lab.ravel(), minlength=n + 1)
        ok = [z for z in range(1, n + 1) if MIN_SHADOW_PX <= sizes[z] <= MAX_SHADOW_PX]
        for z in ok[:3]:
            m = lab == z
            if (taken & ndimage.binary_dilation(m, iterations=3)).any():
                continue
            taken |= m
            out.append(Candidate("cloud_shadow", _vectorize(m, stack.grid), None, stack.dates[t],
                                 f"scene {stack.items[t]['id']} SCL shadow", {}, scene=t))
        if len(out) >= want:
            break
    return out


def _fires(fire_events: Sequence[dict], truth_union, bounds_lonlat, grid) -> list[Candidate]:
    from shapely.geometry import box

    area = box(*bounds_lonlat)
    out = []
    for e in fire_events:
        g = shape(e["geometry"])
        g = _geo.reproject(_geo.reproject(g, _geo.WGS84, grid.crs).buffer(200), grid.crs, _geo.WGS84)
        if g.centroid.within(area) and (truth_union is None or not g.intersects(truth_union)):
            out.append(Candidate("fire", g, None, e["start"][:10], f"fire event {e['id']}", {}))
    return out


def demo_candidates(demo_dir: Path, items: list[dict], *, alerts: Sequence = (), fire_events: Sequence[dict] = (),
                    n_cases: int = 30, seed: int = 0,
                    progress: Callable | None = None) -> tuple[list[Candidate], Stack]:
    """Candidates of every kind from a demo folder and its ingested scenes (see the module doc)."""
    import shapely

    demo_dir = Path(demo_dir)
    try:
        truth = json.loads((demo_dir / "truth.geojson").read_text())
        manifest = json.loads((demo_dir / "demo.json").read_text())
    except (OSError, ValueError) as exc:
        raise InputError(str(demo_dir), "not a demo folder with truth.geojson and demo.json") from exc
    bounds = tuple(manifest["bounds_lonlat"])
    years = int(manifest.get("years", 3))
    stack = read_stack(_recent(items, years), bounds, progress=progress)
    grid = stack.grid
    cover = read_on_grid(str(demo_dir / "landcover.tif"), grid)
    cleared = read_on_grid(str(demo_dir / "truth_mask.tif"), grid)
    rng = np.random.default_rng(seed)
    clearings = _clearings(truth, alerts, grid, rng, n_permits=max(1, len(truth.get("features", [])) // 4))
    union = shapely.union_all([c.truth_geometry for c in clearings]) if clearings else None
    fires = _fires(fire_events, union, bounds, grid)
    fields = _fields(cover, grid)
    rest = max(0, n_cases - len(clearings) - len(fires))
    n_fields = min(len(fields), rest // 2)
    fields = [fields[i] for i in sorted(rng.choice(len(fields), n_fields, replace=False).tolist())] if n_fields else []
    stable = np.isin(cover, FOREST_CODES) & (np.nan_to_num(cleared) == 0)
    since = stack.dates[len(stack.dates) // 4]
    shadows = _shadows(stack, stable, since, rng, rest - n_fields)
    cands = (clearings + fires + fields + shadows)[:n_cases]
    return [cands[i] for i in rng.permutation(len(cands))], stack


def _recent(items: list[dict], years: int) -> list[dict]:
    """The scenes of the last two years (the series a trainee reads; bounds the reading)."""
    dates = sorted((it.get("properties", {}).get("datetime") or "")[:10] for it in items)
    if not dates or years <= 2:
        return items
    last = dates[-1]
    cut = f"{int(last[:4]) - 2}{last[4:]}"
    return [it for it in items if (it.get("properties", {}).get("datetime") or "")[:10] >= cut]


def _labels(cands: list[Candidate], grid) -> np.ndarray:
    from rasterio.features import rasterize

    shapes = [(_geo.reproject(c.geometry, _geo.WGS84, grid.crs), k + 1) for k, c in enumerate(cands)]
    return rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="int32")


def _pick_scenes(c: Candidate, dates: list[str], ndvi: np.ndarray, bad: np.ndarray) -> tuple[int, int]:
    """(before, after) scene indices for one candidate."""
    ok = (bad <= 1 - VALID_SHARE) & np.isfinite(ndvi)
    idx = np.arange(len(dates))
    if c.kind == "cloud_shadow":
        later = idx[np.array(dates) >= (c.truth_date or dates[-1])]
        after = c.scene if c.scene is not None else (int(later[0]) if len(later) else len(dates) - 1)
    elif c.kind == "seasonal":
        last_year = idx[(np.array(dates) >= f"{int(dates[-1][:4]) - 1}{dates[-1][4:]}") & ok]
        after = int(last_year[np.nanargmin(ndvi[last_year])]) if len(last_year) else len(dates) - 1
    else:
        later = idx[(np.array(dates) >= (c.truth_date or dates[-1])) & ok]
        after = int(later[0]) if len(later) else len(dates) - 1
    earlier = idx[(idx < after) & ok & (np.array(dates) < (c.truth_date or dates[after]))]
    if c.kind == "seasonal" and len(earlier):
        window = earlier[earlier >= max(0, after - 40)]
        return int(window[np.nanargmax(ndvi[window])]) if len(window) else int(earlier[-1]), after
    return (int(earlier[-1]) if len(earlier) else 0), after


def _legal(c: Candidate, context: Sequence, site: str | None) -> dict:
    centre = c.geometry.centroid
    admin = [f for f in context if f.kind == "admin" and f.geometry.contains(centre)]
    dept = admin[0].name if admin else (site.split(",")[0].strip() if site else None)
    region = (admin[0].props.get("region") if admin else None) or ("western" if dept in CHACO_DEPARTMENTS else None)
    protected = sorted(f.name for f in context if f.kind == "protected_area" and f.geometry.intersects(c.geometry))
    permit = {"name": c.note["permit"], "geometry": c.note.get("permit_geometry")} if "permit" in c.note else None
    return {"department": dept, "region": region, "permit": permit, "protected_areas": protected}


def make_cases(cands: list[Candidate], stack: Stack, out_dir: Path, *, context: Sequence = (),
               site: str | None = None, first: int = 1) -> list[Case]:
    """Cases with their series, before/after scenes and chips (PNG files written to ``out_dir``)."""
    from concurrent.futures import ThreadPoolExecutor

    ndvi, bad = zone_series(stack, _labels(cands, stack.grid), len(cands))
    picks = [_pick_scenes(c, stack.dates, ndvi[k], bad[k]) for k, c in enumerate(cands)]
    names = [[f"C{k + first:02d}_{view}.png" for view in ("before", "after")] for k in range(len(cands))]

    def chips(k: int) -> list:
        return write_chips([stack.items[t] for t in picks[k]], cands[k].geometry, [Path(out_dir) / n for n in names[k]])

    with ThreadPoolExecutor(max_workers=2) as pool:
        bounds = {n: b for k, got in enumerate(pool.map(chips, range(len(cands))))
                  for n, b in zip(names[k], got, strict=True)}
    cases = []
    for k, c in enumerate(cands):
        b, a = picks[k]
        cid = f"C{k + first:02d}"
        views = {name: {"date": stack.dates[t], "item": stack.items[t]["id"], "chip": f"{cid}_{name}.png",
                        "bounds": bounds[f"{cid}_{name}.png"]} for name, t in (("before", b), ("after", a))}
        series = {"dates": stack.dates, "ndvi": [None if not np.isfinite(v) else round(float(v), 3) for v in ndvi[k]],
                  "flagged": [bool(v > 0.5) for v in bad[k]]}
        note = {key: v for key, v in c.note.items() if key != "permit_geometry"}
        cases.append(Case(
            id=cid, kind=c.kind, geometry=mapping(c.geometry), area_ha=round(_geo.area_ha(c.geometry), 2),
            before=views["before"], after=views["after"], series=series, legal=_legal(c, context, site),
            truth_geometry=mapping(c.truth_geometry) if c.truth_geometry is not None else None,
            truth_date=c.truth_date or stack.dates[a], source=c.source, note=note))
    return cases
