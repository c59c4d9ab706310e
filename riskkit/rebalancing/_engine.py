"""The rebalancing rule and simulation kernel (private; see riskkit.rebalancing).

Compiled with numba: the simulation is path dependent (whether a threshold
fires depends on every earlier trade), so it is a loop over periods; numba
runs it at C speed and in parallel over configurations.

:func:`policy_step` is the one place the policies' rules are written: whether a
policy fires on a date it looks at, and how far it trades (a band rule and a risk
rule, compiled once). :func:`riskkit.rebalancing.decision` calls it for today; the
backtest kernel calls the same two rules on every date a policy looks, having
made policy_step's choice between them once per configuration (a call site for
the risk rule inside the band path of the date loop made the kernel 1.7x slower).
Policies encode themselves into its parameter row (``riskkit.rebalancing.policies``,
``_kernel_row``); trade costs and the minimum-trade rule
are :mod:`riskkit.rebalancing.costs`'s functions compiled as they stand.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from riskkit.rebalancing.costs import executes as _executes
from riskkit.rebalancing.costs import trade_cost as _trade_cost
from riskkit.rebalancing.policies import (
    BAND,
    KIND,
    RELATIVE,
    RISK_BUDGET,
    THRESHOLD,
    TO,
    VOL_TARGET,
    VOLATILITY,
)

executes = njit(cache=True, inline="always")(_executes)
trade_cost = njit(cache=True, inline="always")(_trade_cost)


@njit(cache=True, inline="always")
def _outside(d, scale):
    """The band rule: a drift ``d`` beyond its band ``scale`` (>= 0; a band of 0:
    any drift). A comparison, not a ratio: the kernel asks it for every asset on
    every date a policy looks, and a division there doubled a large sweep's time."""
    return d > scale


@njit(cache=True, inline="always")
def _ratio(d, scale):
    """Drift over its band (> 1 is outside), for the edge move only."""
    if scale > 0.0:
        return d / scale
    return np.inf if d > 0.0 else 0.0


@njit(cache=True, inline="always")
def _scale(band, relative, target):
    return band * abs(target) if relative else band


@njit(cache=True, inline="always")
def _edge_fraction(band, relative, w, targets, row, worst):
    """Fraction of the way to the target that brings every asset inside its band.

    In exact arithmetic ``1 - 1 / worst`` puts the worst asset on its edge; in
    floating point the move can leave it at ratio 1 + 1e-15, outside, and the
    policy would fire again on unchanged prices. So the move is checked with the
    band rule itself, on the weights exactly as the kernel computes them
    (``w + f (t - w)``), and the remaining distance is shrunk by a few ulps
    (doubling) until every asset is inside: inside by construction.
    """
    if not np.isfinite(worst):
        return 1.0
    remain = 1.0 / worst  # share of the drift left after the move
    shrink = 2.220446049250313e-16
    for _ in range(60):
        f = 1.0 - remain
        inside = True
        for i in range(w.shape[0]):
            new = w[i] + f * (targets[row, i] - w[i])
            if _outside(abs(targets[row, i] - new), _scale(band, relative, targets[row, i])):
                inside = False
                break
        if inside:
            return f
        remain *= 1.0 - shrink
        shrink *= 2.0
    return 1.0


@njit(cache=True)
def policy_step(params, k, budgets, w, targets, row, covs, c, ppy):
    """Does the policy encoded in ``params[k]`` fire, holding ``w`` against the
    target ``targets[row]``, and how far does it trade? The one rule, asked by
    :func:`riskkit.rebalancing.decision`; the backtest kernel makes the same
    choice between the two compiled rules (:func:`band_fraction`,
    :func:`risk_fraction`) once per configuration, outside its loop over dates.

    Parameters: ``params[k]`` the policy's row (riskkit.rebalancing.policies layout),
    ``budgets[k]`` (N,) its risk budgets (NaN: the target's own risk shares under
    the covariance), ``covs[c]`` (N, N) the per-period covariance in force
    (``c < 0``: no estimate yet, risk triggers do not fire), ``ppy`` periods a
    year (volatility triggers with a fixed annualised target).

    Returns the fraction of the way from ``w`` to the target to trade (0.0: no trade).
    """
    if is_risk(params, k):
        return risk_fraction(params, k, budgets, w, targets, row, covs, c, ppy)
    return band_fraction(params, k, w, targets, row)


@njit(cache=True, inline="always")
def is_risk(params, k):
    return params[k, KIND] >= RISK_BUDGET


@njit(cache=True, inline="always")
def band_fraction(params, k, w, targets, row):
    """A band around each target weight (a calendar date is a band of 0: any drift
    fires): the fraction of the way to trade, 0.0 when every asset is inside."""
    band = params[k, BAND]
    relative = params[k, RELATIVE] > 0.0
    fires = False
    for i in range(w.shape[0]):
        if _outside(abs(targets[row, i] - w[i]), _scale(band, relative, targets[row, i])):
            fires = True
            break
    if not fires:
        return 0.0
    if params[k, TO] > 0.0:
        return params[k, TO]
    worst = 0.0
    for i in range(w.shape[0]):
        worst = max(worst, _ratio(abs(targets[row, i] - w[i]), _scale(band, relative, targets[row, i])))
    return _edge_fraction(band, relative, w, targets, row, worst)


@njit(cache=True)
def risk_fraction(params, k, budgets, w, targets, row, covs, c, ppy):
    """Risk triggers (out of line: they allocate, and the kernel's band loop stays
    tight): no estimate yet, or nothing drifted, is no trade."""
    N = w.shape[0]
    if c < 0:
        return 0.0
    drifted = False
    for i in range(N):
        drifted = drifted or targets[row, i] != w[i]
    if not drifted:
        return 0.0
    f, _, _ = _risk_step(
        int(params[k, KIND]), params[k, BAND], params[k, VOL_TARGET], budgets[k], w, targets[row], covs[c],
        ppy, np.empty(N), np.empty(N), np.empty(N, dtype=np.bool_),
    )  # fmt: skip
    return f


@njit(cache=True)
def policy_detail(params, k, budgets, w, targets, row, covs, c, ppy, level, limit, outside):
    """What :func:`policy_step` looked at, per asset, for :func:`riskkit.rebalancing.decision`
    to show: fills ``level`` (|drift|, or the risk share), ``limit`` (the band in
    weight, or the risk budget) and ``outside``; returns the annualised forecast and
    reference volatilities of a volatility trigger (NaN otherwise). Uses the same
    band and risk rules (``_outside``, ``_scale``, ``_risk_step``)."""
    N = w.shape[0]
    kind = int(params[k, KIND])
    band = params[k, BAND]
    for i in range(N):
        level[i] = abs(targets[row, i] - w[i])
        limit[i] = 0.0
        outside[i] = False
    if kind == THRESHOLD:
        relative = params[k, RELATIVE] > 0.0
        for i in range(N):
            limit[i] = _scale(band, relative, targets[row, i])
            outside[i] = _outside(level[i], limit[i])
    elif (kind == RISK_BUDGET or kind == VOLATILITY) and c >= 0:
        _, forecast, reference = _risk_step(
            kind, band, params[k, VOL_TARGET], budgets[k], w, targets[row], covs[c], ppy,
            level, limit, outside,
        )  # fmt: skip
        return forecast, reference
    return np.nan, np.nan


@njit(cache=True)
def _risk_step(kind, band, vol_target, budget, w, tgt, cov, ppy, level, limit, outside):
    """The risk triggers' rule (kept out of line: it allocates): returns (fraction,
    annualised forecast, reference) and fills the risk shares, budgets and flags."""
    N = w.shape[0]
    sw = cov @ w
    var = 0.0
    for i in range(N):
        var += w[i] * sw[i]
    if not var > 0.0:
        return 0.0, np.nan, np.nan
    fire = False
    if kind == RISK_BUDGET:
        st = cov @ tgt
        tvar = 0.0
        for i in range(N):
            tvar += tgt[i] * st[i]
        for i in range(N):
            level[i] = w[i] * sw[i] / var
            limit[i] = tgt[i] * st[i] / tvar if np.isnan(budget[i]) else budget[i]
            outside[i] = abs(level[i] - limit[i]) > band
            fire = fire or outside[i]
        return (1.0 if fire else 0.0), np.nan, np.nan
    forecast = np.sqrt(var * ppy)
    reference = vol_target
    if reference <= 0.0:  # the target portfolio's own volatility
        st = cov @ tgt
        tvar = 0.0
        for i in range(N):
            tvar += tgt[i] * st[i]
        reference = np.sqrt(tvar * ppy)
    fire = abs(forecast / reference - 1.0) > band
    return (1.0 if fire else 0.0), forecast, reference


def _simulate(
    R, targets, tgt_row, due, params, budgets, covs, cov_row, ppy,
    prop, cost_params, V0, record,
    values, turnover, costs, rebalanced, tracking, wpath, ruin,
):  # fmt: skip
    """Fill the output arrays for every configuration k (see backtest for the rules).

    R (T-1, N) simple returns; targets (n_rows, N) with tgt_row (T,) the row in force
    at each date; due (T, K) dates each policy looks at; params (K, 5) and budgets
    (K, N) the policies' encodings (riskkit.rebalancing.policies); covs[cov_row[t]] the
    per-period covariance in force at t (cov_row < 0: none yet); prop (K, N)
    proportional rates and cost_params (K, 4) fixed, min_trade, impact a, b.

    Ruin: when a period's growth ``1 + w'r`` or the value after costs is <= 0, the
    configuration stops there: ``ruin[k]`` is that date's position (-1: never) and
    the later rows stay as the caller set them (zeros); no weight is divided by a
    non-positive value, so no 0 / 0 and no negative base of the impact power.
    """
    T = R.shape[0] + 1
    N = R.shape[1]
    K = params.shape[0]
    for k in prange(K):
        w = targets[tgt_row[0]].copy()
        fixed, min_trade = cost_params[k, 0], cost_params[k, 1]
        imp_a, imp_b = cost_params[k, 2], cost_params[k, 3]
        risk = is_risk(params, k)
        V = V0
        values[0, k] = V
        if record:
            wpath[0, k, :] = w
        for t in range(1, T):
            port = 0.0
            for i in range(N):
                port += w[i] * R[t - 1, i]
            g = 1.0 + port
            if not g > 0.0:  # the value is wiped out (or below zero): stop here
                ruin[k] = t
                break
            for i in range(N):
                w[i] = w[i] * (1.0 + R[t - 1, i]) / g
            V *= g
            row = tgt_row[t]
            if due[t, k]:
                if risk:  # policy_step's choice, made once per configuration
                    f = risk_fraction(params, k, budgets, w, targets, row, covs, cov_row[t], ppy)
                else:
                    f = band_fraction(params, k, w, targets, row)
                if f > 0.0:
                    traded = 0.0
                    cost = 0.0
                    for i in range(N):
                        step = f * (targets[row, i] - w[i])
                        x = abs(step * V)
                        if not executes(x, min_trade):
                            continue
                        traded += x
                        cost += trade_cost(x, V, prop[k, i], fixed, imp_a, imp_b)
                        w[i] += step
                    if traded > 0.0:
                        costs[t, k] = cost
                        turnover[t, k] = traded / 2.0 / V
                        rebalanced[t, k] = True
                        V -= cost  # paid pro rata from every holding: weights unchanged
                        if not V > 0.0:  # the costs took everything
                            ruin[k] = t
                            break
            values[t, k] = V
            dev = 0.0
            for i in range(N):
                dev += abs(w[i] - targets[row, i])
            tracking[t, k] = dev / 2.0
            if record:
                wpath[t, k, :] = w


def _named(fn, name: str):
    """``fn`` under another name. numba keys its disk cache by a function's name and
    first line, not by its compile options: two dispatchers of one function (serial
    and parallel) load each other's machine code, and the "serial" one started the
    OpenMP thread pool (which a forked process then cannot use)."""
    import types

    copy = types.FunctionType(fn.__code__.replace(co_name=name, co_qualname=name), fn.__globals__, name)
    copy.__qualname__ = copy.__name__ = name
    return copy


# one compiled version for a few configurations (no thread start-up), one parallel over configurations
simulate_serial = njit(cache=True)(_named(_simulate, "_simulate_serial"))
simulate_parallel = njit(cache=True, parallel=True)(_named(_simulate, "_simulate_parallel"))


def simulate(*args) -> None:
    """Run the kernel; in parallel over configurations when there are enough of them."""
    K = args[4].shape[0]  # params
    (simulate_parallel if K >= 8 else simulate_serial)(*args)
