"""The additive-score kernel and the binned logistic learner against numpy / scikit-learn."""

import numpy as np

from yvy.kernels.risk import additive_score, bin_index
from yvy.risk.learner import BinnedLogit


def test_bin_index_matches_searchsorted():
    rng = np.random.default_rng(1)
    edges = np.sort(rng.normal(size=20))
    v = np.concatenate([rng.normal(size=500), edges])  # values exactly on edges too
    assert np.array_equal(bin_index(edges, edges.size, v), np.searchsorted(edges, v, side="right"))


def test_additive_score_is_sum_of_bin_weights_then_calibration():
    rng = np.random.default_rng(2)
    k, n, m = 3, 2000, 7
    edges = np.sort(rng.normal(size=(k, m)), axis=1)
    n_edges = np.array([7, 5, 3])
    edges[1, 5:] = np.inf
    edges[2, 3:] = np.inf
    weights = rng.normal(size=(k, m + 1))
    x = rng.normal(size=(k, n)).astype(np.float32)
    x[1, 10] = np.nan
    cal_x = np.array([-3.0, 0.0, 2.0])
    cal_y = np.array([0.01, 0.2, 0.9])
    logit = np.full(n, 0.5)
    for j in range(k):
        logit += weights[j, np.searchsorted(edges[j, : n_edges[j]], x[j].astype(float), side="right")]
    got_logit = additive_score(x, edges, n_edges, weights, 0.5, np.zeros(0), np.zeros(0))
    got = additive_score(x, edges, n_edges, weights, 0.5, cal_x, cal_y)
    ok = np.arange(n) != 10
    assert np.isnan(got[10]) and np.isnan(got_logit[10])
    np.testing.assert_allclose(got_logit[ok], logit[ok], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[ok], np.interp(logit[ok], cal_x, cal_y), rtol=1e-5, atol=1e-6)


def test_binned_logit_recovers_a_step_risk():
    """Loss probability is a known step function of x0 (x1 is noise): the fit ranks like the truth."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    n = 40_000
    x = rng.uniform(0, 1000, size=(n, 2)).astype(np.float32)
    p_true = np.where(x[:, 0] < 200, 0.4, np.where(x[:, 0] < 600, 0.1, 0.01))
    y = rng.random(n) < p_true
    m = BinnedLogit(bins=16).fit(x, y)
    logit = m.decision_function(x)
    auc_true = roc_auc_score(y, p_true)
    assert roc_auc_score(y, logit) > auc_true - 0.01
    prob = 1 / (1 + np.exp(-logit))
    for lo, hi, p in ((0, 200, 0.4), (200, 600, 0.1), (600, 1000, 0.01)):
        sel = (x[:, 0] >= lo + 50) & (x[:, 0] < hi - 50)
        assert abs(prob[sel].mean() - p) < 0.03
