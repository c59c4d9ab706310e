"""Stress tests: what a portfolio loses in a scenario, split by asset and group.

Contents
--------
scenario_loss        loss under given shocks (one row of asset returns per scenario)
correlation_stress   volatility and Gaussian VaR when correlations are blended toward one (per period,
                     as its ``attrs["units"]`` says)
worst_windows        the worst historical windows of the data, buy-and-hold over each window

Each is its checks, then its core (``scenario_loss_core``, ``correlation_stress_core``,
``worst_windows_core``), which takes inputs already checked, for a caller that checks them once
(:func:`riskkit.decomposition.decompose`); :func:`scenario_matrix` is the check of scenarios.

Losses are positive numbers and their split by asset sums to the total.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskkit._core.validation import (
    check_covariance,
    check_frame,
    check_int,
    check_no_inf,
    check_no_missing,
    check_numeric,
    check_real,
    check_same_assets,
    check_weights,
    positive_volatilities,
    returns_matrix,
)
from riskkit._core.vocabulary import renamed

__all__ = [
    "correlation_stress",
    "correlation_stress_core",
    "scenario_loss",
    "scenario_loss_core",
    "scenario_matrix",
    "worst_windows",
    "worst_windows_core",
]


def scenario_loss(weights: pd.Series, scenarios: pd.DataFrame | pd.Series, /) -> pd.DataFrame:
    """Loss of the portfolio under each scenario of asset returns.

    ``scenarios``: one row per scenario (a Series is one scenario), one column
    per asset, simple returns. Returns one row per scenario: ``loss`` then the
    loss of each asset position (:math:`-w_i s_i`), which sum to ``loss``.
    """
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    S, index, columns = scenario_matrix(scenarios)
    check_same_assets("weights", w.index, "scenarios", columns)
    return scenario_loss_core(w.reindex(columns).to_numpy(), S, index, columns)


def scenario_matrix(scenarios: pd.DataFrame | pd.Series) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """The check of :func:`scenario_loss`'s ``scenarios`` (a frame, numeric, finite, no missing
    value; a Series is one scenario): values (n_scenarios, n_assets), scenario labels, assets."""
    frame = scenarios.to_frame().T if isinstance(scenarios, pd.Series) else scenarios
    check_frame("scenarios", frame)
    values = check_numeric("scenarios", frame)
    check_no_inf("scenarios", values)
    check_no_missing("scenarios", values)
    return values.to_numpy(), frame.index, frame.columns


def scenario_loss_core(wv: np.ndarray, S: np.ndarray, index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    """The computation of :func:`scenario_loss`, on inputs already checked by :func:`scenario_loss`:
    ``S, index, columns`` from :func:`scenario_matrix`, ``wv`` the checked weights aligned to ``columns``."""
    by_asset = -S * wv
    out = pd.DataFrame(by_asset, index=index, columns=columns)
    out.insert(0, "loss", by_asset.sum(axis=1))
    return out


@renamed(alpha="level")
def correlation_stress(
    weights: pd.Series,
    covariance: pd.DataFrame,
    /,
    *,
    blends: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    level: float = 0.99,
) -> pd.DataFrame:
    """Portfolio risk as correlations are blended toward one, volatilities kept.

    :math:`C_\\lambda = (1 - \\lambda) C + \\lambda \\mathbf{1}\\mathbf{1}^\\top`. For each
    blend: volatility, Gaussian VaR at confidence ``level`` (formerly ``alpha``; zero
    mean) and each asset's share of that VaR (Euler), which sum to the VaR: per period
    of the covariance, never annualised (the table's ``attrs["units"]`` says so).
    """
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    cov = check_covariance("covariance", covariance)
    check_same_assets("weights", w.index, "covariance", cov.index)
    level = check_real("level", level, low=0.5, high=1.0, low_open=True, high_open=True)
    blends = [check_real("blends", lam, low=0.0, high=1.0) for lam in blends]
    return correlation_stress_core(w.reindex(cov.index).to_numpy(), cov, blends, level)


def correlation_stress_core(
    wv: np.ndarray, cov: pd.DataFrame, blends: Sequence[float], level: float
) -> pd.DataFrame:
    """The computation of :func:`correlation_stress`, on inputs already checked by
    :func:`correlation_stress`: ``cov`` a checked covariance, ``wv`` the checked weights in its
    order, each blend in [0, 1], ``level`` in (0.5, 1). Only what the blend itself needs is
    checked here: every asset has a positive volatility."""
    from riskkit._core import normal as norm

    sd = positive_volatilities(
        "covariance", cov, "correlation_stress (it keeps volatilities, blends correlations)"
    )
    # the blend ((1 - lam) C + lam 11') o sd sd' is (1 - lam) Sigma + lam sd sd': its product with w is
    # (1 - lam) Sigma w + lam sd (sd' w), so no N x N matrix is formed beyond the covariance
    Sw, sdw = cov.to_numpy() @ wv, float(sd @ wv)
    z = float(norm.ppf(level))
    rows = {}
    for lam in blends:
        Bw = (1.0 - lam) * Sw + lam * sd * sdw
        var = float(wv @ Bw)
        # a book hedged exactly under this blend has no risk to split: zero contributions, not 0 / 0
        sigma = float(np.sqrt(var)) if var > 0.0 else 0.0
        comp = wv * Bw / sigma if sigma > 0.0 else np.zeros(len(wv))
        rows[lam] = {"volatility": sigma, "VaR": z * sigma, **dict(zip(cov.index, comp * z, strict=True))}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.attrs["units"] = "per period"
    out.index.name = "correlation_blend"
    return out


def worst_windows(
    weights: pd.Series,
    returns: pd.DataFrame,
    /,
    *,
    window: int = 1,
    n: int = 3,
) -> pd.DataFrame:
    """The ``n`` worst non-overlapping windows of ``window`` periods, buy-and-hold.

    The portfolio is bought at the weights at the start of each window and
    held: its loss is :math:`-\\sum_i w_i (\\prod_t (1 + r_{it}) - 1)`, and
    each asset's term is its share. Windows are ranked by loss and may not
    overlap. Rows are labelled by the window's last date.
    """
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    X, index, columns = returns_matrix("returns", returns)
    check_same_assets("weights", w.index, "returns", columns)
    window = check_int("window", window, minimum=1)
    n = check_int("n", n, minimum=1)
    return worst_windows_core(w.reindex(columns).to_numpy(), X, index, columns, window, n)


def worst_windows_core(
    wv: np.ndarray, X: np.ndarray, index: pd.Index, columns: pd.Index, window: int, n: int
) -> pd.DataFrame:
    """The computation of :func:`worst_windows`, on inputs already checked by :func:`worst_windows`:
    ``X, index, columns`` as :func:`riskkit._core.validation.returns_matrix` returns them, ``wv`` the
    checked weights aligned to ``columns``, ``window`` and ``n`` positive ints."""
    logg = np.log1p(X)
    csum = np.vstack([np.zeros(X.shape[1]), np.cumsum(logg, axis=0)])
    growth = np.expm1(csum[window:] - csum[:-window])  # (T - window + 1, N) window returns per asset
    losses = -(growth * wv)
    total = losses.sum(axis=1)
    picked: list[int] = []
    for i in np.argsort(-total, kind="stable"):
        if all(abs(int(i) - j) >= window for j in picked):
            picked.append(int(i))
        if len(picked) == n:
            break
    ends = [index[i + window - 1] for i in picked]
    starts = [index[i] for i in picked]
    # the columns are fields and assets: the asset axis's name would label both
    out = pd.DataFrame(losses[picked], index=pd.Index(ends, name="window_end"), columns=list(columns))
    out.insert(0, "loss", total[picked])
    out.insert(0, "window_start", starts)
    return out
