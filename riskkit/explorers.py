"""What-if experiments behind the teaching notebooks' interactive explorers.

Each function runs one experiment from a handful of plain numbers (the values
a slider sets) and returns a result with labelled DataFrames; the widgets that
call them live in :mod:`riskkit.widgets`. Everything random comes from ``seed``.

Contents
--------
rebalancing_paths   a rebalancing policy against buy-and-hold on many simulated markets:
                    weight drift, trades, and the premium split into diversification
                    return, dispersion, timing and costs
shrinkage_trials    sample against Ledoit-Wolf shrunk covariances on simulated markets of a
                    chosen T/N and factor structure: eigenvalues, loss, intensity
risk_shares         risk contributions and effective number of bets of a small portfolio
                    with given volatilities and one common correlation; ERC weights
delta_hedge         banded delta hedging of an option book along price paths: hedged P&L
                    split into theta, gamma, the band's unhedged delta and costs
delta_hedge_paths   the same on simulated paths, with the cost against residual risk of
                    several bands

The premium split of :func:`rebalancing_paths`, per path and in annual log
growth (:math:`g = \\ln(V_T / V_0) / \\text{years}`):

.. math::

    g_\\text{policy} - g_\\text{BH}
    = \\underbrace{g_\\text{CM} - \\textstyle\\sum_i w_i g_i}_{\\text{diversification return}}
    + \\underbrace{\\textstyle\\sum_i w_i g_i - g_\\text{BH}}_{\\text{dispersion} \\,\\le\\, 0}
    + \\underbrace{g_\\text{gross} - g_\\text{CM}}_{\\text{timing}}
    + \\underbrace{g_\\text{policy} - g_\\text{gross}}_{\\text{costs}}

with CM the constant mix rebalanced every period for free, BH buy-and-hold and
:math:`g_i` each asset's growth. The diversification return is the variance
reduction of the rebalanced mix, :math:`\\tfrac12(\\sum_i w_i\\sigma_i^2 - w^\\top\\Sigma w)`
in expectation (Booth & Fama 1992; Willenbrock 2011; Fernholz & Shay 1982):
it needs volatility and imperfect correlation, not mean reversion. Buy-and-hold
lets the winners grow, which by Jensen's inequality gives it at least the
weighted average growth: the dispersion term is never positive, and trends
(drift dispersion) make it large. Mean reversion of relative prices keeps it
small, so the premium grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit._validation import check_choice, check_int, check_real, format_items
from riskkit.exceptions import InvalidParameterError

__all__ = [
    "DeltaHedge",
    "RebalancingPaths",
    "RiskShares",
    "ShrinkageTrials",
    "delta_hedge",
    "delta_hedge_paths",
    "rebalancing_paths",
    "risk_shares",
    "shrinkage_trials",
]

_SPLIT = ["diversification_return", "dispersion", "timing", "costs"]


def _spawn(seed: int, n: int) -> list[np.random.Generator]:
    """``n`` independent generators; the k-th does not depend on ``n``."""
    seed = check_int("seed", seed, minimum=0)
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _describe(table: pd.DataFrame) -> pd.DataFrame:
    q = table.quantile([0.05, 0.5, 0.95])
    return pd.DataFrame(
        {
            "mean": table.mean(),
            "std": table.std(ddof=1),
            "5%": q.loc[0.05],
            "median": q.loc[0.5],
            "95%": q.loc[0.95],
        }
    )


# --------------------------------------------------------------------------- rebalancing


@dataclass(frozen=True)
class RebalancingPaths:
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
    """

    paths: pd.DataFrame
    weights: dict = field(repr=False)
    target: pd.Series = field(repr=False)
    expected_diversification_return: float
    parameters: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Mean, standard deviation and 5/50/95% quantiles over paths, plus the share of
        paths where the policy beat buy-and-hold (column ``mean`` of row ``won``)."""
        table = self.paths.assign(won=(self.paths["premium"] > 0).astype(float))
        return _describe(table)

    def _repr_html_(self) -> str:
        return self.summary().to_html()


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


def rebalancing_paths(
    *,
    n_assets: int = 4,
    volatility: float = 0.8,
    correlation: float = 0.3,
    dispersion: float = 0.0,
    reversion: float = 0.0,
    band: float = 0.05,
    cost_bps: float = 20.0,
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
    (:class:`riskkit.rebalancing.Threshold`) and pays ``cost_bps`` of the traded
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
    cost_bps : float, default=20.0
    years, n_paths, seed : int

    Returns
    -------
    RebalancingPaths

    Notes
    -----
    The premium split is given in the module docstring; the four terms add up to
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
    from riskkit.rebalancing import Config, Costs, Never, Threshold, backtest
    from riskkit.simulation import simulate_market

    n = check_int("n_assets", n_assets, minimum=2)
    vol = check_real("volatility", volatility, low=0.0, low_open=True)
    rho = check_real("correlation", correlation, low=0.0, high=1.0, high_open=True)
    spread = check_real("dispersion", dispersion, low=0.0)
    speed = check_real("reversion", reversion, low=0.0)
    band = check_real("band", band, low=0.0)
    costs = Costs(proportional=check_real("cost_bps", cost_bps, low=0.0))
    years = check_int("years", years, minimum=1)
    n_paths = check_int("n_paths", n_paths, minimum=2)
    drift = np.linspace(-spread / 2, spread / 2, n)
    load = float(np.sqrt(rho))
    configs = [Config("policy", Threshold(band), costs), Config("buy and hold", Never())]
    rows, weights, target, expected = [], {}, None, np.nan
    for k, rng in enumerate(_spawn(seed, n_paths)):
        sim = simulate_market(
            n_assets=n,
            n_periods=365 * years,
            seed=rng,
            annual_vol=[vol] * n,
            market_loading=(load, load),
            group_loading=(0.0, 0.0),
            annual_drift=list(drift),
            crash_probability=0.0,
            garch=(0.0, 0.0),
        )
        r = _mean_revert(sim.returns.to_numpy(), drift, speed, sim.periods_per_year)
        p0 = sim.prices.iloc[0].to_numpy()
        prices = pd.DataFrame(
            p0 * np.exp(np.vstack([np.zeros(n), np.cumsum(r, axis=0)])),
            index=sim.prices.index,
            columns=sim.prices.columns,
        )
        if target is None:
            target = pd.Series(1.0 / n, index=prices.columns)
            cov = sim.true_covariance.to_numpy() * sim.periods_per_year
            w = target.to_numpy()
            expected = 0.5 * float(w @ np.diag(cov) - w @ cov @ w)
        res = backtest(prices, target, configs, record_weights=k == 0)
        s = res.summary().loc["policy"]
        g_assets = float(target.to_numpy() @ np.log(prices.iloc[-1] / prices.iloc[0]).to_numpy()) / years
        g_bh = float(np.log(res.buy_and_hold.iloc[-1] / res.buy_and_hold.iloc[0])) / years
        g_cm = float(np.log(res.target_values.iloc[-1] / res.target_values.iloc[0])) / years
        rows.append(
            {
                "premium": s["premium_vs_buy_and_hold"],
                "diversification_return": g_cm - g_assets,
                "dispersion": g_assets - g_bh,
                "timing": s["rebalancing_term"],
                "costs": s["cost_term"],
                "rebalances": float(s["rebalances"]),
                "annual_turnover": s["annual_turnover"],
                "drift_buy_and_hold": float(res.tracking["buy and hold"].mean()),
                "drift_policy": float(res.tracking["policy"].mean()),
            }
        )
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
        "cost_bps": float(cost_bps),
        "years": years,
        "n_paths": n_paths,
        "seed": seed,
    }
    return RebalancingPaths(paths, weights, target, expected, params)


# --------------------------------------------------------------------------- shrinkage


@dataclass(frozen=True)
class ShrinkageTrials:
    """Sample against shrunk covariance on simulated markets with a known truth.

    Attributes
    ----------
    trials : DataFrame of shape (n_trials, 4)
        Per market: the estimated ``intensity``, the Frobenius losses
        :math:`\\lVert\\hat\\Sigma - \\Sigma\\rVert_F / \\lVert\\Sigma\\rVert_F` of the
        sample (``loss_sample``) and shrunk (``loss_shrunk``) covariances, and
        ``improvement`` (% loss reduction).
    eigenvalues : DataFrame of shape (n_assets, 3)
        Eigenvalues of the true, sample and shrunk *correlation* matrices, largest
        first, averaged over trials (each column sums to the number of assets).
    parameters : dict
    """

    trials: pd.DataFrame
    eigenvalues: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return _describe(self.trials)

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def _corr_eigenvalues(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return np.sort(np.linalg.eigvalsh(cov / np.outer(sd, sd)))[::-1]


def shrinkage_trials(
    *,
    n_assets: int = 20,
    ratio: float = 2.0,
    market_loading: float = 0.6,
    group_loading: float = 0.3,
    target: str = "identity",
    n_trials: int = 20,
    seed: int = 0,
) -> ShrinkageTrials:
    """Ledoit-Wolf shrinkage against the sample covariance on ``n_trials`` simulated
    markets of ``n_assets`` assets and ``ratio * n_assets`` observations.

    The true structure is a market factor with loading ``market_loading`` and four
    sector factors with ``group_loading`` (pairwise correlation
    :math:`m^2` across sectors, :math:`m^2 + g^2` within; 0 and 0 make the assets
    independent), annual volatilities drawn from 40-120%, Student-t(5) shocks and no
    crashes (:func:`riskkit.simulation.simulate_market`). Each market is estimated
    with :func:`riskkit.shrinkage.shrink` (``method="sample"`` and
    ``method="ledoit_wolf"`` with ``target``) and scored by
    :func:`riskkit.evaluation.frobenius_loss` against its true covariance.
    """
    from riskkit.evaluation import frobenius_loss
    from riskkit.shrinkage import shrink
    from riskkit.simulation import simulate_market

    n = check_int("n_assets", n_assets, minimum=2)
    ratio = check_real("ratio", ratio, low=0.0, low_open=True)
    m = check_real("market_loading", market_loading, low=0.0, high=1.0, high_open=True)
    g = check_real("group_loading", group_loading, low=0.0, high=1.0, high_open=True)
    check_choice("target", target, ("identity", "constant_correlation", "single_index"))
    n_trials = check_int("n_trials", n_trials, minimum=2)
    t_len = max(round(ratio * n), 2)
    rows, eig = [], np.zeros((n, 3))
    for rng in _spawn(seed, n_trials):
        sim = simulate_market(
            n_assets=n,
            n_periods=t_len,
            seed=rng,
            market_loading=(m, m),
            group_loading=(g, g),
            crash_probability=0.0,
            garch=(0.0, 0.0),
        )
        truth = sim.true_covariance
        sample = shrink(sim.returns, method="sample")
        shrunk = shrink(sim.returns, method="ledoit_wolf", target=target)
        ls, lh = frobenius_loss(sample.covariance, truth)[1], frobenius_loss(shrunk.covariance, truth)[1]
        rows.append(
            {
                "intensity": shrunk.intensity,
                "loss_sample": ls,
                "loss_shrunk": lh,
                "improvement": 100.0 * (1.0 - lh / ls),
            }
        )
        for j, c in enumerate((truth, sample.covariance, shrunk.covariance)):
            eig[:, j] += _corr_eigenvalues(c.to_numpy())
    trials = pd.DataFrame(rows, index=pd.RangeIndex(1, n_trials + 1, name="trial"))
    eigenvalues = pd.DataFrame(
        eig / n_trials, index=pd.RangeIndex(1, n + 1, name="rank"), columns=["truth", "sample", "shrunk"]
    )
    params = {
        "n_assets": n,
        "ratio": ratio,
        "observations": t_len,
        "market_loading": m,
        "group_loading": g,
        "target": target,
        "n_trials": n_trials,
        "seed": seed,
    }
    return ShrinkageTrials(trials, eigenvalues, params)


# --------------------------------------------------------------------------- risk shares


@dataclass(frozen=True)
class RiskShares:
    """Risk contributions of a small portfolio and its equal-risk-contribution weights.

    Attributes
    ----------
    contributions : DataFrame
        :func:`riskkit.decomposition.risk_contributions` (annual volatilities) with an
        ``erc_weight`` column.
    volatility : float
        Annual portfolio volatility.
    effective_bets : float
        Effective number of bets (principal portfolios), between 1 and the number
        of assets.
    effective_assets : float
        Inverse Herfindahl index of the risk shares.
    covariance : DataFrame
    """

    contributions: pd.DataFrame
    volatility: float
    effective_bets: float
    effective_assets: float
    covariance: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "value": [
                    self.volatility,
                    self.effective_bets,
                    self.effective_assets,
                    float(self.contributions["percent"].max()),
                ]
            },
            index=pd.Index(["volatility", "effective_bets", "effective_assets", "largest_risk_share"]),
        )

    def _repr_html_(self) -> str:
        return self.contributions.to_html()


def risk_shares(
    weights: pd.Series | dict,
    volatilities: pd.Series | dict,
    /,
    *,
    correlation: float = 0.3,
) -> RiskShares:
    """Risk shares, effective number of bets and ERC weights for ``weights`` on assets
    of annual ``volatilities`` with one common pairwise ``correlation``.

    ``correlation`` must lie in :math:`(-1/(N-1), 1)` so the covariance is positive
    definite. Uses :func:`riskkit.decomposition.risk_contributions`,
    :func:`riskkit.decomposition.effective_number_of_bets` (``method="pca"``) and
    :func:`riskkit.allocation.risk_budgeting`.

    Examples
    --------
    >>> from riskkit.explorers import risk_shares
    >>> r = risk_shares({"a": 0.5, "b": 0.5}, {"a": 0.2, "b": 0.1}, correlation=0.0)
    >>> r.contributions["percent"].round(2).tolist()
    [0.8, 0.2]
    """
    from riskkit._validation import check_same_assets, check_weights
    from riskkit.allocation import risk_budgeting
    from riskkit.decomposition import effective_number_of_bets, risk_contributions

    w = check_weights("weights", weights)
    vol = check_weights("volatilities", volatilities)
    check_same_assets("weights", w.index, "volatilities", vol.index)
    bad = vol.index[~(vol.to_numpy(dtype=float) > 0)]
    if len(bad):
        raise InvalidParameterError(
            f"volatilities must be positive (annual, 0.5 = 50%); not for {format_items(bad)}."
        )
    n = len(vol)
    rho = check_real(
        "correlation",
        correlation,
        low=-1.0 / (n - 1) if n > 1 else -1.0,
        high=1.0,
        low_open=True,
        high_open=True,
    )
    corr = np.full((n, n), rho)
    np.fill_diagonal(corr, 1.0)
    v = vol.to_numpy(dtype=float)
    cov = pd.DataFrame(corr * np.outer(v, v), index=vol.index, columns=vol.index)
    table = risk_contributions(w.reindex(vol.index), cov)
    enb, _ = effective_number_of_bets(w.reindex(vol.index), cov, method="pca")
    table["erc_weight"] = risk_budgeting(cov)
    shares = table["percent"].to_numpy()
    return RiskShares(
        contributions=table,
        volatility=float(table.attrs["portfolio_volatility"]),
        effective_bets=enb,
        effective_assets=float(1.0 / np.sum(shares**2)),
        covariance=cov,
    )


# --------------------------------------------------------------------------- delta hedging


@dataclass(frozen=True)
class DeltaHedge:
    """Banded delta hedging of an option book along one or several price paths.

    Attributes
    ----------
    pnl : DataFrame of shape (n_dates, n_paths)
        Cumulative hedged P&L after costs (currency), 0 on the first date.
    components : DataFrame of shape (n_paths, 6)
        Per path, totals in currency: ``theta`` (time decay at an unchanged
        spot), ``gamma`` (the book's value change from the spot move beyond its
        delta at the previous close), ``unhedged_delta`` (net delta left by the
        band times the move), ``costs`` (negative), ``total`` (their sum, the
        final hedged P&L), and ``rehedges``.
    daily : dict of str to DataFrame
        Per date and path: ``theta``, ``gamma``, ``unhedged_delta``, ``costs``,
        ``hedge`` (units held after the close) and ``gamma_approx``,
        :math:`\\tfrac12\\Gamma_{t-1}\\,\\Delta S_t^2` (what the gamma term is to
        second order).
    residual_risk : Series
        Per path: standard deviation of the daily hedged P&L before costs.
    """

    pnl: pd.DataFrame
    components: pd.DataFrame
    daily: dict = field(repr=False)
    residual_risk: pd.Series = field(repr=False)

    def summary(self) -> pd.DataFrame:
        return _describe(self.components.assign(residual_risk=self.residual_risk))

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def delta_hedge(
    prices: pd.DataFrame | pd.Series,
    book: pd.DataFrame,
    /,
    *,
    band: float = 0.0,
    costs=None,
    periods_per_year: float | None = None,
    rate: float = 0.0,
) -> DeltaHedge:
    """Delta-hedge ``book`` along each column of ``prices`` with the band rule of
    :func:`riskkit.hedging.banded_rehedging`, and split the hedged P&L.

    Each period's hedged P&L :math:`V_t - V_{t-1} + h_{t-1}(S_t - S_{t-1})` is
    exactly ``theta + gamma + unhedged_delta``:

    .. math::

        \\theta_t = V(S_{t-1}, \\tau_t) - V(S_{t-1}, \\tau_{t-1}), \\quad
        \\gamma_t = V(S_t, \\tau_t) - V(S_{t-1}, \\tau_t) - \\Delta_{t-1}\\,\\Delta S_t, \\quad
        u_t = (\\Delta_{t-1} + h_{t-1})\\,\\Delta S_t

    where :math:`\\Delta_{t-1}` is the book's delta at the previous close. Re-hedged
    every period (``band=0``) the unhedged-delta term is zero; to second order
    :math:`\\gamma_t \\approx \\tfrac12\\Gamma S^2 (\\Delta S/S)^2` and, in Black-Scholes
    without rates, :math:`\\theta_t \\approx -\\tfrac12\\Gamma S^2\\sigma^2\\,dt`: a short
    option earns theta and pays gamma, and the two cancel on average when the
    realised volatility equals the implied one.
    """
    from riskkit.calendar import resolve_periods_per_year
    from riskkit.hedging import _bs, _rehedge, book_greeks
    from riskkit.rebalancing import Costs

    costs = costs or Costs()
    frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
    band = check_real("band", band, low=0.0)
    S = frame.to_numpy(dtype=float)
    if len(S) < 3:
        raise InvalidParameterError("prices must hold at least 3 dates of underlying prices.")
    bad = frame.columns[~(np.isfinite(S) & (S > 0)).all(axis=0)]
    if len(bad):
        raise InvalidParameterError(
            f"prices must be positive and finite; not in the path(s) {format_items(bad)}."
        )
    ppy = resolve_periods_per_year(frame, periods_per_year)
    book_greeks(book, float(S[0, 0]), rate=rate)  # validates the book's columns and values
    late = book.index[book["expiry"].to_numpy(dtype=float) <= (len(S) - 1) / ppy]
    if len(late):
        raise InvalidParameterError(
            f"every option must expire after the last price date ({(len(S) - 1) / ppy:.3f} years in); "
            f"not the book rows {format_items(late)}."
        )
    elapsed = (np.arange(len(S)) / ppy)[:, None, None]
    q = book["quantity"].to_numpy(dtype=float)
    call = (book["kind"].to_numpy() == "call")[None, None, :]
    K, T0, vol = (book[c].to_numpy(dtype=float)[None, None, :] for c in ("strike", "expiry", "vol"))

    def greeks(spot: np.ndarray, tau: np.ndarray):
        price, dlt, gam = _bs(spot[:, :, None], K, tau, vol, call, rate, 0.0)
        return price @ q, dlt @ q, gam @ q

    value, delta, gamma = greeks(S, T0 - elapsed)
    pnl, cost, hedge, trades = _rehedge(S, value, delta, band, costs)
    decayed, _, _ = greeks(S[:-1], T0 - elapsed[1:])  # V(S_{t-1}, tau_t)
    dS = np.diff(S, axis=0)
    theta = decayed - value[:-1]
    unhedged = (delta[:-1] + hedge[:-1]) * dS
    gam = pnl - theta - unhedged  # = V(S_t, tau_t) - V(S_{t-1}, tau_t) - delta_{t-1} dS, exactly
    index, cols = frame.index, frame.columns

    def lab(a: np.ndarray, idx=index[1:]) -> pd.DataFrame:
        return pd.DataFrame(a, index=idx, columns=cols)

    total = np.vstack([np.zeros(S.shape[1]), np.cumsum(pnl - cost, axis=0)])
    components = pd.DataFrame(
        {
            "theta": theta.sum(0),
            "gamma": gam.sum(0),
            "unhedged_delta": unhedged.sum(0),
            "costs": -cost.sum(0),
            "total": total[-1],
            "rehedges": trades.astype(float),
        },
        index=cols,
    )
    daily = {
        "theta": lab(theta),
        "gamma": lab(gam),
        "unhedged_delta": lab(unhedged),
        "costs": lab(-cost),
        "hedge": lab(hedge, index),
        "gamma_approx": lab(0.5 * gamma[:-1] * dS**2),
    }
    return DeltaHedge(
        pnl=lab(total, index),
        components=components,
        daily=daily,
        residual_risk=pd.Series(np.std(pnl, axis=0, ddof=1), index=cols, name="residual_risk"),
    )


def delta_hedge_paths(
    *,
    realised_vol: float = 0.6,
    implied_vol: float = 0.6,
    band: float = 0.05,
    cost_bps: float = 10.0,
    days: int = 120,
    expiry: float = 0.5,
    moneyness: float = 1.0,
    quantity: float = -10.0,
    spot: float = 30000.0,
    n_paths: int = 200,
    compare_bands: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5),
    seed: int = 0,
) -> tuple[DeltaHedge, pd.DataFrame]:
    """A short (``quantity < 0``) or long call book delta-hedged on ``n_paths``
    simulated price paths.

    Paths: driftless (in simple returns) Gaussian log returns of annual
    ``realised_vol`` over ``days`` days of 365 a year, from ``spot``
    (:func:`riskkit.simulation.simulate_market` with independent assets). The book:
    ``quantity`` calls struck at ``moneyness * spot``, ``expiry`` years, priced
    and hedged at ``implied_vol``. Hedge trades pay ``cost_bps``.

    Returns
    -------
    hedge : DeltaHedge
        At ``band``.
    tradeoff : DataFrame
        Per band of ``compare_bands`` (and ``band``): the mean re-hedges, mean cost,
        mean residual risk (daily, currency) and the standard deviation of the
        final hedged P&L across paths.
    """
    from riskkit.rebalancing import Costs
    from riskkit.simulation import simulate_market

    rv = check_real("realised_vol", realised_vol, low=0.0, low_open=True)
    iv = check_real("implied_vol", implied_vol, low=0.0, low_open=True)
    days = check_int("days", days, minimum=2)
    n_paths = check_int("n_paths", n_paths, minimum=2)
    spot = check_real("spot", spot, low=0.0, low_open=True)
    sim = simulate_market(
        n_assets=n_paths,
        n_periods=days,
        seed=np.random.default_rng(check_int("seed", seed, minimum=0)),
        annual_vol=[rv] * n_paths,
        market_loading=(0.0, 0.0),
        group_loading=(0.0, 0.0),
        annual_drift=-0.5 * rv * rv,
        dof=1e9,
        crash_probability=0.0,
        garch=(0.0, 0.0),
        names=[f"path {k + 1}" for k in range(n_paths)],
        start_prices=[spot] * n_paths,
    )
    prices = sim.prices.rename_axis(columns="path")
    book = pd.DataFrame(
        {
            "kind": ["call"],
            "strike": [moneyness * spot],
            "expiry": [expiry],
            "vol": [iv],
            "quantity": [quantity],
        }
    )
    costs = Costs(proportional=check_real("cost_bps", cost_bps, low=0.0))
    rows = {}
    result = None
    for b in sorted({*map(float, compare_bands), float(band)}):
        res = delta_hedge(prices, book, band=b, costs=costs)
        rows[b] = {
            "rehedges": res.components["rehedges"].mean(),
            "hedging_cost": -res.components["costs"].mean(),
            "residual_risk": res.residual_risk.mean(),
            "final_pnl_std": res.components["total"].std(ddof=1),
        }
        if b == float(band):
            result = res
    tradeoff = pd.DataFrame.from_dict(rows, orient="index").rename_axis("band")
    return result, tradeoff
