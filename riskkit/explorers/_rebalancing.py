"""The rebalancing explorer's experiment (see :mod:`riskkit.explorers` for the premium split)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import check_int, check_real
from riskkit._core.vocabulary import renamed
from riskkit.explorers._common import _describe, _spawn
from riskkit.rebalancing.costs import bps_alias

# the units of each row of RebalancingPaths.summary() (see its docstring)
_UNITS = {
    **dict.fromkeys(
        ["premium", "diversification_return", "dispersion", "timing", "costs", "annual_turnover"], "annual"
    ),
    **dict.fromkeys(["rebalances", "won"], "per path"),
    **dict.fromkeys(["drift_buy_and_hold", "drift_policy"], "per period"),
}


@dataclass(frozen=True, eq=False, repr=False)
class RebalancingPaths(Result):
    """A rebalancing policy against buy-and-hold on many simulated markets.

    Attributes
    ----------
    paths : DataFrame of shape (n_paths, ...)
        One row per simulated market: ``premium`` (annual log growth over
        buy-and-hold, after costs) and its split ``diversification_return``,
        ``dispersion``, ``timing``, ``costs`` (they add up to ``premium``);
        ``rebalances``, ``annual_turnover``, and the mean distance of each
        portfolio from its target, :math:`\\lVert w - w^* \\rVert_1 / 2`
        (``drift_buy_and_hold``, ``drift_policy``).
    weights : dict of str to DataFrame
        Weight paths of the first market, ``"buy and hold"`` and ``"policy"``.
    target : Series
    expected_diversification_return : float
        :math:`\\tfrac12(\\sum_i w_i\\sigma_i^2 - w^\\top\\Sigma w)` from the true
        annual covariance of the log returns.
    parameters : dict
    periods_per_year : float
        The simulated markets' calendar (365: every day); the premium, its split and
        the turnover are annualised with it.
    """

    paths: pd.DataFrame
    weights: dict = field(repr=False)
    target: pd.Series = field(repr=False)
    expected_diversification_return: float
    parameters: dict = field(default_factory=dict)
    periods_per_year: float = 365.0

    def summary(self) -> pd.DataFrame:
        """Mean, standard deviation and 5/50/95% quantiles over paths, plus the share of
        paths where the policy beat buy-and-hold (column ``mean`` of row ``won``).

        ``units`` per row: "annual" for the premium, its four terms and
        ``annual_turnover`` (a year's log growth, a year's turnover); "per path" for
        ``rebalances`` (the count over the path's ``years``, not annualised) and ``won``
        (1 on a path the policy won, so its mean is a share of paths); "per period" for
        the drifts from target (each period's distance averaged over the periods: a
        level that does not grow with time).
        """
        table = self.paths.assign(won=(self.paths["premium"] > 0).astype(float))
        out = _describe(table)
        out["units"] = [_UNITS[row] for row in out.index]
        return out


def _mean_revert(log_returns: np.ndarray, drift: np.ndarray, speed: float, ppy: float) -> np.ndarray:
    """Make relative log prices revert to their trend at ``speed`` per year (0: unchanged).

    The cross-sectional mean return (the market) and each asset's drift are kept;
    the rest, the relative random walk :math:`x_t = x_{t-1} + e_t`, becomes an
    Ornstein-Uhlenbeck process :math:`y_t = a\\,y_{t-1} + e_t`, :math:`a = e^{-\\kappa/ppy}`.
    """
    if speed == 0:
        return log_returns
    from scipy.signal import lfilter

    market = log_returns.mean(axis=1, keepdims=True)
    trend = (drift - drift.mean())[None, :] / ppy
    e = log_returns - market - trend
    a = float(np.exp(-speed / ppy))
    y = lfilter([1.0], [1.0, -a], e, axis=0)
    return market + trend + np.diff(y, axis=0, prepend=0.0)


@functools.lru_cache(maxsize=4)
def _markets(
    n: int, vol: float, rho: float, spread: float, speed: float, years: int, n_paths: int, seed: int
) -> tuple[tuple[pd.DataFrame, ...], float, float]:
    """The ``n_paths`` simulated price paths (read only), their calendar and the expected
    diversification return. Cached: a move of the band or cost slider re-runs only the
    backtests, on the same markets."""
    from riskkit.simulation import _simple_log_returns, simulate_simple_market

    # the frames' labels (dates, asset names, first prices) of one market: the same on every path
    frame = simulate_simple_market(n_assets=n, n_periods=2, volatility=vol, correlation=rho).prices
    ppy = 365.0
    dates = pd.date_range(frame.index[0], periods=365 * years + 1, freq="D", name=frame.index.name)
    p0 = frame.iloc[0].to_numpy()
    drift = np.linspace(-spread / 2, spread / 2, n)
    markets, expected = [], np.nan
    for k, rng in enumerate(_spawn(seed, n_paths)):
        log_ret, cov = _simple_log_returns(
            n_assets=n, n_periods=365 * years, volatility=vol, correlation=rho, dispersion=spread, seed=rng
        )
        r = _mean_revert(log_ret, drift, speed, ppy)
        prices = pd.DataFrame(
            p0 * np.exp(np.vstack([np.zeros(n), np.cumsum(r, axis=0)])), index=dates, columns=frame.columns
        )
        if k == 0:
            w = np.full(n, 1.0 / n)
            expected = 0.5 * float(w @ np.diag(cov * ppy) - w @ (cov * ppy) @ w)
        markets.append(prices)
    return tuple(markets), float(ppy), expected


def _split(res, prices: pd.DataFrame, target: pd.Series, years: int) -> dict:
    """One path's row: the policy's premium over buy-and-hold and its split, read off the
    backtest's arrays by :func:`riskkit.metrics.backtest_summary`'s formulas (its full table,
    the performance figures included, took most of a slider move's time)."""
    policy = list(res.values.columns).index("policy")
    after = res.values.to_numpy()
    log_cost = np.log1p(res.costs.to_numpy() / after).sum(axis=0)[policy]
    log_g = float(np.log(after[-1] / after[0])[policy])
    cm, bh, p = res.target_values.to_numpy(), res.buy_and_hold.to_numpy(), prices.to_numpy()
    log_cm, log_bh = float(np.log(cm[-1] / cm[0])), float(np.log(bh[-1] / bh[0]))
    g_assets = float(target.to_numpy() @ np.log(p[-1] / p[0])) / years
    # columns as arrays: a pandas lookup per figure was most of this function's time
    turnover, tracking = res.turnover.to_numpy(), res.tracking.to_numpy()
    held = list(res.tracking.columns).index("buy and hold"), list(res.tracking.columns).index("policy")
    return {
        "premium": (log_g - log_bh) / years,
        "diversification_return": log_cm / years - g_assets,
        "dispersion": g_assets - log_bh / years,
        "timing": (log_g + log_cost - log_cm) / years,
        "costs": -log_cost / years,
        "rebalances": float(res.rebalanced.to_numpy()[:, list(res.rebalanced.columns).index("policy")].sum()),
        "annual_turnover": float(turnover[:, list(res.turnover.columns).index("policy")].sum()) / years,
        "drift_buy_and_hold": float(tracking[:, held[0]].mean()),
        "drift_policy": float(tracking[:, held[1]].mean()),
    }


@bps_alias
@renamed(cost_bps="proportional")
def rebalancing_paths(
    *,
    n_assets: int = 4,
    volatility: float = 0.8,
    correlation: float = 0.3,
    dispersion: float = 0.0,
    reversion: float = 0.0,
    band: float = 0.05,
    proportional: float = 0.002,
    years: int = 5,
    n_paths: int = 100,
    seed: int = 0,
) -> RebalancingPaths:
    """Threshold rebalancing of an equal-weight portfolio against buy-and-hold on
    ``n_paths`` simulated markets.

    Each market (:func:`riskkit.simulation.simulate_market`, 365 days a year, no
    crashes or volatility clustering) has ``n_assets`` assets of annual
    ``volatility`` and pairwise ``correlation``, annual log drifts spread evenly
    over ``[-dispersion/2, +dispersion/2]`` (a trend: one asset keeps beating
    another), and relative prices that revert to that trend at ``reversion`` per
    year (half-life :math:`\\ln 2 / \\kappa` years; 0 is a random walk). The policy
    trades back to the target when a weight leaves the ``band``
    (:class:`riskkit.rebalancing.Threshold`) and pays ``proportional`` of the traded
    notional; the backtest is :func:`riskkit.rebalancing.backtest`.

    Parameters
    ----------
    n_assets : int, default=4
    volatility : float, default=0.8
        Annual volatility of every asset (0.8 = 80%).
    correlation : float in [0, 1), default=0.3
    dispersion : float, default=0.0
        Spread of the annual log drifts (0.4: from -20% to +20% a year).
    reversion : float, default=0.0
        Mean-reversion speed of relative prices, per year.
    band : float, default=0.05
        Absolute weight band of the threshold policy.
    proportional : float, default=0.002
        Proportional cost, a fraction of traded notional (0.002 = 20 bp). The former
        ``cost_bps=`` (basis points) is accepted until riskkit 0.3 with a
        FutureWarning and divided by 1e4.
    years, n_paths, seed : int

    Returns
    -------
    RebalancingPaths

    Notes
    -----
    The premium split is given in :mod:`riskkit.explorers`; the four terms add up to
    the premium on every path.

    References
    ----------
    Booth, D. G. and Fama, E. F. (1992), "Diversification returns and asset
    contributions", Financial Analysts Journal 48(3). Willenbrock, S. (2011),
    "Diversification return, portfolio rebalancing, and the commodity return
    puzzle", Financial Analysts Journal 67(4). Fernholz, R. and Shay, B. (1982),
    "Stochastic portfolio theory and stock market equilibrium", Journal of
    Finance 37(2).
    """
    from riskkit.rebalancing import Config, Never, Threshold, backtest
    from riskkit.rebalancing.costs import Costs

    n = check_int("n_assets", n_assets, minimum=2)
    vol = check_real("volatility", volatility, low=0.0, low_open=True)
    rho = check_real("correlation", correlation, low=0.0, high=1.0, high_open=True)
    spread = check_real("dispersion", dispersion, low=0.0)
    speed = check_real("reversion", reversion, low=0.0)
    band = check_real("band", band, low=0.0)
    costs = Costs(proportional=check_real("proportional", proportional, low=0.0))
    years = check_int("years", years, minimum=1)
    n_paths = check_int("n_paths", n_paths, minimum=2)
    seed = check_int("seed", seed, minimum=0)
    markets, ppy, expected = _markets(n, vol, rho, spread, speed, years, n_paths, seed)
    configs = [Config("policy", Threshold(band), costs), Config("buy and hold", Never())]
    target = pd.Series(1.0 / n, index=markets[0].columns)
    rows, weights = [], {}
    for k, prices in enumerate(markets):
        res = backtest(prices, target, configs, record_weights=k == 0, periods_per_year=ppy)  # 365: known
        rows.append(_split(res, prices, target, years))
        if k == 0:
            weights = {"buy and hold": res.weights["buy and hold"], "policy": res.weights["policy"]}
    paths = pd.DataFrame(rows, index=pd.RangeIndex(1, n_paths + 1, name="path"))
    params = {
        "n_assets": n,
        "volatility": vol,
        "correlation": rho,
        "dispersion": spread,
        "reversion": speed,
        "band": band,
        "proportional": float(proportional),
        "years": years,
        "n_paths": n_paths,
        "seed": seed,
    }
    return RebalancingPaths(paths, weights, target, expected, params, float(ppy))
