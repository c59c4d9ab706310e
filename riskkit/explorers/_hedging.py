"""The delta-hedging explorer's experiment (see :mod:`riskkit.explorers`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import check_int, check_positive_prices, check_real, format_items
from riskkit._core.vocabulary import renamed
from riskkit.exceptions import InvalidParameterError
from riskkit.explorers._common import _describe
from riskkit.rebalancing.costs import bps_alias


@dataclass(frozen=True, eq=False, repr=False)
class DeltaHedge(Result):
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
    periods_per_year : float
        The prices' calendar (the options age by 1 / periods_per_year a period); the
        residual risk is one period's on it, not annualised.
    """

    pnl: pd.DataFrame
    components: pd.DataFrame
    daily: dict = field(repr=False)
    residual_risk: pd.Series = field(repr=False)
    periods_per_year: float | None = None

    def summary(self) -> pd.DataFrame:
        """Mean, standard deviation and 5/50/95% quantiles over paths of the components
        and the residual risk, in currency.

        ``units`` per row: "per path" for the components and ``rehedges`` (totals over
        each path's dates: they grow with the hedge's horizon and are not annualised);
        "per period" for ``residual_risk`` (one period's standard deviation).
        """
        out = _describe(self.components.assign(residual_risk=self.residual_risk))
        out["units"] = ["per period" if row == "residual_risk" else "per path" for row in out.index]
        return out


def delta_hedge(
    book: pd.DataFrame,
    prices: pd.DataFrame | pd.Series,
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

    Expiries age by ``1 / periods_per_year`` a period: given, or read off the prices'
    dates (:class:`riskkit.exceptions.CalendarError` on prices without dates and
    without it).
    """
    from riskkit.rebalancing.costs import Costs

    frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
    band = check_real("band", band, low=0.0)
    return _hedge(_book_along(book, frame, periods_per_year, rate), band, costs or Costs())


def _book_along(book: pd.DataFrame, frame: pd.DataFrame, periods_per_year, rate: float) -> tuple:
    """What every band's hedge of ``book`` along ``frame`` shares: the checked prices ``S``, the
    book's value, delta and gamma on every date and path, its value one period older at the
    previous close (:math:`V(S_{t-1}, \\tau_t)`), the calendar and the frame (dates, paths)."""
    from riskkit.hedging import _bs, _option_calendar, book_greeks

    S = frame.to_numpy(dtype=float)
    if len(S) < 3:
        raise InvalidParameterError("prices must hold at least 3 dates of underlying prices.")
    check_positive_prices("prices", frame)
    ppy = _option_calendar(frame, periods_per_year)
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
    decayed, _, _ = greeks(S[:-1], T0 - elapsed[1:])  # V(S_{t-1}, tau_t)
    return S, value, delta, gamma, decayed, ppy, frame


def _hedge(along: tuple, band: float, costs) -> DeltaHedge:
    """The hedge at ``band`` of a book already valued along its paths (:func:`_book_along`)."""
    from riskkit.hedging import _rehedge

    S, value, delta, gamma, decayed, ppy, frame = along
    pnl, cost, hedge, trades = _rehedge(S, value, delta, band, costs)
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
        periods_per_year=ppy,
    )


def price_paths(
    *, realised_vol: float = 0.6, days: int = 120, spot: float = 30000.0, n_paths: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Simulated prices of one underlying, ``days + 1`` dates x ``n_paths`` paths: driftless (in
    simple returns) Gaussian log returns of annual ``realised_vol`` on a daily calendar of 365
    days, from ``spot`` (:func:`riskkit.simulation.simulate_market` with independent assets), the
    paths :func:`delta_hedge_paths` hedges along."""
    from riskkit.simulation import simulate_market

    rv = check_real("realised_vol", realised_vol, low=0.0, low_open=True)
    n_paths = check_int("n_paths", n_paths, minimum=2)
    sim = simulate_market(
        n_assets=n_paths,
        n_periods=check_int("days", days, minimum=2),
        seed=np.random.default_rng(check_int("seed", seed, minimum=0)),
        annual_vol=[rv] * n_paths,
        market_loading=(0.0, 0.0),
        group_loading=(0.0, 0.0),
        annual_drift=-0.5 * rv * rv,
        dof=1e9,
        crash_probability=0.0,
        garch=(0.0, 0.0),
        names=[f"path {k + 1}" for k in range(n_paths)],
        start_prices=[check_real("spot", spot, low=0.0, low_open=True)] * n_paths,
    )
    return sim.prices.rename_axis(columns="path")


@functools.lru_cache(maxsize=4)
def _paths_book(
    rv: float,
    iv: float,
    days: int,
    expiry: float,
    moneyness: float,
    quantity: float,
    spot: float,
    n_paths: int,
    seed: int,
) -> tuple:
    """The simulated paths of :func:`delta_hedge_paths` and its book valued along them
    (:func:`_book_along`, arrays read only). Cached: a move of the band or cost slider
    re-runs only the hedges."""
    prices = price_paths(realised_vol=rv, days=days, spot=spot, n_paths=n_paths, seed=seed)
    book = pd.DataFrame(
        {"kind": ["call"], "strike": [moneyness * spot], "expiry": [expiry], "vol": [iv]}
    ).assign(quantity=[quantity])
    along = _book_along(book, prices, None, 0.0)
    for a in along[:5]:
        a.flags.writeable = False
    return along


def _row(res: DeltaHedge) -> dict:
    return {
        "rehedges": res.components["rehedges"].mean(),
        "hedging_cost": -res.components["costs"].mean(),
        "residual_risk": res.residual_risk.mean(),
        "final_pnl_std": res.components["total"].std(ddof=1),
        "units": "per period",
    }


@functools.lru_cache(maxsize=64)
def _tradeoff_row(key: tuple, band: float) -> dict:
    """One compared band's row of :func:`delta_hedge_paths`' tradeoff, for the paths, book and
    cost of ``key``. Cached: a band move hedges only the new band (the row is read, not changed)."""
    from riskkit.rebalancing.costs import Costs

    *book, proportional = key
    return _row(_hedge(_paths_book(*book), band, Costs(proportional=proportional)))


@bps_alias
@renamed(cost_bps="proportional")
def delta_hedge_paths(
    *,
    realised_vol: float = 0.6,
    implied_vol: float = 0.6,
    band: float = 0.05,
    proportional: float = 0.001,
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
    and hedged at ``implied_vol``. Hedge trades pay ``proportional``, a fraction of
    the traded notional (0.001 = 10 bp; the former ``cost_bps=``, in basis points,
    is accepted until riskkit 0.3 with a FutureWarning and divided by 1e4).

    Returns
    -------
    hedge : DeltaHedge
        At ``band``.
    tradeoff : DataFrame
        Per band of ``compare_bands`` (and ``band``): the mean re-hedges, mean cost,
        mean residual risk (daily, currency) and the standard deviation of the
        final hedged P&L across paths; ``units`` is "per period", as in
        :func:`riskkit.hedging.banded_rehedging` (the residual risk is one day's; the
        re-hedges, the cost and the final P&L are totals over the ``days`` of a path).
    """
    from riskkit.rebalancing.costs import Costs

    rv = check_real("realised_vol", realised_vol, low=0.0, low_open=True)
    iv = check_real("implied_vol", implied_vol, low=0.0, low_open=True)
    days = check_int("days", days, minimum=2)
    n_paths = check_int("n_paths", n_paths, minimum=2)
    spot = check_real("spot", spot, low=0.0, low_open=True)
    along = _paths_book(rv, iv, days, expiry, moneyness, quantity, spot, n_paths, seed)
    costs = Costs(proportional=check_real("proportional", proportional, low=0.0))
    band = check_real("band", band, low=0.0)
    key = (rv, iv, days, expiry, moneyness, quantity, spot, n_paths, seed, costs.proportional)
    result = _hedge(along, float(band), costs)
    rows = {b: _tradeoff_row(key, b) for b in sorted({*map(float, compare_bands)} - {float(band)})}
    rows[float(band)] = _row(result)
    rows = dict(sorted(rows.items()))
    tradeoff = pd.DataFrame.from_dict({b: dict(r) for b, r in rows.items()}, orient="index").rename_axis(
        "band"
    )
    return result, tradeoff
