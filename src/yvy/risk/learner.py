"""The risk learner: a binned (scorecard) logistic regression, an additive model fast to map.

Each covariate is cut into up to ``bins`` quantile bins; the one-hot bins feed a scikit-learn
:class:`~sklearn.linear_model.LogisticRegression` (L2). The fitted model is one weight per bin and
covariate plus an intercept, so a pixel's logit is a sum of table look-ups, computed by the numba
kernel :func:`yvy.kernels.risk.additive_score` (a full Sentinel-2 tile in seconds per core), and the
bins let each covariate act non-linearly (distance to edge, to past loss, terrain...). Imports numpy,
scipy and scikit-learn; never the CLI.
"""

from __future__ import annotations

import numpy as np

from ..kernels.risk import additive_score, bin_index

__all__ = ["BinnedLogit"]

_NO_CAL = np.zeros(0)


class BinnedLogit:
    """Additive logistic model on quantile bins of each covariate."""

    def __init__(self, bins: int = 32, C: float = 1.0):
        self.bins = bins
        self.C = C

    def _onehot(self, x: np.ndarray):
        from scipy.sparse import csr_matrix

        n, k = x.shape
        cols = np.empty((n, k), np.int64)
        for j in range(k):
            cols[:, j] = self.offsets_[j] + bin_index(self.edges_[j], int(self.n_edges_[j]),
                                                      np.ascontiguousarray(x[:, j], np.float64))
        data = np.ones(n * k)
        return csr_matrix((data, cols.ravel(), np.arange(0, n * k + 1, k)), shape=(n, int(self.offsets_[-1])))

    def fit(self, x: np.ndarray, y: np.ndarray) -> BinnedLogit:
        """Learn bin edges (quantiles of ``x``) and the logistic weights."""
        from sklearn.linear_model import LogisticRegression

        k = x.shape[1]
        qs = np.linspace(0, 1, self.bins + 1)[1:-1]
        edge_list = [np.unique(np.quantile(x[:, j], qs)) for j in range(k)]
        m = max(e.size for e in edge_list)
        self.edges_ = np.full((k, max(m, 1)), np.inf)
        self.n_edges_ = np.array([e.size for e in edge_list], np.int64)
        for j, e in enumerate(edge_list):
            self.edges_[j, : e.size] = e
        self.offsets_ = np.concatenate([[0], np.cumsum(self.n_edges_ + 1)])
        lr = LogisticRegression(C=self.C, max_iter=1000).fit(self._onehot(x), y)
        self.weights_ = np.zeros((k, self.edges_.shape[1] + 1))
        for j in range(k):
            self.weights_[j, : self.n_edges_[j] + 1] = lr.coef_[0, self.offsets_[j]: self.offsets_[j + 1]]
        self.intercept_ = float(lr.intercept_[0])
        return self

    def score(self, x: np.ndarray, cal_x: np.ndarray = _NO_CAL, cal_y: np.ndarray = _NO_CAL) -> np.ndarray:
        """Logit (or calibrated probability given calibration knots) for covariates ``x`` (k, n)."""
        return additive_score(np.ascontiguousarray(x, np.float32), self.edges_, self.n_edges_, self.weights_,
                              self.intercept_, cal_x, cal_y)

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """Logit for rows of covariates ``x`` (n, k)."""
        return self.score(np.asarray(x).T)
