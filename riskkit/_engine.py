"""The rebalancing simulation kernel (private; see riskkit.rebalancing.backtest).

Compiled with numba: the simulation is path dependent (whether a threshold
fires depends on every earlier trade), so it is a loop over periods; numba
runs it at C speed and in parallel over configurations.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def _simulate(
    R, targets, tgt_row, due, band, relative, mode, edge, is_threshold,
    prop, fixed, min_trade, imp_a, imp_b, V0, record,
    risk_kind, risk_band, budgets, vol_target, covs, cov_row,
    values, turnover, costs, rebalanced, tracking, wpath,
):  # fmt: skip
    """Fill the output arrays for every configuration k (see backtest for the rules).

    R (T-1, N) simple returns; targets (n_rows, N) with tgt_row (T,) the row in force
    at each date; due (T, K) dates the policy looks at; per-k parameters as arrays.
    Risk triggers (risk_kind 1: risk contributions vs budgets, 2: volatility vs a
    target) use the covariance covs[cov_row[t]] (per period; no check where cov_row < 0).
    """
    T = R.shape[0] + 1
    N = R.shape[1]
    K = band.shape[0]
    for k in prange(K):
        w = targets[tgt_row[0]].copy()
        V = V0
        values[0, k] = V
        if record:
            wpath[0, k, :] = w
        for t in range(1, T):
            port = 0.0
            for i in range(N):
                port += w[i] * R[t - 1, i]
            g = 1.0 + port
            for i in range(N):
                w[i] = w[i] * (1.0 + R[t - 1, i]) / g
            V *= g
            row = tgt_row[t]
            if due[t, k]:
                max_ratio = 0.0
                max_dev = 0.0
                for i in range(N):
                    d = abs(targets[row, i] - w[i])
                    if d > max_dev:
                        max_dev = d
                    scale = band[k] * abs(targets[row, i]) if relative[k] else band[k]
                    if scale > 0.0:
                        ratio = d / scale
                    elif d > 0.0:
                        ratio = np.inf
                    else:
                        ratio = 0.0
                    if ratio > max_ratio:
                        max_ratio = ratio
                fire = max_ratio > 1.0 if is_threshold[k] else max_dev > 0.0
                if risk_kind[k] > 0:
                    fire = False
                    c = cov_row[t]
                    if c >= 0 and max_dev > 0.0:
                        sw = covs[c] @ w
                        var = 0.0
                        for i in range(N):
                            var += w[i] * sw[i]
                        if var > 0.0:
                            if risk_kind[k] == 1:
                                for i in range(N):
                                    if abs(w[i] * sw[i] / var - budgets[k, i]) > risk_band[k]:
                                        fire = True
                            else:
                                ref = vol_target[k]
                                if ref <= 0.0:  # the target portfolio's own volatility
                                    tw = targets[row]
                                    st = covs[c] @ tw
                                    ref = 0.0
                                    for i in range(N):
                                        ref += tw[i] * st[i]
                                    ref = np.sqrt(ref)
                                if abs(np.sqrt(var) / ref - 1.0) > risk_band[k]:
                                    fire = True
                if fire:
                    f = mode[k]
                    if edge[k]:
                        f = 1.0 - 1.0 / max_ratio
                    traded = 0.0
                    cost = 0.0
                    n_trades = 0
                    for i in range(N):
                        step = f * (targets[row, i] - w[i])
                        x = abs(step * V)
                        if x < min_trade[k] or x == 0.0:
                            continue
                        n_trades += 1
                        traded += x
                        u = x / V
                        cost += prop[k, i] * x + V * (imp_a[k] * u + imp_b[k] * u**1.5)
                        w[i] += step
                    cost += fixed[k] * n_trades
                    if traded > 0.0:
                        costs[t, k] = cost
                        turnover[t, k] = traded / 2.0 / V
                        rebalanced[t, k] = True
                        V -= cost  # paid pro rata from every holding: weights unchanged
            values[t, k] = V
            dev = 0.0
            for i in range(N):
                dev += abs(w[i] - targets[row, i])
            tracking[t, k] = dev / 2.0
            if record:
                wpath[t, k, :] = w


# one compiled version for a few configurations (no thread start-up), one parallel over configurations
simulate_serial = njit(cache=True)(_simulate)
simulate_parallel = njit(cache=True, parallel=True)(_simulate)


def simulate(*args) -> None:
    """Run the kernel; in parallel over configurations when there are enough of them."""
    K = args[5].shape[0]  # band
    (simulate_parallel if K >= 8 else simulate_serial)(*args)
