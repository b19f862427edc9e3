"""Slow, obvious reference implementations of yvy's kernels (one Python loop per pixel).

``bfast_monitor_naive`` follows R's ``bfastmonitor`` line by line with numpy least
squares: R's own regressors (``trend`` = day index of the daily series), the recursive
residuals of the ROC test from a fresh least-squares fit at every step, and each MOSUM
window summed on its own. Only the critical values come from yvy (they are data).
"""

from __future__ import annotations

import math

import numpy as np

from yvy.kernels._bfast_critvals import mosum_critval, roc_boundary, roc_critval


def _design(t, t_first, order, trend):
    cols = [np.ones_like(t)]
    if trend:
        cols.append(np.round((t - t_first) * 365.0) + 1.0)  # R: position in the daily ts
    w = 2 * np.pi * t
    cols += [np.cos(w * j) for j in range(1, order + 1)]
    cols += [np.sin(w * j) for j in range(1, order + 1)]
    return np.stack(cols, axis=1)


def _recursive_residuals(X, y):
    p = X.shape[1]
    out = []
    for r in range(p, len(y)):
        b = np.linalg.lstsq(X[:r], y[:r], rcond=None)[0]
        _, rmat = np.linalg.qr(X[:r])
        a = np.linalg.solve(rmat.T, X[r])
        out.append((y[r] - X[r] @ b) / math.sqrt(1.0 + a @ a))
    return np.array(out)


def _roc_start(X, y, level):
    """Index (time order) of the first observation of the ROC-stable history, or None."""
    n, p = X.shape
    if n < p + 2:
        return None
    w = _recursive_residuals(X[::-1], y[::-1])
    m = len(w)
    process = np.cumsum(w) / (np.std(w, ddof=1) * math.sqrt(m))
    i = np.arange(1, m + 1)
    if np.max(np.abs(process) / (1 + 2 * i / m)) <= roc_critval(level):
        return 0
    bound = roc_boundary(level)
    first = int(np.nonzero(np.abs(process) > bound + 2 * bound * i / m)[0][0]) + 1
    return m - first + 1


def bfast_monitor_naive(y, t, monitor_start, order=3, trend=True, h=0.25, level=0.05,
                        history="all", nodata=None, direction="both", with_residuals=False):
    """Per-pixel BFAST Monitor; returns the same dict as ``yvy.kernels.bfast_monitor``.

    ``direction``: which boundary crossings are breaks: ``"both"`` (``|MOSUM|``, R),
    ``"negative"`` (``-MOSUM``) or ``"positive"`` (``MOSUM``). ``with_residuals`` adds
    ``residuals`` (T, ...) from the history model at every valid date from the history start
    (NaN elsewhere) and ``sigma``, the residual standard error of the history fit.
    """
    y = np.asarray(y)
    T = y.shape[0]
    pix = y.shape[1:]
    y2 = y.reshape(T, -1).astype(np.float64)
    N = y2.shape[1]
    out = {"break_time": np.full(N, np.nan), "break_index": np.full(N, -1, np.int32),
           "magnitude": np.full(N, np.nan), "statistic": np.full(N, np.nan),
           "history_start": np.full(N, np.nan), "n_history": np.zeros(N, np.int32),
           "status": np.full(N, -2, np.int8)}
    resid_all, sigma_all = np.full((T, N), np.nan), np.full(N, np.nan)
    crit = mosum_critval(h, level)
    X_all = _design(np.asarray(t, float), t[0], order, trend)
    p = X_all.shape[1]
    for i in range(N):
        v = y2[:, i]
        valid = np.isfinite(v)
        if nodata is not None:
            valid &= v != nodata
        idx = np.nonzero(valid)[0]
        X, yy, tt = X_all[idx], v[idx], np.asarray(t)[idx]
        hist = np.nonzero(tt < monitor_start)[0]
        if history == "roc":
            first = _roc_start(X[hist], yy[hist], level)
            if first is None:
                out["n_history"][i] = len(hist)
                continue
            hist = hist[first:]
        n = len(hist)
        out["n_history"][i] = n
        if n:
            out["history_start"][i] = tt[hist[0]]
        if math.floor(h * n) <= 1 or n <= p:
            continue
        beta = np.linalg.lstsq(X[hist], yy[hist], rcond=None)[0]
        rows = np.arange(hist[0], len(yy))  # history start .. end of series
        e = yy[rows] - X[rows] @ beta
        sigma = math.sqrt(np.sum(e[:n] ** 2) / (n - p))
        resid_all[idx[rows], i], sigma_all[i] = e, sigma
        k = math.floor(h * n)
        process = np.array([e[s - k + 1:s + 1].sum() for s in range(n, len(rows))])
        process = process / (sigma * math.sqrt(n))
        count = np.arange(n + 1, len(rows) + 1) / n
        boundary = crit * np.sqrt(2 * np.where(count <= math.e, 1.0, np.log(count)))
        out["status"][i] = 0
        if len(process):
            out["statistic"][i] = np.max(np.abs(process))
            out["magnitude"][i] = np.median(e[n:])
            tested = {"both": np.abs(process), "negative": -process, "positive": process}[direction]
            over = np.nonzero(tested > boundary)[0]
            if len(over):
                out["status"][i] = 1
                out["break_index"][i] = idx[rows[n + over[0]]]
                out["break_time"][i] = t[out["break_index"][i]]
    if with_residuals:
        out["sigma"] = sigma_all
        return {**{k: v.reshape(pix) for k, v in out.items()}, "residuals": resid_all.reshape(T, *pix)}
    return {k: v.reshape(pix) for k, v in out.items()}


# -- bayts ---------------------------------------------------------------------------------------
def _calc_pnf(x, pdf, bwf):
    """R ``calcPNF`` for one value: Gaussian F/NF densities, conditional NF, block weighting."""
    f_mean, f_sd, nf_mean, nf_sd = pdf
    pf = math.exp(-0.5 * ((x - f_mean) / f_sd) ** 2) / (f_sd * math.sqrt(2 * math.pi))
    pnf = math.exp(-0.5 * ((x - nf_mean) / nf_sd) ** 2) / (nf_sd * math.sqrt(2 * math.pi))
    p = pnf / (pf + pnf) if pnf > 0 else 0.0
    return min(max(p, bwf[0]), bwf[1])


def _post(prior, likelihood):
    return (prior * likelihood) / ((prior * likelihood) + ((1 - prior) * (1 - likelihood)))


def _detect_bayts(times, pnf, start, chi, pnf_min):
    """R ``detectBayts`` (the candidate-restart version), literally: returns its Flag/PChange lists."""
    n = len(times)
    flag = [None] * n
    pch = [None] * n
    cand = [k for k in range(n) if pnf[k] >= pnf_min and times[k] >= start]
    if not cand:
        return flag, pch, times
    st = min(k for k in range(n) if times[k] >= start)
    if st == 0:  # R prepends a zero element with PNF 0.5
        times, pnf = [times[0] - 0.1] + list(times), [0.5] + list(pnf)
        flag, pch = [None] + flag, [None] + pch
        cand = [k + 1 for k in cand]
        st, n = 1, n + 1
    flag[st - 1] = "0"
    for k in range(n):
        if pnf[k] < pnf_min:
            flag[k] = "0"
    i = 0
    for c in cand:
        for t in range(c, n):
            if flag[t - 1] in ("0", "oldFlag"):
                i = 0
                pch[t] = _post(pnf[t - 1], pnf[t])
                flag[t] = "Flag"
            if flag[t - 1] == "Flag":
                pch[t] = _post(pch[t - 1], pnf[t])
                flag[t] = "Flag"
                i += 1
            if flag[t] == "Flag":
                if i > 0 and pch[t] < pnf_min:
                    for q in range(t - i, t + 1):
                        flag[q] = "0"
                    flag[t - i] = "oldFlag"
                    break
                if pch[t] >= chi and pnf[t] >= pnf_min:
                    first = flag.index("Flag")
                    for q in range(first, t + 1):
                        flag[q] = "Change"
                    return flag, pch, times
    return flag, pch, times


def bayts_naive(ys, times, pdfs, start, chi=0.9, pnf_min=0.5, bwf=(0.1, 0.9)):
    """Per-pixel R ``createBayts`` + ``detectBayts`` + ``baytsSpatial`` outputs (flag, change_flagged,
    change_confirmed, pflag, pchange), one Python loop per pixel; ``pdfs`` are 4-tuples."""
    n_pix = np.asarray(ys[0]).reshape(np.asarray(ys[0]).shape[0], -1).shape[1]
    keys = ("flag", "change_flagged", "change_confirmed", "pflag", "pchange")
    out = {k: np.full(n_pix, np.nan) for k in keys}
    for p in range(n_pix):
        by_date: dict[float, float] = {}
        for y, t, pdf in zip(ys, times, pdfs, strict=True):
            col = np.asarray(y, dtype=np.float64).reshape(len(t), -1)[:, p]
            for tk, x in zip(t, col, strict=True):
                if np.isfinite(x):
                    q = _calc_pnf(float(x), pdf, bwf)
                    by_date[float(tk)] = _post(by_date[float(tk)], q) if float(tk) in by_date else q
        if not by_date:
            continue
        tt = sorted(by_date)
        flag, pch, tz = _detect_bayts(tt, [by_date[k] for k in tt], start, chi, pnf_min)
        if "Change" in flag:
            first = flag.index("Change")
            last = max(k for k, f in enumerate(flag) if f == "Change")
            out["change_flagged"][p], out["change_confirmed"][p], out["pchange"][p] = tz[first], tz[last], pch[last]
        if "Flag" in flag:
            last = max(k for k, f in enumerate(flag) if f == "Flag")
            out["flag"][p], out["pflag"][p] = tz[flag.index("Flag")], pch[last]
    return out
def alert_inputs_naive(y, t, days, monitor_start, **params):
    """The per-pixel inputs of an alert, from the definitions (one pixel and one date at a time).

    ``confirm_count``: valid observations on or after the break whose residual from the history
    model is below -2 sigma; ``prev_obs_days``: the last valid observation before the break;
    ``break_days``: the break observation; ``break_magnitude``: the median residual on and
    after the break. NaN (0 for the count) where there is no break.
    """
    ref = bfast_monitor_naive(y, t, monitor_start, with_residuals=True, **params)
    T = y.shape[0]
    y2, res = np.asarray(y, float).reshape(T, -1), ref["residuals"].reshape(T, -1)
    bi_all, sigma_all = ref["break_index"].ravel(), ref["sigma"].ravel()
    n = y2.shape[1]
    out = {"confirm_count": np.zeros(n, np.int64), "prev_obs_days": np.full(n, np.nan),
           "break_days": np.full(n, np.nan), "break_magnitude": np.full(n, np.nan)}
    for i in range(n):
        b = int(bi_all[i])
        if b < 0:
            continue
        out["break_days"][i] = days[b]
        before = [k for k in range(b) if math.isfinite(y2[k, i])]
        if before:
            out["prev_obs_days"][i] = days[before[-1]]
        after = [res[k, i] for k in range(b, T) if math.isfinite(y2[k, i])]
        out["confirm_count"][i] = sum(1 for r in after if r < -2 * sigma_all[i])
        out["break_magnitude"][i] = np.median(after)
    return {k: v.reshape(y.shape[1:]) for k, v in out.items()}
