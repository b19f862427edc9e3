"""Fit, save and load a deforestation risk model.

The model is a binned logistic regression (:class:`yvy.risk.learner.BinnedLogit`, scikit-learn's
``LogisticRegression`` on quantile bins of each covariate) fitted on a uniform random sample of the
forest pixels of a forest-cover-change raster (fcc: 1 forest that stayed, 0 forest lost in the
period, 255 no data / not forest). Its scores are calibrated by isotonic regression on the
out-of-fold scores of a spatially blocked cross-validation (square blocks,
:class:`~sklearn.model_selection.GroupKFold`), which is what ``CalibratedClassifierCV(method=
"isotonic", ensemble=False)`` does; the same folds give the cross-validated AUC. The model file
(joblib) keeps the learner, the calibration curve, the covariates, the grid and the period.

Imports numpy, scikit-learn, joblib and rasterio; never the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..i18n import N_
from .covariates import Covariate, WindowReader, prepare
from .grid import Grid, block_ids, windows
from .learner import BinnedLogit

__all__ = ["RiskModel", "Sample", "fit", "load", "sample_pixels", "FORMAT"]

FORMAT = "yvy-risk-model"
FCC_STAYED, FCC_LOST, FCC_NODATA = 1, 0, 255
BINS = 32
"""Quantile bins per covariate, chosen by blocked cross-validation inside the north half of Guadeloupe."""

Progress = Callable[[int, int, str], None]


def _noop(done: int, total: int, label: str = "") -> None:
    return None


@dataclass
class Sample:
    """Training pixels: covariates ``x`` (n, k), ``lost`` (n,) bool, and their ``rows``/``cols``."""

    x: np.ndarray
    lost: np.ndarray
    rows: np.ndarray
    cols: np.ndarray


@dataclass
class RiskModel:
    """A fitted, calibrated risk model and what it needs to map."""

    estimator: BinnedLogit
    calibration: tuple[np.ndarray, np.ndarray]
    """Isotonic calibration knots: logit -> probability."""
    covariates: list[Covariate]
    grid: Grid
    period: tuple[str | None, str | None]
    fcc: str
    metrics: dict = field(default_factory=dict)
    sample_size: int = 0

    @property
    def names(self) -> list[str]:
        """Covariate names in feature order."""
        return [c.name for c in self.covariates]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probability of loss in one period for rows of covariates (n, k); NaN if any is NaN."""
        return self.predict_columns(np.asarray(x).T)

    def predict_columns(self, x: np.ndarray) -> np.ndarray:
        """Like :meth:`predict` for covariates as columns (k, n), as windows are read."""
        return self.estimator.score(x, *self.calibration)

    def save(self, path: str | Path) -> Path:
        """Write the model file atomically (joblib)."""
        import joblib
        import sklearn

        from ..io import atomic_path

        payload = {"format": FORMAT, "version": 1, "sklearn": sklearn.__version__,
                   "estimator": self.estimator, "calibration": [a.tolist() for a in self.calibration],
                   "covariates": [c.to_dict() for c in self.covariates], "grid": self.grid.to_dict(),
                   "period": list(self.period), "fcc": self.fcc, "metrics": self.metrics,
                   "sample_size": self.sample_size}
        with atomic_path(path, suffix=".joblib") as tmp:
            joblib.dump(payload, tmp, compress=3)
        return Path(path)


def load(path: str | Path) -> RiskModel:
    """Read a model file written by :meth:`RiskModel.save`."""
    import joblib

    p = Path(path)
    if not p.is_file():
        raise InputError(p, "no such model file")
    try:
        d = joblib.load(p)
    except Exception as exc:  # joblib/pickle raise many kinds on a foreign file
        raise InputError(p, f"not a yvy risk model ({type(exc).__name__})") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise InputError(p, "not a yvy risk model")
    cal = tuple(np.asarray(a, np.float64) for a in d["calibration"])
    return RiskModel(d["estimator"], cal, [Covariate(**c) for c in d["covariates"]],
                     Grid.from_dict(d["grid"]), tuple(d["period"]), d["fcc"], d.get("metrics", {}),
                     d.get("sample_size", 0))


def _open_fcc(path: str | Path):
    import rasterio

    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(path, f"cannot read forest cover change raster ({exc})") from None
    if ds.count != 1 or ds.dtypes[0] != "uint8":
        ds.close()
        raise InputError(path, "forest cover change must be one uint8 band (1 stayed, 0 lost, 255 no data)")
    return ds


def sample_pixels(fcc_path: str | Path, covariates: Sequence[Covariate], grid: Grid, *, size: int,
                  seed: int = 0, rows: tuple[int, int] | None = None,
                  progress: Progress = _noop) -> Sample:
    """A uniform random sample of about ``size`` forest pixels (fcc 0 or 1) with all covariates
    defined, read window by window; ``rows`` limits it to a band of rows [start, stop)."""
    from rasterio.windows import Window

    r0, r1 = rows or (0, grid.height)
    wins = [(r, c) for r, c in windows(grid) if r.stop > r0 and r.start < r1]
    rng = np.random.default_rng(seed)
    with _open_fcc(fcc_path) as ds:
        counts = []
        for r, c in wins:
            a = ds.read(1, window=Window(c.start, r.start, c.stop - c.start, r.stop - r.start))
            rr = np.arange(r.start, r.stop)[:, None]
            counts.append(int((((a == FCC_STAYED) | (a == FCC_LOST)) & (rr >= r0) & (rr < r1)).sum()))
        total = sum(counts)
        if total == 0:
            raise InputError(fcc_path, "no forest pixels (values 0 or 1) to learn from")
        p = min(1.0, size / total)
        parts = []
        with WindowReader(covariates, grid) as reader:
            for i, ((r, c), n) in enumerate(zip(wins, counts, strict=True)):
                progress(i + 1, len(wins), "sampling")
                if n == 0:
                    continue
                a = ds.read(1, window=Window(c.start, r.start, c.stop - c.start, r.stop - r.start))
                rr, cc = np.nonzero((a == FCC_STAYED) | (a == FCC_LOST))
                keep = (rng.random(rr.size) < p) & (rr + r.start >= r0) & (rr + r.start < r1)
                rr, cc = rr[keep], cc[keep]
                if rr.size == 0:
                    continue
                x = reader.read(r, c)[:, rr, cc].T
                ok = np.isfinite(x).all(axis=1)
                parts.append((x[ok], a[rr, cc][ok] == FCC_LOST, rr[ok] + r.start, cc[ok] + c.start))
    if not parts:
        raise InputError("covariates", "undefined on every forest pixel of the change raster")
    x, lost, rr, cc = (np.concatenate(v) for v in zip(*parts, strict=True))
    if lost.all() or not lost.any():
        raise InputError(fcc_path, "the sample needs both lost (0) and stayed (1) forest pixels")
    return Sample(x, lost, rr, cc)


def new_estimator() -> BinnedLogit:
    """The unfitted learner."""
    return BinnedLogit(bins=BINS)


def blocked_folds(sample: Sample, block_px: int, n_folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test index pairs of a spatially blocked K-fold (square blocks of ``block_px``)."""
    from sklearn.model_selection import GroupKFold

    groups = block_ids(sample.rows, sample.cols, block_px)
    n = min(n_folds, np.unique(groups).size)
    if n < 2:
        raise InputError("fcc", "the forest covers a single CV block; use a smaller --block-km")
    return list(GroupKFold(n_splits=n).split(sample.x, sample.lost, groups))


def out_of_fold(sample: Sample, folds, progress: Progress = _noop) -> np.ndarray:
    """Uncalibrated out-of-fold scores (logits) of the learner over ``folds``."""
    oof = np.full(sample.lost.size, np.nan)
    for i, (tr, te) in enumerate(folds):
        progress(i, len(folds), N_("cross-validation fold") + f" {i + 1}")
        est = new_estimator().fit(sample.x[tr], sample.lost[tr])
        oof[te] = est.decision_function(sample.x[te])
    progress(len(folds), len(folds), "cross-validation done")
    return oof


def fit(fcc_path: str | Path, covariates: Sequence[Covariate], *, cache: str | Path,
        sample_size: int = 200_000, block_km: float = 5.0, folds: int = 5, seed: int = 0,
        period: tuple[str | None, str | None] = (None, None), rows: tuple[int, int] | None = None,
        progress: Progress = _noop) -> RiskModel:
    """Fit a calibrated risk model on a forest-cover-change raster and covariates.

    Parameters
    ----------
    fcc_path
        uint8 raster: 1 forest that stayed, 0 forest lost in the period, 255 no data. Its grid is
        the model grid.
    covariates
        From :func:`yvy.risk.covariates.covariates_from_paths`; resampled onto the grid.
    cache
        Folder for the distance rasters of vector covariates.
    block_km
        Side of the square blocks of the spatially blocked cross-validation.
    rows
        Fit on this band of rows only (a spatial hold-out).
    """
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score

    with _open_fcc(fcc_path) as ds:
        grid = Grid.of(ds)
    prepared = prepare(covariates, grid, Path(cache))
    sample = sample_pixels(fcc_path, prepared, grid, size=sample_size, seed=seed, rows=rows,
                           progress=progress)
    block_px = max(1, round(block_km * 1000 / grid.res))
    cv = blocked_folds(sample, block_px, folds)
    oof = out_of_fold(sample, cv, progress)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(oof, sample.lost)
    calibration = (np.asarray(iso.X_thresholds_, np.float64), np.asarray(iso.y_thresholds_, np.float64))
    estimator = new_estimator().fit(sample.x, sample.lost)
    metrics = {"cv_auc_blocked": float(roc_auc_score(sample.lost, oof)), "cv_folds": len(cv),
               "cv_block_km": block_km, "sample_loss_rate": float(sample.lost.mean())}
    return RiskModel(estimator, calibration, prepared, grid, period, str(Path(fcc_path).absolute()),
                     metrics, int(sample.lost.size))
