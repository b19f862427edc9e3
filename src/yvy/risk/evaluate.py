"""Evaluate a risk model as the field does: ROC AUC, figure of merit at the observed quantity of
loss, and predicted vs observed hectares on coarse cells (wRMSE), beside the distance-to-forest-
edge benchmark on the same pixels.

The benchmark follows the VT0007 / riskmapjnr idea: the probability of a pixel is the loss rate
observed, on the training pixels, in its class of distance to the forest edge (classes are
quantiles of the distance), so it also yields predicted hectares. :func:`split_evaluation` fits on
a band of rows and scores every forest pixel of the rest; it is a spatial hold-out when no second
period exists. Imports numpy, scikit-learn and rasterio; never the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from .covariates import Covariate, WindowReader
from .grid import Grid, windows
from .model import FCC_LOST, FCC_STAYED, Progress, _noop, _open_fcc, fit

__all__ = ["figure_of_merit", "wrmse_cells", "edge_benchmark", "scores", "split_evaluation"]

EDGE_CLASSES = 20


def figure_of_merit(lost: np.ndarray, prob: np.ndarray) -> float:
    """FOM = hits / (hits + misses + false alarms) when the ``lost.sum()`` riskiest pixels are
    predicted lost (the quantity of loss is taken as known, as in the VT0007 protocol)."""
    n = int(lost.sum())
    if n == 0:
        return float("nan")
    top = np.argpartition(-prob, n - 1)[:n]
    hits = int(lost[top].sum())
    return hits / (2 * n - hits)


def wrmse_cells(lost: np.ndarray, prob: np.ndarray, rows: np.ndarray, cols: np.ndarray, *,
                cell_px: int, pixel_ha: float) -> dict:
    """Predicted (sum of probabilities) vs observed hectares of loss on square cells of ``cell_px``.

    Returns ``wrmse_ha`` (weighted by the forest area of each cell), ``rmse_ha``, the number of
    cells with forest and the predicted and observed totals.
    """
    cell = (rows // cell_px).astype(np.int64) * 1_000_000 + cols // cell_px
    ids, inv = np.unique(cell, return_inverse=True)
    obs = np.bincount(inv, weights=lost.astype(float)) * pixel_ha
    pred = np.bincount(inv, weights=prob.astype(float)) * pixel_ha
    forest = np.bincount(inv) * pixel_ha
    err2 = (pred - obs) ** 2
    return {"cells": int(ids.size), "cell_km": None, "wrmse_ha": float(np.sqrt((forest * err2).sum() / forest.sum())),
            "rmse_ha": float(np.sqrt(err2.mean())), "predicted_ha": float(pred.sum()),
            "observed_ha": float(obs.sum())}


def edge_benchmark(train_dist: np.ndarray, train_lost: np.ndarray, classes: int = EDGE_CLASSES):
    """A function mapping distance to edge -> loss rate of its distance class on the training data."""
    edges = np.unique(np.quantile(train_dist, np.linspace(0, 1, classes + 1)[1:-1]))
    k = np.searchsorted(edges, train_dist, side="right")
    rate = np.bincount(k, weights=train_lost.astype(float), minlength=edges.size + 1) / np.maximum(
        np.bincount(k, minlength=edges.size + 1), 1)
    return lambda d: rate[np.searchsorted(edges, d, side="right")]


def scores(lost: np.ndarray, prob: np.ndarray, rows: np.ndarray, cols: np.ndarray, grid: Grid,
           cell_km: Sequence[float] = (1.5, 5.0, 10.0)) -> dict:
    """AUC, FOM and wRMSE on cells of each size in ``cell_km`` for one set of probabilities."""
    from sklearn.metrics import roc_auc_score

    out = {"auc": float(roc_auc_score(lost, prob)), "fom": figure_of_merit(lost, prob), "cells": []}
    for km in cell_km:
        r = wrmse_cells(lost, prob, rows, cols, cell_px=max(1, round(km * 1000 / grid.res)),
                        pixel_ha=grid.pixel_area_ha)
        r["cell_km"] = km
        out["cells"].append(r)
    return out


def _edge_index(covariates: Sequence[Covariate], edge: str) -> int:
    names = [c.name for c in covariates]
    if edge not in names:
        raise InputError("edge", f"no covariate named {edge!r} (have: {', '.join(names)})")
    return names.index(edge)


def _score_band(model, fcc_path, rows: tuple[int, int], edge_i: int, progress: Progress):
    """Probabilities, edge distances, labels and positions of every forest pixel in a band of rows."""
    from rasterio.windows import Window

    grid = model.grid
    parts = []
    wins = [(r, c) for r, c in windows(grid) if r.stop > rows[0] and r.start < rows[1]]
    with _open_fcc(fcc_path) as ds, WindowReader(model.covariates, grid) as reader:
        for i, (r, c) in enumerate(wins):
            progress(i + 1, len(wins), "scoring")
            a = ds.read(1, window=Window(c.start, r.start, c.stop - c.start, r.stop - r.start))
            rr, cc = np.nonzero((a == FCC_STAYED) | (a == FCC_LOST))
            keep = (rr + r.start >= rows[0]) & (rr + r.start < rows[1])
            rr, cc = rr[keep], cc[keep]
            if rr.size == 0:
                continue
            x = reader.read(r, c)[:, rr, cc].T
            ok = np.isfinite(x).all(axis=1)
            parts.append((model.predict(x[ok]), x[ok, edge_i], a[rr, cc][ok] == FCC_LOST,
                          rr[ok] + r.start, cc[ok] + c.start))
    if not parts:
        raise InputError(fcc_path, "no forest pixels in the evaluation rows")
    return (np.concatenate(v) for v in zip(*parts, strict=True))


def split_evaluation(fcc_path: str | Path, covariates: Sequence[Covariate], *, cache: str | Path,
                     train_fraction: float = 2 / 3, edge: str = "dist_edge", seed: int = 0,
                     sample_size: int = 200_000, progress: Progress = _noop) -> dict:
    """Fit on the first ``train_fraction`` of the rows that hold forest, score all forest pixels of
    the other rows: model and edge benchmark side by side on the same pixels."""
    with _open_fcc(fcc_path) as ds:
        a = ds.read(1)
    forest_rows = np.nonzero(((a == FCC_STAYED) | (a == FCC_LOST)).any(axis=1))[0]
    if forest_rows.size < 2:
        raise InputError(fcc_path, "too few forest rows to split")
    first, last = int(forest_rows[0]), int(forest_rows[-1]) + 1
    cut = first + int(round((last - first) * train_fraction))
    model = fit(fcc_path, covariates, cache=cache, sample_size=sample_size, seed=seed, rows=(first, cut),
                progress=progress)
    edge_i = _edge_index(model.covariates, edge)
    # the benchmark's distance classes are learnt on the training rows (same sampling as the model)
    from .model import sample_pixels

    train = sample_pixels(fcc_path, model.covariates, model.grid, size=sample_size, seed=seed + 1,
                          rows=(first, cut))
    bench = edge_benchmark(train.x[:, edge_i], train.lost)
    prob, dist, lost, rr, cc = _score_band(model, fcc_path, (cut, last), edge_i, progress)
    return {
        "protocol": f"fit on rows {first}-{cut - 1}, score every forest pixel of rows {cut}-{last - 1}",
        "train_rows": [first, cut], "test_rows": [cut, last], "test_pixels": int(lost.size),
        "test_lost_pixels": int(lost.sum()), "cv_auc_blocked_train": model.metrics["cv_auc_blocked"],
        "model": scores(lost, prob, rr, cc, model.grid),
        "edge_benchmark": scores(lost, bench(dist), rr, cc, model.grid),
        "edge_auc_raw": _raw_edge_auc(lost, dist),
    }


def _raw_edge_auc(lost: np.ndarray, dist: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(lost, -dist))
