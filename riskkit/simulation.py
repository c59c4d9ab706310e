"""A seeded market simulator whose true covariance is known.

May import: riskkit._core, riskkit.exceptions.

Contents
--------
simulate_market   prices of many assets from a regime-switching, fat-tailed,
                  volatility-clustering factor model, with the truth attached
simulate_simple_market  the clean set-up of the rebalancing experiments: one volatility, one
                  pairwise correlation, drifts spread evenly, no crashes, no clustering
SimulatedMarket   the result: prices, returns, true covariance, regimes, ...

The model, for log returns :math:`r_t` of :math:`N` assets, period :math:`t`:

.. math::

    r_t = \\mu_{s_t} + \\sqrt{h_t}\\, m_{s_t}\\, D\\, u_t, \\qquad
    u_t = \\sqrt{\\tfrac{\\nu - 2}{\\nu\\, w_t}}\\; L_{s_t} \\varepsilon_t

* :math:`s_t \\in \\{\\text{calm}, \\text{crash}\\}` is a two-state Markov chain
  started from its stationary law (enter a crash with probability
  ``crash_probability`` per period, leave after ``crash_duration`` periods on
  average).
* :math:`\\varepsilon_t \\sim N(0, I)` and :math:`w_t \\sim \\chi^2_\\nu / \\nu`
  shared by all assets: :math:`u_t` is multivariate Student-t with
  correlation :math:`C_s = L_s L_s^\\top` and unit variances, so crashes hit
  every asset at once (tail dependence).
* :math:`C_\\text{calm} = B B^\\top + \\operatorname{diag}(1 - \\operatorname{diag} BB^\\top)`
  from a market factor and one factor per group;
  :math:`C_\\text{crash} = (1 - \\lambda) C_\\text{calm} + \\lambda \\mathbf{1}\\mathbf{1}^\\top`:
  correlations jump towards one.
* :math:`D = \\operatorname{diag}(\\sigma)` per-period volatilities;
  :math:`m_\\text{crash}` multiplies them in a crash.
* :math:`h_t = (1 - \\alpha - \\beta) + \\alpha h_{t-1} g_{t-1}^2 + \\beta h_{t-1}`,
  :math:`h_0 = 1`, a GARCH(1,1) variance multiplier driven by the
  unit-variance equal-weight shock
  :math:`g_t = \\mathbf{1}^\\top u_t / \\sqrt{\\mathbf{1}^\\top C_{s_t} \\mathbf{1}}`,
  so :math:`E[h_t] = 1` for every :math:`t`.

Because :math:`h_t`, :math:`s_t` and :math:`u_t` are independent at each
:math:`t`, the true (unconditional, one-period) covariance of the log returns
is

.. math::

    \\Sigma = \\sum_s \\pi_s m_s^2 D C_s D + \\sum_s \\pi_s (\\mu_s - \\bar\\mu)(\\mu_s - \\bar\\mu)^\\top .

(:math:`\\mu_s` is a vector: the calm drift may differ by asset.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.matrices import cov_to_corr
from riskkit._core.result import Result
from riskkit._core.validation import check_choice, check_int, check_real
from riskkit.exceptions import InvalidParameterError

__all__ = ["SimulatedMarket", "simulate_market", "simulate_simple_market"]


@dataclass(frozen=True, repr=False)
class SimulatedMarket(Result):
    """Simulated prices with the truth that generated them.

    Attributes
    ----------
    prices : DataFrame of shape (n_periods + 1, n_assets)
    returns : DataFrame of shape (n_periods, n_assets)
        Log returns (``log(prices).diff()``, exact, before any rounding).
    true_covariance : DataFrame of shape (n_assets, n_assets)
        Unconditional one-period covariance of the log returns.
    true_correlation : DataFrame of shape (n_assets, n_assets)
    regime_covariance : dict of str to DataFrame
        Conditional covariance in each regime (``"calm"``, ``"crash"``) at
        :math:`h_t = 1`.
    regimes : Series of shape (n_periods,)
        ``"calm"`` or ``"crash"`` per period.
    variance_multiplier : Series of shape (n_periods,)
        The GARCH multiplier :math:`h_t`.
    groups : Series
        Asset -> group.
    stationary_crash_probability : float
    periods_per_year : int
    seed : int
    """

    prices: pd.DataFrame
    returns: pd.DataFrame
    true_covariance: pd.DataFrame
    true_correlation: pd.DataFrame
    regime_covariance: dict = field(repr=False)
    regimes: pd.Series = field(repr=False)
    variance_multiplier: pd.Series = field(repr=False)
    groups: pd.Series = field(repr=False)
    stationary_crash_probability: float = 0.0
    periods_per_year: int = 365
    seed: int = 0

    def summary(self) -> pd.DataFrame:
        """Per asset: group, true annualised volatility, realised annualised
        volatility, and realised volatility in calm and crash periods; ``units``
        is "annual" (annualised with ``periods_per_year``)."""
        ppy = self.periods_per_year
        crash = (self.regimes == "crash").to_numpy()
        r = self.returns
        out = pd.DataFrame(
            {
                "group": self.groups,
                "true_vol": np.sqrt(np.diag(self.true_covariance.to_numpy()) * ppy),
                "realised_vol": r.std(ddof=1).to_numpy() * np.sqrt(ppy),
                "calm_vol": r.loc[~crash].std(ddof=1).to_numpy() * np.sqrt(ppy),
                "crash_vol": r.loc[crash].std(ddof=1).to_numpy() * np.sqrt(ppy)
                if crash.sum() > 1
                else np.nan,
                "units": "annual",
            },
            index=r.columns,
        )
        out.index.name = "asset"
        return out


def simulate_market(
    *,
    n_assets: int = 12,
    n_periods: int = 2190,
    seed: int | np.random.Generator = 0,
    calendar: Literal["7d", "business"] = "7d",
    start: str = "2019-01-01",
    names: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    n_groups: int = 4,
    annual_vol: tuple[float, float] | Sequence[float] = (0.4, 1.2),  # a tuple is a range
    market_loading: tuple[float, float] = (0.55, 0.8),
    group_loading: tuple[float, float] = (0.25, 0.45),
    annual_drift: float | Sequence[float] = 0.35,
    dof: float = 5.0,
    garch: tuple[float, float] = (0.06, 0.90),
    crash_probability: float = 0.004,
    crash_duration: float = 20.0,
    crash_vol_multiplier: float = 2.0,
    crash_correlation: float = 0.5,
    crash_annual_drift: float = -3.0,
    start_prices: Sequence[float] | None = None,
) -> SimulatedMarket:
    """Simulate prices with a known true covariance (see the module docstring).

    Crypto-like by default: a 7-day calendar (365 periods a year), annual
    volatilities between 40% and 120%, Student-t(5) shocks, volatility
    clustering, and crashes in which correlations and volatilities jump.

    Parameters
    ----------
    n_assets, n_periods : int
        Number of assets and of returns (prices have one more row).
    seed : int or numpy.random.Generator
        The only source of randomness.
    calendar : {"7d", "business"}
        Daily dates every day (365 a year) or on weekdays (252 a year).
    names, groups : sequence of str, optional
        Asset names (default ``A01``, ``A02``, ...) and their groups (default
        ``n_groups`` groups assigned in turn).
    annual_vol : tuple (low, high), or list / array of length n_assets
        Annualised calm-regime volatilities: a tuple is a range to draw from
        uniformly; a list or array gives them.
    market_loading, group_loading : (low, high)
        Ranges of the loadings on the market and group factors.
    annual_drift : float or sequence of length n_assets
        Annualised calm-regime log drift, common or per asset (trends).
    crash_annual_drift : float
        Annualised log drift in calm and crash periods.
    dof : float
        Degrees of freedom of the Student-t shocks (> 4: finite kurtosis).
    garch : (alpha, beta)
        GARCH(1,1) parameters of the variance multiplier, alpha + beta < 1.
    crash_probability : float
        Probability of entering a crash in a calm period.
    crash_duration : float
        Mean crash length in periods (exit probability 1 / crash_duration).
    crash_vol_multiplier : float
        Volatility multiplier in a crash.
    crash_correlation : float
        Blend of the calm correlation toward all ones in a crash, in [0, 1].
    start_prices : sequence of float, optional
        First prices (default 100).

    Returns
    -------
    SimulatedMarket
    """
    n = check_int("n_assets", n_assets, minimum=1)
    t_len = check_int("n_periods", n_periods, minimum=2)
    check_choice("calendar", calendar, ("7d", "business"))
    names, groups = _names_and_groups(n, names, groups, n_groups)
    m = _market_arrays(
        n=n, t_len=t_len, seed=seed, calendar=calendar, groups=groups, annual_vol=annual_vol,
        market_loading=market_loading, group_loading=group_loading, annual_drift=annual_drift, dof=dof,
        garch=garch, crash_probability=crash_probability, crash_duration=crash_duration,
        crash_vol_multiplier=crash_vol_multiplier, crash_correlation=crash_correlation,
        crash_annual_drift=crash_annual_drift,
    )  # fmt: skip
    log_ret, state, h, ppy = m["log_ret"], m["state"], m["h"], m["ppy"]
    cov_calm, cov_crash, true_cov, pi_crash = m["cov_calm"], m["cov_crash"], m["true_cov"], m["pi_crash"]
    seed_value = -1 if isinstance(seed, np.random.Generator) else int(seed)

    p0 = np.full(n, 100.0) if start_prices is None else np.asarray(start_prices, dtype=float)
    log_p = np.vstack([np.zeros(n), np.cumsum(log_ret, axis=0)]) + np.log(p0)
    freq = "D" if calendar == "7d" else "B"
    dates = pd.date_range(start, periods=t_len + 1, freq=freq, name="date")
    cols = pd.Index(names, name="asset")
    prices = pd.DataFrame(np.exp(log_p), index=dates, columns=cols)
    returns = pd.DataFrame(log_ret, index=dates[1:], columns=cols)

    def lab(m: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(m, index=cols, columns=cols)

    return SimulatedMarket(
        prices=prices,
        returns=returns,
        true_covariance=lab(true_cov),
        true_correlation=lab(cov_to_corr(true_cov)),
        regime_covariance={"calm": lab(cov_calm), "crash": lab(cov_crash)},
        regimes=pd.Series(np.where(state == 1, "crash", "calm"), index=dates[1:], name="regime"),
        variance_multiplier=pd.Series(h, index=dates[1:], name="h"),
        groups=pd.Series(groups, index=cols, name="group"),
        stationary_crash_probability=float(pi_crash),
        periods_per_year=ppy,
        seed=seed_value,
    )


def _market_arrays(
    *, n, t_len, seed, calendar, groups, annual_vol, market_loading, group_loading, annual_drift, dof, garch,
    crash_probability, crash_duration, crash_vol_multiplier, crash_correlation, crash_annual_drift,
) -> dict:  # fmt: skip
    """:func:`simulate_market`'s draws and truth as arrays, before any labelled frame: the log
    returns (periods, assets), regimes, variance multiplier, regime and true covariances, the
    stationary crash probability and the calendar. The same numbers for the same arguments."""
    nu, alpha, beta, p_in, dur, lam, mult = _check_dynamics(
        dof, garch, crash_probability, crash_duration, crash_correlation, crash_vol_multiplier
    )
    rng = (
        seed
        if isinstance(seed, np.random.Generator)
        else np.random.default_rng(check_int("seed", seed, minimum=0))
    )
    ppy = 365 if calendar == "7d" else 252

    # static structure (drawn first so it does not depend on n_periods), then the dynamics
    corr_calm, corr_crash, sigma = _structure(
        rng, n, ppy, groups, annual_vol, market_loading, group_loading, lam
    )
    cov_calm = corr_calm * np.outer(sigma, sigma)
    cov_crash = corr_crash * np.outer(sigma, sigma) * mult**2
    calm_mu = np.broadcast_to(np.asarray(annual_drift, dtype=float), (n,))
    mu = np.vstack([calm_mu, np.full(n, float(crash_annual_drift))]) / ppy  # (regime, asset)
    p_out = 1.0 / dur
    pi_crash = p_in / (p_in + p_out) if p_in + p_out > 0 else 0.0
    true_cov = _true_covariance(pi_crash, cov_calm, cov_crash, mu)

    state = _regimes(rng, t_len, p_in, p_out, pi_crash)
    shocks = _shocks(rng, state, corr_calm, corr_crash, nu)
    h = _variance_multiplier(shocks, state, corr_calm, corr_crash, alpha, beta)
    scale = np.sqrt(h) * np.where(state == 1, mult, 1.0)
    log_ret = mu[state] + scale[:, None] * shocks * sigma[None, :]

    return {"log_ret": log_ret, "state": state, "h": h, "ppy": ppy, "cov_calm": cov_calm,
            "cov_crash": cov_crash, "true_cov": true_cov, "pi_crash": pi_crash}  # fmt: skip


def _check_dynamics(dof, garch, crash_probability, crash_duration, crash_correlation, crash_vol_multiplier):
    """The checked dynamics of :func:`simulate_market`: (nu, alpha, beta, p_in, duration, lambda,
    multiplier), each argument named in the error."""
    nu = check_real("dof", dof, low=2.0, low_open=True)
    alpha, beta = (
        check_real("garch[0]", garch[0], low=0.0),
        check_real("garch[1]", garch[1], low=0.0),
    )
    if alpha + beta >= 1:
        raise InvalidParameterError(
            f"garch alpha + beta must be < 1 for a stationary variance, got {alpha + beta}."
        )
    p_in = check_real("crash_probability", crash_probability, low=0.0, high=1.0)
    dur = check_real("crash_duration", crash_duration, low=1.0)
    lam = check_real("crash_correlation", crash_correlation, low=0.0, high=1.0)
    mult = check_real("crash_vol_multiplier", crash_vol_multiplier, low=0.0, low_open=True)
    return nu, alpha, beta, p_in, dur, lam, mult


def _names_and_groups(n, names, groups, n_groups) -> tuple[list, list]:
    """Asset names (default ``A01``, ...) and groups (default ``n_groups`` in turn), n of each."""
    names = [f"A{i + 1:02d}" for i in range(n)] if names is None else list(names)
    if groups is None:
        groups = [f"G{i % n_groups + 1}" for i in range(n)]
    groups = list(groups)
    if len(names) != n or len(groups) != n or len(set(names)) != n:
        raise InvalidParameterError(
            f"names and groups must be {n} entries with unique names; got {len(names)} names "
            f"({len(set(names))} unique) and {len(groups)} groups."
        )
    return names, groups


def _structure(rng, n, ppy, groups, annual_vol, market_loading, group_loading, lam):
    """The static structure, drawn from ``rng`` in this order (volatilities when a range, market
    loadings, group loadings): (calm correlation, crash correlation, per-period volatilities)."""
    if isinstance(annual_vol, tuple) and len(annual_vol) == 2:
        vol = rng.uniform(annual_vol[0], annual_vol[1], n)
    else:
        vol = np.asarray(annual_vol, dtype=float)
        if vol.shape != (n,) or (vol <= 0).any():
            raise InvalidParameterError(f"annual_vol must be (low, high) or {n} positive values.")
    b_mkt = rng.uniform(*market_loading, n)
    b_grp = rng.uniform(*group_loading, n)
    labels, codes = np.unique(groups, return_inverse=True)
    loadings = np.zeros((n, 1 + len(labels)))
    loadings[:, 0] = b_mkt
    loadings[np.arange(n), 1 + codes] = b_grp
    common = np.einsum("ij,ij->i", loadings, loadings)
    if (common >= 1).any():
        raise InvalidParameterError("market_loading^2 + group_loading^2 must stay below 1 for every asset.")
    corr_calm = loadings @ loadings.T
    np.fill_diagonal(corr_calm, 1.0)
    corr_crash = (1 - lam) * corr_calm + lam * np.ones((n, n))
    return corr_calm, corr_crash, vol / np.sqrt(ppy)


def _true_covariance(pi_crash, cov_calm, cov_crash, mu) -> np.ndarray:
    """The unconditional one-period covariance: the regimes' covariances weighted by their
    stationary probabilities, plus the spread of the regimes' drifts ``mu`` (regime, asset)."""
    pis = np.array([1 - pi_crash, pi_crash])
    mu_bar = pis @ mu
    shift = sum(pis[s] * np.outer(mu[s] - mu_bar, mu[s] - mu_bar) for s in (0, 1))
    return pis[0] * cov_calm + pis[1] * cov_crash + shift


def _regimes(rng, t_len, p_in, p_out, pi_crash) -> np.ndarray:
    """The regime path (0 calm, 1 crash), a Markov chain started from its stationary law."""
    state = np.empty(t_len, dtype=np.int8)
    u = rng.random(t_len)
    s = int(rng.random() < pi_crash)
    if p_in == 0 and s == 0:  # no crash ever starts: the loop below would give all calm
        state[:] = 0
        return state
    for t in range(t_len):
        state[t] = s
        s = int(u[t] < p_in) if s == 0 else int(u[t] >= p_out)
    return state


def _shocks(rng, state, corr_calm, corr_crash, nu) -> np.ndarray:
    """Unit-variance multivariate Student-t shocks, correlated as the regime of each period."""
    eps = rng.standard_normal((len(state), corr_calm.shape[0]))
    w = rng.chisquare(nu, len(state)) / nu
    shocks = np.empty_like(eps)
    for k, corr in enumerate((corr_calm, corr_crash)):
        rows = state == k
        if not rows.any():  # a regime the path never visits needs no factor
            continue
        every = rows.all()  # one regime throughout (no crashes): no masked copies
        if np.array_equal(corr, np.eye(len(corr))):  # independent assets: the factor is I, exactly
            shocks[rows] = eps[rows]
        elif every:
            shocks = eps @ _psd_factor(corr).T
        else:
            shocks[rows] = eps[rows] @ _psd_factor(corr).T
    shocks *= np.sqrt((nu - 2) / (nu * w))[:, None]
    return shocks


def _variance_multiplier(shocks, state, corr_calm, corr_crash, alpha, beta) -> np.ndarray:
    """The GARCH(1,1) multiplier h_t (h_0 = 1) driven by the unit-variance equal-weight shock."""
    if alpha == 0 and beta == 0:  # no clustering: the recursion below gives h = 1 on every period
        return np.ones(len(state))
    ew_sd = np.sqrt(np.array([corr_calm.sum(), corr_crash.sum()]))
    g2 = (shocks.sum(axis=1) / ew_sd[state]) ** 2
    h = np.empty(len(state))
    h_prev, g_prev = 1.0, 1.0
    omega = 1 - alpha - beta
    for t in range(len(state)):
        h[t] = 1.0 if t == 0 else omega + alpha * h_prev * g_prev + beta * h_prev
        h_prev, g_prev = h[t], g2[t]
    return h


def simulate_simple_market(
    *,
    n_assets: int,
    n_periods: int,
    volatility: float,
    correlation: float,
    dispersion: float = 0.0,
    seed: int | np.random.Generator = 0,
) -> SimulatedMarket:
    """A clean market for rebalancing experiments: :func:`simulate_market` on a 7-day
    calendar with every asset at annual ``volatility``, one pairwise ``correlation``
    (a market factor loading :math:`\\sqrt{\\rho}`, no group factors), annual log drifts
    spread evenly over ``[-dispersion/2, +dispersion/2]`` (a trend: one asset keeps
    beating another), and no crashes or volatility clustering, so the rebalancing
    effect is clean. The one set-up of :func:`riskkit.evaluation.rebalancing_experiment`
    and :func:`riskkit.explorers.rebalancing_paths`.

    >>> m = simulate_simple_market(n_assets=2, n_periods=10, volatility=0.5, correlation=0.25)
    >>> round(float(m.true_correlation.iloc[0, 1]), 12), m.periods_per_year
    (0.25, 365)
    """
    n = check_int("n_assets", n_assets, minimum=1)
    return simulate_market(
        n_assets=n, n_periods=n_periods, seed=seed, **_simple_settings(n, volatility, correlation, dispersion)
    )


def _simple_settings(n: int, volatility: float, correlation: float, dispersion: float) -> dict:
    """:func:`simulate_simple_market`'s arguments of :func:`simulate_market`."""
    load = float(np.sqrt(max(float(correlation), 0.0)))
    return {
        "annual_vol": [volatility] * n,
        "market_loading": (load, load),
        "group_loading": (0.0, 0.0),
        "annual_drift": list(np.linspace(-dispersion / 2, dispersion / 2, n)),
        "crash_probability": 0.0,
        "garch": (0.0, 0.0),
    }


def _simple_log_returns(
    *, n_assets: int, n_periods: int, volatility: float, correlation: float, dispersion: float, seed
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`simulate_simple_market`'s log returns (periods, assets) and true covariance (one
    period's) as arrays: the same numbers for the same seed, without building its frames (a
    hundredth of the time on 4 assets: what an explorer simulating 100 markets a move needs)."""
    n = check_int("n_assets", n_assets, minimum=1)
    kw = simulate_market.__kwdefaults__ | _simple_settings(n, volatility, correlation, dispersion)
    _, groups = _names_and_groups(n, None, None, kw["n_groups"])
    for k in ("n_assets", "n_periods", "seed", "start", "names", "groups", "n_groups", "start_prices"):
        kw.pop(k)
    t_len = check_int("n_periods", n_periods, minimum=2)
    m = _market_arrays(n=n, t_len=t_len, seed=seed, groups=groups, **kw)
    return m["log_ret"], m["true_cov"]


def _psd_factor(corr: np.ndarray) -> np.ndarray:
    """A factor L with L L' = corr: Cholesky's when corr is positive definite (the bundled data
    depend on it), else the symmetric square root (crash_correlation=1: one common shock)."""
    try:
        return np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        ev, vec = np.linalg.eigh(corr)
        return (vec * np.sqrt(np.clip(ev, 0.0, None))) @ vec.T
