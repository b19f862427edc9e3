import numpy as np
import pytest
from scipy import ndimage

from yvy.kernels.label import label_windowed


def _naive(mask, dates, window):
    """Slow reference: union pixels pairwise over 8-neighbours within the window."""
    ny, nx = mask.shape
    parent = {(y, x): (y, x) for y in range(ny) for x in range(nx) if mask[y, x] and np.isfinite(dates[y, x])}

    def find(p):
        while parent[p] != p:
            p = parent[p]
        return p

    for (y, x) in list(parent):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                q = (y + dy, x + dx)
                if q in parent and q != (y, x) and abs(dates[q] - dates[y, x]) <= window:
                    parent[find(q)] = find((y, x))
    return {p: find(p) for p in parent}


def _same_partition(labels, roots):
    pairs = {}
    for p, r in roots.items():
        lab = labels[p]
        assert lab > 0
        pairs.setdefault(r, set()).add(lab)
    assert all(len(v) == 1 for v in pairs.values())
    assert len({next(iter(v)) for v in pairs.values()}) == len(pairs)
    assert (labels > 0).sum() == len(roots)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_naive_reference(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((25, 30)) < 0.45
    dates = rng.integers(0, 120, size=mask.shape).astype(float)
    dates[rng.random(mask.shape) < 0.05] = np.nan
    labels, n = label_windowed(mask, dates, 30)
    _same_partition(labels, _naive(mask, dates, 30))
    assert n == labels.max()


def test_infinite_window_equals_scipy_8_connectivity():
    rng = np.random.default_rng(5)
    mask = rng.random((40, 40)) < 0.4
    labels, n = label_windowed(mask, np.zeros(mask.shape), np.inf)
    ref, nref = ndimage.label(mask, structure=np.ones((3, 3)))
    assert n == nref
    _same_partition(labels, {tuple(p): ref[tuple(p)] for p in np.argwhere(mask)})


def test_diagonal_and_four_connectivity():
    mask = np.eye(4, dtype=bool)
    assert label_windowed(mask, np.zeros((4, 4)), 0)[1] == 1
    assert label_windowed(mask, np.zeros((4, 4)), 0, connectivity=4)[1] == 4


def test_all_nan_and_empty():
    assert label_windowed(np.ones((3, 3), bool), np.full((3, 3), np.nan), 30)[1] == 0
    assert label_windowed(np.zeros((0, 0), bool), np.zeros((0, 0)), 30)[1] == 0
    with pytest.raises(ValueError):
        label_windowed(np.ones((2, 2), bool), np.zeros((3, 3)), 30)
