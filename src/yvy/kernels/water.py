"""Surface-water kernels for SAR and optical scenes: Lee speckle filter, per-tile histograms,
histogram statistics (Otsu threshold, Ashman's D, bimodality coefficient), two-Gaussian EM
threshold and the per-pixel water classification.

The tiled bimodality test follows HydroSAR / ASF's water-mapping approach (Meyer et al.): a
scene-wide threshold is estimated only from tiles whose backscatter histogram is clearly
bimodal (water and land both present), so scenes with little water still get a sound
threshold, and scenes with no water contrast get none.

This module imports only numpy, numba (through :mod:`._jit`) and the standard library.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

__all__ = [
    "HIST_STATS",
    "classify_water",
    "em_threshold",
    "flood_from",
    "hist_stats",
    "lee_filter_db",
    "optical_water_indices",
    "otsu_threshold",
    "tile_histograms",
]

#: Columns of :func:`hist_stats`' output, in order.
HIST_STATS = ("n", "mean", "std", "bc", "otsu", "ashman_d", "low_fraction", "low_mean", "high_mean")


@jit
def _row_sums(x, radius, h1, h2, hn):  # pragma: no cover - compiled
    """Horizontal running sums of x, x**2 and valid counts over 2r+1 columns (NaN = missing)."""
    ny, nx = x.shape
    for y in range(ny):
        a = 0.0
        b = 0.0
        c = 0.0
        for xx in range(nx + radius):
            if xx < nx:
                v = x[y, xx]
                if v == v:
                    a += v
                    b += v * v
                    c += 1.0
            old = xx - 2 * radius - 1
            if old >= 0:
                v = x[y, old]
                if v == v:
                    a -= v
                    b -= v * v
                    c -= 1.0
            col = xx - radius
            if col >= 0:
                h1[y, col] = a
                h2[y, col] = b
                hn[y, col] = c


@jit
def _lee(db, radius, looks, out):  # pragma: no cover - compiled
    ny, nx = db.shape
    k10 = math.log(10.0) / 10.0
    lin = np.empty((ny, nx))
    for y in range(ny):
        for x in range(nx):
            v = db[y, x]
            lin[y, x] = math.exp(v * k10) if math.isfinite(v) else np.nan
    h1 = np.empty((ny, nx))
    h2 = np.empty((ny, nx))
    hn = np.empty((ny, nx))
    _row_sums(lin, radius, h1, h2, hn)
    s1 = np.zeros(nx)
    s2 = np.zeros(nx)
    cnt = np.zeros(nx)
    cu2 = 1.0 / looks
    for y in range(ny + radius):  # vertical running sums, row by row (cache friendly)
        if y < ny:
            for x in range(nx):
                s1[x] += h1[y, x]
                s2[x] += h2[y, x]
                cnt[x] += hn[y, x]
        old = y - 2 * radius - 1
        if old >= 0:
            for x in range(nx):
                s1[x] -= h1[old, x]
                s2[x] -= h2[old, x]
                cnt[x] -= hn[old, x]
        row = y - radius
        if row < 0:
            continue
        for x in range(nx):
            v = lin[row, x]
            if v != v or cnt[x] < 0.5:
                out[row, x] = np.nan
                continue
            m = s1[x] / cnt[x]
            var = max(s2[x] / cnt[x] - m * m, 0.0)
            var_x = max((var - m * m * cu2) / (1.0 + cu2), 0.0)
            k = var_x / var if var > 0.0 else 0.0
            f = m + k * (v - m)
            out[row, x] = math.log(f) / k10 if f > 0.0 else np.nan


def lee_filter_db(db: np.ndarray, radius: int = 2, looks: float = 4.4) -> np.ndarray:
    """Lee speckle filter of a backscatter image in dB (filtered in linear power, returned in dB).

    Parameters
    ----------
    db
        2-D backscatter in dB; NaN or inf is missing.
    radius
        Half window: the window is ``2 radius + 1`` pixels square.
    looks
        Equivalent number of looks of the product (Sentinel-1 IW GRDH: about 4.4).

    Returns
    -------
    numpy.ndarray
        float32 filtered dB; NaN where the input is missing.

    Examples
    --------
    >>> img = np.full((3, 3), -20.0, dtype=np.float32)
    >>> np.allclose(lee_filter_db(img, radius=1), -20.0)
    True
    """
    if radius < 0:
        raise ValueError("radius must be >= 0")
    src = np.ascontiguousarray(db, dtype=np.float64)
    out = np.empty(src.shape, dtype=np.float32)
    _lee(src, int(radius), float(looks), out)
    return out


@jit
def _tile_hist(img, tile, lo, width, row0, out):  # pragma: no cover - compiled
    ny, nx = img.shape
    nbins = out.shape[2]
    for y in range(ny):
        ty = (row0 + y) // tile
        for x in range(nx):
            v = img[y, x]
            if not math.isfinite(v):
                continue
            b = int(math.floor((v - lo) / width))
            b = min(max(b, 0), nbins - 1)
            out[ty, x // tile, b] += 1


def tile_histograms(img: np.ndarray, tile: int, lo: float, hi: float, nbins: int, *,
                    out: np.ndarray | None = None, row0: int = 0) -> np.ndarray:
    """Add the histogram of each ``tile`` x ``tile`` block of ``img`` to ``out``.

    Parameters
    ----------
    img
        2-D values (one strip of a larger image is fine: ``row0`` is its first row).
    tile
        Tile edge in pixels; the last row/column of tiles may be partial.
    lo, hi, nbins
        Histogram range and bin count; values outside go to the first/last bin.
    out
        int64 ``(tiles_y, tiles_x, nbins)`` accumulator for the whole image (created if None).

    Returns
    -------
    numpy.ndarray
        ``out``.

    Examples
    --------
    >>> h = tile_histograms(np.array([[0.1, 0.9], [0.2, 0.8]]), 1, 0.0, 1.0, 2)
    >>> h[:, :, 1].tolist()
    [[0, 1], [0, 1]]
    """
    img = np.ascontiguousarray(img, dtype=np.float64)
    if out is None:
        out = np.zeros((-(-img.shape[0] // tile), -(-img.shape[1] // tile), nbins), dtype=np.int64)
    _tile_hist(img, int(tile), float(lo), (hi - lo) / nbins, int(row0), out)
    return out


@jit
def _otsu_bin(h, centers):  # pragma: no cover - compiled
    total = 0.0
    sum_all = 0.0
    for i in range(h.size):
        total += h[i]
        sum_all += h[i] * centers[i]
    best = -1.0
    best_i = -1
    w0 = 0.0
    s0 = 0.0
    for i in range(h.size - 1):
        w0 += h[i]
        s0 += h[i] * centers[i]
        w1 = total - w0
        if w0 == 0.0 or w1 == 0.0:
            continue
        m0 = s0 / w0
        m1 = (sum_all - s0) / w1
        between = w0 * w1 * (m0 - m1) * (m0 - m1)
        if between > best:
            best = between
            best_i = i
    return best_i


@jit
def _moments(h, centers, i0, i1):  # pragma: no cover - compiled
    n = 0.0
    s = 0.0
    for i in range(i0, i1):
        n += h[i]
        s += h[i] * centers[i]
    if n == 0.0:
        return 0.0, np.nan, np.nan
    m = s / n
    v = 0.0
    for i in range(i0, i1):
        d = centers[i] - m
        v += h[i] * d * d
    return n, m, math.sqrt(v / n)


@jit
def _stats_one(h, centers, out):  # pragma: no cover - compiled
    n, m, sd = _moments(h, centers, 0, h.size)
    out[0] = n
    out[1] = m
    out[2] = sd
    for k in range(3, out.size):
        out[k] = np.nan
    if n < 4.0 or not sd > 0.0:
        return
    m3 = 0.0
    m4 = 0.0
    for i in range(h.size):
        z = (centers[i] - m) / sd
        m3 += h[i] * z * z * z
        m4 += h[i] * z * z * z * z
    skew = m3 / n
    exkurt = m4 / n - 3.0
    out[3] = (skew * skew + 1.0) / (exkurt + 3.0 * (n - 1.0) ** 2 / ((n - 2.0) * (n - 3.0)))
    t = _otsu_bin(h, centers)
    if t < 0:
        return
    n0, m0, s0 = _moments(h, centers, 0, t + 1)
    n1, m1, s1 = _moments(h, centers, t + 1, h.size)
    out[4] = 0.5 * (centers[t] + centers[t + 1])
    den = math.sqrt(s0 * s0 + s1 * s1)
    out[5] = math.sqrt(2.0) * abs(m1 - m0) / den if den > 0.0 else np.inf
    out[6] = n0 / n
    out[7] = m0
    out[8] = m1


@jit
def _stats_all(hist, centers, out):  # pragma: no cover - compiled
    for t in range(hist.shape[0]):
        _stats_one(hist[t].astype(np.float64), centers, out[t])


def hist_stats(hist: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Statistics of histograms over ``[lo, hi)``: see :data:`HIST_STATS`.

    ``bc`` is the sample bimodality coefficient (> 5/9 suggests two modes), ``otsu`` the Otsu
    threshold, ``ashman_d`` Ashman's D of the two Otsu classes (> 2: clean separation),
    ``low_fraction`` the share of values below the threshold.

    Parameters
    ----------
    hist
        ``(..., nbins)`` counts.

    Returns
    -------
    numpy.ndarray
        float64 ``(..., len(HIST_STATS))``; NaN where undefined (too few values, one mode).

    Examples
    --------
    >>> h = np.array([10, 0, 0, 10])
    >>> s = hist_stats(h, 0.0, 4.0)
    >>> float(s[4]), bool(s[5] > 2)
    (2.0, True)
    """
    hist = np.asarray(hist)
    nbins = hist.shape[-1]
    flat = np.ascontiguousarray(hist.reshape(-1, nbins))
    centers = lo + (np.arange(nbins) + 0.5) * (hi - lo) / nbins
    out = np.empty((flat.shape[0], len(HIST_STATS)))
    _stats_all(flat, centers, out)
    return out.reshape(*hist.shape[:-1], len(HIST_STATS))


def otsu_threshold(hist: np.ndarray, lo: float, hi: float) -> float:
    """Otsu threshold of one histogram over ``[lo, hi)`` (NaN if it has one value only)."""
    return float(hist_stats(np.asarray(hist), lo, hi)[4])


def em_threshold(hist: np.ndarray, lo: float, hi: float, *, iterations: int = 100) -> float:
    """Threshold between two Gaussians fitted by expectation-maximisation to a histogram.

    Starts from the Otsu split; returns the value between the two means where the weighted
    densities are equal (Otsu's value if the fit degenerates).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = np.r_[rng.normal(-22, 1.5, 4000), rng.normal(-12, 1.5, 6000)]
    >>> h, _ = np.histogram(v, bins=200, range=(-40, 0))
    >>> abs(em_threshold(h, -40, 0) + 17) < 1.0
    True
    """
    h = np.asarray(hist, dtype=np.float64)
    s = hist_stats(h, lo, hi)
    t0 = s[4]
    if not np.isfinite(t0):
        return float("nan")
    x = lo + (np.arange(h.size) + 0.5) * (hi - lo) / h.size
    mu = np.array([s[7], s[8]])
    lowmask = x < t0
    sd = np.array([_wstd(x[lowmask], h[lowmask]), _wstd(x[~lowmask], h[~lowmask])])
    w = np.array([s[6], 1 - s[6]])
    for _ in range(iterations):
        sd = np.maximum(sd, (hi - lo) / h.size)
        dens = w[:, None] * np.exp(-0.5 * ((x[None] - mu[:, None]) / sd[:, None]) ** 2) / sd[:, None]
        resp = dens / np.maximum(dens.sum(0), 1e-300)
        nk = (resp * h).sum(1)
        if np.any(nk <= 0):
            return float(t0)
        mu_new = (resp * h * x).sum(1) / nk
        sd = np.sqrt((resp * h * (x[None] - mu_new[:, None]) ** 2).sum(1) / nk)
        w = nk / nk.sum()
        if np.allclose(mu_new, mu, atol=1e-6):
            mu = mu_new
            break
        mu = mu_new
    return _crossing(mu, sd, w, t0)


def _wstd(x, h) -> float:
    n = h.sum()
    if n <= 0:
        return 1.0
    m = (x * h).sum() / n
    return float(np.sqrt((h * (x - m) ** 2).sum() / n))


def _crossing(mu, sd, w, fallback) -> float:
    """The point between the means where the two weighted Gaussian densities are equal."""
    i, j = np.argsort(mu)
    grid = np.linspace(mu[i], mu[j], 2001)
    logd = [np.log(w[k]) - np.log(sd[k]) - 0.5 * ((grid - mu[k]) / sd[k]) ** 2 for k in (i, j)]
    diff = logd[0] - logd[1]
    sign = np.nonzero(np.diff(np.sign(diff)))[0]
    return float(grid[sign[0]]) if sign.size else float(fallback)


@jit
def _optical(green, nir, swir, blue, cirrus, scale, max_blue, max_cirrus, ndwi, mndwi):  # pragma: no cover
    ny, nx = green.shape
    for y in range(ny):
        for x in range(nx):
            g = green[y, x] * scale
            n = nir[y, x] * scale
            s = swir[y, x] * scale
            b = blue[y, x] * scale
            c = cirrus[y, x] * scale
            clear = g > 0.0 and n > 0.0 and s > 0.0 and b < max_blue and not c > max_cirrus
            ndwi[y, x] = (g - n) / (g + n) if clear else np.nan
            mndwi[y, x] = (g - s) / (g + s) if clear else np.nan


def optical_water_indices(green, nir, swir, blue, cirrus=None, *, scale: float = 1e-4, max_blue: float = 0.25,
                          max_cirrus: float = 0.012) -> tuple[np.ndarray, np.ndarray]:
    """NDWI (McFeeters: green, NIR) and MNDWI (Xu: green, SWIR 1.6 um) of clear pixels only.

    A pixel is clear when every band is valid (> 0 after ``scale``), its blue reflectance is
    below ``max_blue`` (thick cloud is bright in the blue) and its cirrus reflectance (Sentinel-2
    B10, if given) is at most ``max_cirrus``; elsewhere both indices are NaN.

    Examples
    --------
    >>> g, n, s, b = (np.array([[v]]) for v in (800, 200, 100, 500))
    >>> [round(float(a[0, 0]), 2) for a in optical_water_indices(g, n, s, b)]
    [0.6, 0.78]
    """
    arrs = [np.ascontiguousarray(a, dtype=np.float64) for a in (green, nir, swir, blue)]
    cir = np.zeros_like(arrs[0]) if cirrus is None else np.ascontiguousarray(cirrus, dtype=np.float64)
    ndwi = np.empty(arrs[0].shape, dtype=np.float32)
    mndwi = np.empty(arrs[0].shape, dtype=np.float32)
    _optical(*arrs, cir, float(scale), float(max_blue), float(max_cirrus), ndwi, mndwi)
    return ndwi, mndwi


@jit
def _classify(vh, t_vh, ndwi, t_ndwi, mndwi, t_mndwi, hand, max_hand, out):  # pragma: no cover - compiled
    ny, nx = vh.shape
    for y in range(ny):
        for x in range(nx):
            a = vh[y, x]
            if not math.isfinite(a):
                out[y, x] = 255
                continue
            wet = a < t_vh
            n = ndwi[y, x]
            m = mndwi[y, x]
            if math.isfinite(n) and math.isfinite(m):  # clear optical view: majority of three
                votes = (1 if wet else 0) + (1 if n > t_ndwi else 0) + (1 if m > t_mndwi else 0)
                wet = votes >= 2
            h = hand[y, x]
            if wet and math.isfinite(h) and h > max_hand:
                wet = False
            out[y, x] = 1 if wet else 0


def classify_water(vh, *, t_vh: float, ndwi=None, mndwi=None, t_ndwi: float = 0.0, t_mndwi: float = 0.0,
                   hand=None, max_hand: float = np.inf) -> np.ndarray:
    """Per-pixel water map: 1 water, 0 dry, 255 no data.

    Radar alone: water where the (filtered) VH backscatter is below ``t_vh``. Where ``ndwi`` and
    ``mndwi`` hold a clear optical view (finite), the pixel is water when at least two of the
    three tests agree (VH < t_vh, NDWI > t_ndwi, MNDWI > t_mndwi). Water is dropped where the
    height above nearest drainage exceeds ``max_hand`` (metres).

    Examples
    --------
    >>> vh = np.array([[-25.0, -12.0, np.nan, -12.0]])
    >>> nd = np.array([[np.nan, np.nan, np.nan, 0.4]])
    >>> classify_water(vh, t_vh=-18.0, ndwi=nd, mndwi=nd).tolist()
    [[1, 0, 255, 1]]
    """
    vh = np.ascontiguousarray(vh, dtype=np.float64)
    nan = np.full(vh.shape, np.nan)
    ndwi, mndwi, hand = (nan if a is None else np.ascontiguousarray(a, dtype=np.float64) for a in (ndwi, mndwi, hand))
    out = np.empty(vh.shape, dtype=np.uint8)
    _classify(vh, float(t_vh), ndwi, float(t_ndwi), mndwi, float(t_mndwi), hand, float(max_hand), out)
    return out


@jit
def _flood(water, ref, out):  # pragma: no cover - compiled
    for i in range(water.size):
        w = water[i]
        r = ref[i]
        out[i] = 255 if (w == 255 or r == 255) else (1 if (w == 1 and r != 1) else 0)


def flood_from(water: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Flood = water now and not water in the reference map (both uint8 1/0/255).

    Examples
    --------
    >>> flood_from(np.array([1, 1, 0, 255], np.uint8), np.array([0, 1, 0, 0], np.uint8)).tolist()
    [1, 0, 0, 255]
    """
    w = np.ascontiguousarray(water, dtype=np.uint8)
    r = np.ascontiguousarray(reference, dtype=np.uint8)
    out = np.empty(w.shape, dtype=np.uint8)
    _flood(w.ravel(), r.ravel(), out.ravel())
    return out
