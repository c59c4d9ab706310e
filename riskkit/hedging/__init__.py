"""Hedge ratios, option greeks, and banded re-hedging.

May import: riskkit._core, riskkit.exceptions, riskkit.data, riskkit.rebalancing.

Inside: ``greeks`` (public: price and full Greeks, Black-Scholes, Black-76, coin-settled),
``margin`` (public: books of spot, futures, perpetuals and options on margin; liquidation
distance), ``stress`` (public: spot x volatility stress grid, SPAN default), ``bands``
(public: the Whalley-Wilmott cost-aware band and its comparison with fixed bands).

Contents
--------
hedge_ratio           minimum-variance hedge ratio by OLS (statsmodels) with a confidence interval
rolling_hedge_ratio   the same on moving windows, or exponentially weighted
hedge_effectiveness   variance reduction of the hedged position
black_scholes         price, delta and gamma of calls and puts (vectorised)
book_greeks           delta and gamma of a book of options, and the hedge in the underlying
hedge_status          today, per underlying: book delta, hedge held, net delta, and whether
                      it is outside its band (re-hedge) with the trade that restores neutrality
outside_band          the one delta-band rule: |delta + hedge| > band |delta|, today's delta
banded_rehedging      delta-hedge an option book, re-hedging only when net delta leaves a band;
                      cost of hedging vs residual risk, with the rebalancing cost models
banded_ratio_rehedging  a spot position hedged with another instrument, re-hedged only when the
                      estimated hedge ratio leaves a band around the one held

Hedge ratio: regress spot returns on hedge-instrument returns,
:math:`r_s = a + h\\, r_f + e`; :math:`h = \\operatorname{Cov}(r_s, r_f) / \\operatorname{Var}(r_f)`
minimises the variance of :math:`r_s - h r_f`, and the variance reduction equals the
regression's :math:`R^2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import check_int, check_positive_prices, check_real, format_items
from riskkit.exceptions import InvalidParameterError
from riskkit.hedging.greeks import _checked, _greeks
from riskkit.rebalancing.costs import Costs

__all__ = [
    "HedgeRatio",
    "banded_ratio_rehedging",
    "banded_rehedging",
    "black_scholes",
    "book_greeks",
    "hedge_effectiveness",
    "hedge_ratio",
    "hedge_status",
    "outside_band",
    "rolling_hedge_ratio",
]


@dataclass(frozen=True, repr=False)
class HedgeRatio(Result):
    """OLS hedge ratio: ``ratio`` with ``std_error`` and the confidence interval
    ``ci_low`` to ``ci_high`` at ``level``; ``effectiveness`` is the in-sample
    variance reduction (R^2). ``summary()`` is one row; the repr is one line."""

    ratio: float
    std_error: float
    ci_low: float
    ci_high: float
    level: float
    effectiveness: float
    n_observations: int

    def _headline(self) -> str:
        return (
            f"ratio {self.ratio:.4f} ({self.level:.0%} CI {self.ci_low:.4f} to {self.ci_high:.4f}), "
            f"effectiveness {self.effectiveness:.1%}, {self.n_observations} observations"
        )

    def summary(self) -> pd.DataFrame:
        """One row: ratio, standard error, interval, effectiveness, observations."""
        return pd.DataFrame(
            [{"ratio": self.ratio, "std_error": self.std_error, "ci_low": self.ci_low,
              "ci_high": self.ci_high, "effectiveness": self.effectiveness,
              "observations": self.n_observations}],
            index=["hedge"],
        )  # fmt: skip


def _pair(spot: pd.Series, hedge: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    for name, s in (("spot", spot), ("hedge", hedge)):
        if not isinstance(s, pd.Series):
            raise InvalidParameterError(f"{name} must be a Series of returns, got {type(s).__name__}.")
    if not spot.index.equals(hedge.index):
        missing = spot.index.difference(hedge.index)
        extra = hedge.index.difference(spot.index)
        raise InvalidParameterError(
            "spot and hedge must have the same dates; "
            f"hedge misses {format_items(missing) or 'none'}; "
            f"hedge has extra {format_items(extra) or 'none'}."
        )
    x, y = hedge.to_numpy(dtype=float), spot.to_numpy(dtype=float)
    bad = spot.index[~(np.isfinite(x) & np.isfinite(y))]
    if len(bad):
        raise InvalidParameterError(f"spot or hedge returns are missing or infinite on {format_items(bad)}.")
    return y, x, spot.index


def hedge_ratio(spot: pd.Series, hedge: pd.Series, /, *, level: float = 0.95) -> HedgeRatio:
    """Minimum-variance hedge ratio of ``spot`` against ``hedge`` returns (OLS, statsmodels)."""
    import statsmodels.api as sm

    level = check_real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    y, x, _ = _pair(spot, hedge)
    if len(y) < 3:
        raise InvalidParameterError(f"a hedge ratio needs at least 3 observations, got {len(y)}.")
    if np.ptp(x) == 0:
        raise InvalidParameterError(
            f"hedge returns are constant ({x[0]:g} on every date): nothing to hedge with, "
            "the ratio is undefined."
        )
    # centred first: the same slope, standard error and R^2, without the cancellation a nearly
    # constant hedge return causes in the uncentred design (its slope was off by 1e-6 relative)
    fit = sm.OLS(y - y.mean(), sm.add_constant(x - x.mean(), has_constant="add")).fit()
    lo, hi = fit.conf_int(alpha=1.0 - level)[1]
    return HedgeRatio(
        float(fit.params[1]), float(fit.bse[1]), float(lo), float(hi), level, float(fit.rsquared), len(y)
    )


def rolling_hedge_ratio(
    spot: pd.Series,
    hedge: pd.Series,
    /,
    *,
    window: int | None = None,
    halflife: float | None = None,
) -> pd.Series:
    """Hedge ratio through time: on moving windows of ``window`` returns, or
    exponentially weighted with ``halflife`` (one of them). Dated by the last
    observation used.

    Each window is centred on its own means before the cross-products
    (:math:`\\sum (x - \\bar x_w)(y - \\bar y_w) / \\sum (x - \\bar x_w)^2`), as
    :func:`hedge_ratio` is on one window: running sums (pandas' rolling covariance)
    lose the ratio to cancellation when the means are large against the spread.
    The exponentially weighted ratio is pandas' ``ewm`` covariance over variance (their bias
    corrections cancel): weights :math:`\\lambda^{t-i}`, :math:`\\lambda = 2^{-1/\\text{halflife}}`,
    over every observation up to :math:`t`, each moment centred on the weighted means at
    :math:`t`, which pandas updates online (deviations from the running means, not raw sums), so
    it has no cancellation of its own: it equals that formula written out to about 1e-13 when the
    means are 1e3 times the spread (an exact rational evaluation and West's 1979 updates agree
    with it to within the same rounding)."""
    if (window is None) == (halflife is None):
        raise InvalidParameterError("rolling_hedge_ratio needs exactly one of window= or halflife=.")
    y, x, index = _pair(spot, hedge)
    frame = pd.DataFrame({"s": y, "f": x}, index=index)
    if window is not None:
        window = check_int("window", window, minimum=3)
        if window > len(index):
            return pd.Series([], index=index[:0], name="hedge_ratio", dtype=float)
        ys = np.lib.stride_tricks.sliding_window_view(y, window)
        xs = np.lib.stride_tricks.sliding_window_view(x, window)
        xc = xs - xs.mean(axis=1, keepdims=True)
        yc = ys - ys.mean(axis=1, keepdims=True)
        ratio = np.einsum("ij,ij->i", xc, yc) / np.einsum("ij,ij->i", xc, xc)
        out = pd.Series(ratio, index=index[window - 1 :], name="hedge_ratio")
        return out[np.isfinite(ratio)]
    else:
        halflife = check_real("halflife", halflife, low=0.0, low_open=True)
        cov = frame["s"].ewm(halflife=halflife).cov(frame["f"])
        var = frame["f"].ewm(halflife=halflife).var()
    return (cov / var).dropna().rename("hedge_ratio")


def hedge_effectiveness(spot: pd.Series, hedge: pd.Series, ratio: float | pd.Series, /) -> float:
    """:math:`1 - \\operatorname{Var}(r_s - h r_f) / \\operatorname{Var}(r_s)`; ``ratio`` may be a
    dated Series (applied to the next period's returns, as a trader would)."""
    y, x, index = _pair(spot, hedge)
    if isinstance(ratio, pd.Series):
        h = ratio.reindex(index).shift(1).to_numpy()
        ok = np.isfinite(h)
        hedged, base = y[ok] - h[ok] * x[ok], y[ok]
    else:
        hedged, base = y - float(ratio) * x, y
    return float(1.0 - np.var(hedged, ddof=1) / np.var(base, ddof=1))


def black_scholes(
    spot: float | np.ndarray,
    strike: float | np.ndarray,
    expiry: float | np.ndarray,
    vol: float | np.ndarray,
    /,
    *,
    kind: Literal["call", "put"] | np.ndarray = "call",
    rate: float = 0.0,
    dividend: float = 0.0,
) -> pd.DataFrame:
    """Black-Scholes price, delta and gamma (per unit of underlying), vectorised.

    ``expiry`` in years and ``vol`` annualised must be positive.
    """
    S, K, T, v, call = _checked(spot, strike, expiry, vol, kind, None)
    price, delta, gamma = _bs(S, K, T, v, call, rate, dividend)
    return pd.DataFrame({"price": price.ravel(), "delta": delta.ravel(), "gamma": gamma.ravel()})


def _bs(S, K, T, v, call, rate: float, dividend: float):
    """Black-Scholes price, delta, gamma on broadcast arrays (validated by the caller): the
    one kernel, :func:`riskkit.hedging.greeks._greeks`."""
    g = _greeks(S, K, T, v, call, rate, rate - dividend)
    return g["price"], g["delta"], g["gamma"]


def book_greeks(book: pd.DataFrame, spot: float, /, *, rate: float = 0.0) -> pd.Series:
    """Net delta and gamma (in units of the underlying) of an option book, and the
    hedge: the position in the underlying that makes the book delta-neutral.

    ``book`` columns: ``kind`` ("call"/"put"), ``strike``, ``expiry`` (years),
    ``vol``, ``quantity`` (options, negative when sold).
    """
    need = {"kind", "strike", "expiry", "vol", "quantity"}
    missing = need - set(book.columns)
    if missing:
        raise InvalidParameterError(f"book is missing columns {format_items(sorted(missing))}.")
    g = black_scholes(
        spot, book["strike"], book["expiry"], book["vol"], kind=book["kind"].to_numpy(), rate=rate
    )
    q = book["quantity"].to_numpy(dtype=float)
    delta = float(q @ g["delta"].to_numpy())
    return pd.Series(
        {"value": float(q @ g["price"].to_numpy()), "delta": delta, "gamma": float(q @ g["gamma"].to_numpy()),
         "hedge_units": -delta}
    )  # fmt: skip


def hedge_status(
    book: pd.DataFrame,
    spots: pd.Series,
    /,
    *,
    hedges: dict | pd.Series | None = None,
    band: float = 0.1,
    rate: float = 0.0,
) -> pd.DataFrame:
    """Today's delta-hedge status of an option book, one row per underlying.

    ``book``: the columns of :func:`book_greeks` plus ``underlying``; ``spots``:
    today's price by underlying; ``hedges``: units of each underlying held as the
    hedge (default none). The net delta is book delta + hedge; the position is
    re-hedged when ``|net delta|`` exceeds ``band`` times the book's absolute
    delta today (:func:`outside_band`, the one rule :func:`banded_rehedging`
    follows on every date), and the trade ``-net delta`` (units) restores
    neutrality.
    """
    band = check_real("band", band, low=0.0)
    if "underlying" not in book.columns:
        raise InvalidParameterError("book needs an 'underlying' column naming each option's underlying.")
    names = pd.Index(pd.unique(book["underlying"]))
    missing = names.difference(spots.index, sort=False)
    if len(missing):
        raise InvalidParameterError(f"spots has no price for the underlying {format_items(missing)}.")
    held = pd.Series(hedges if hedges is not None else {}, dtype=float)
    extra = held.index.difference(names, sort=False)
    if len(extra):
        raise InvalidParameterError(
            f"hedges name underlyings without options in the book: {format_items(extra)}."
        )
    rows = {}
    for u in names:
        g = book_greeks(book[book["underlying"] == u], float(spots[u]), rate=rate)
        h = float(held.get(u, 0.0))
        net = g["delta"] + h
        limit = band * abs(g["delta"])
        outside = bool(outside_band(g["delta"], h, band))
        rows[u] = {
            "spot": float(spots[u]), "book_value": g["value"], "book_delta": g["delta"],
            "book_gamma": g["gamma"], "hedge_units": h, "net_delta": net, "band_units": limit,
            "status": "re-hedge" if outside else "within band", "trade_units": -net if outside else 0.0,
        }  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("underlying")


def banded_rehedging(
    book: pd.DataFrame,
    prices: pd.Series,
    /,
    *,
    bands: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2),
    costs: Costs | None = None,
    periods_per_year: float | None = None,
    rate: float = 0.0,
) -> pd.DataFrame:
    """Delta-hedge an option book along a price path, re-hedging only when the net
    delta leaves a band.

    At each date the book's delta is recomputed (expiries shrink with time); the
    hedge in the underlying is reset to ``-delta`` only when ``|book delta +
    hedge|`` exceeds ``band`` times the book's absolute delta on that date
    (:func:`outside_band`, the rule :func:`hedge_status` applies today; 0 =
    re-hedge every period), or, for a band policy such as
    :class:`riskkit.hedging.bands.WhalleyWilmott`, when the hedge leaves its no-trade band
    around ``-delta`` (half-widths in units that follow the book's gamma), traded back to
    the band's nearest edge. Trades pay ``costs`` (a :class:`riskkit.rebalancing.costs.Costs`:
    bps, fixed per trade, impact relative to the notional of the book's initial
    hedge); a re-hedge whose traded notional is below ``costs.min_trade`` is not
    executed (the hedge held stays, nothing is paid). Expiries age by
    ``1 / periods_per_year`` a period: given, or read off the prices' dates
    (:class:`riskkit.exceptions.CalendarError` on prices without dates and without it).

    Arguments follow the module's order: the book analysed first, then the
    market data (as :func:`book_greeks` and :func:`hedge_status`).

    Returns
    -------
    DataFrame
        Per band: re-hedges, total hedging cost, and the residual risk — the
        standard deviation of the daily hedged P&L (book value change + hedge
        gain) — both in currency; ``units`` is "per period" (the residual risk is
        one period's, not annualised).
    """
    costs = costs or Costs()
    if not isinstance(prices, pd.Series) or len(prices) < 3:
        raise InvalidParameterError("prices must be a Series of at least 3 underlying prices.")
    check_positive_prices("prices", prices)
    ppy = _option_calendar(prices.to_frame(), periods_per_year)
    S = prices.to_numpy(dtype=float)
    elapsed = np.arange(len(S)) / ppy
    q = book["quantity"].to_numpy(dtype=float)
    kinds = book["kind"].to_numpy()
    K, T0, vol = (book[c].to_numpy(dtype=float) for c in ("strike", "expiry", "vol"))
    late = book.index[T0 <= elapsed[-1]]
    if len(late):
        raise InvalidParameterError(
            f"every option must expire after the last price date ({elapsed[-1]:.3f} years in); "
            f"not the book rows {format_items(late)}."
        )
    black_scholes(S[0], K, T0, vol, kind=kinds, rate=rate)  # validates the book once
    # greeks of every option on every date at once: (dates, options)
    price, dlt, gam = _bs(
        S[:, None],
        K[None, :],
        T0[None, :] - elapsed[:, None],
        vol[None, :],
        (kinds == "call")[None, :],
        rate,
        0.0,
    )
    value, delta = price @ q, dlt @ q
    rows = []
    for band in bands:
        label, band = _band_rule(
            band, (gam @ q)[:, None], S[:, None], T0.max() - elapsed[:, None], costs, rate
        )
        pnl, cost, _, trades = _rehedge(S[:, None], value[:, None], delta[:, None], band, costs)
        rows.append(
            {
                "band": label,
                "rehedges": int(trades[0]),
                "hedging_cost": float(cost[:, 0].sum()),
                "residual_risk": float(np.std(pnl[:, 0], ddof=1)),
                "units": "per period",
            }
        )
    return pd.DataFrame(rows).set_index("band")


def _band_rule(band, gamma, S, tau, costs, rate: float):
    """A band of ``bands``: a share of the delta (float), or a policy of
    :mod:`riskkit.hedging.bands` giving half-widths in units on every date and path."""
    if hasattr(band, "half_width"):
        return str(band), band.half_width(gamma, S, proportional=costs.proportional, rate=rate, expiry=tau)
    band = check_real("band", band, low=0.0)
    return band, band


def outside_band(delta, hedge, band: float):
    r"""The one delta-band rule: a hedge of ``hedge`` units against a book delta of
    ``delta`` is re-hedged when the net delta leaves the band,
    :math:`|\Delta + h| > b\,|\Delta|`, with today's delta (a short option's delta
    moves: the band follows the exposure held now, not the one hedged at the start).
    Scalars or arrays; used by :func:`hedge_status` (today), :func:`banded_rehedging`
    and :func:`riskkit.explorers.delta_hedge` (every date).

    >>> bool(outside_band(-8.0, 10.0, 0.2)), bool(outside_band(-8.0, 9.5, 0.2))
    (True, False)
    """
    return np.abs(np.add(delta, hedge)) > band * np.abs(delta)


def _option_calendar(prices: pd.DataFrame, periods_per_year: float | None) -> float:
    """The periods in a year by which options age along ``prices`` (the common rule,
    :func:`riskkit.data.calendar.resolve_periods_per_year`), which an option book cannot do
    without: :class:`riskkit.exceptions.CalendarError` when the prices have no dates and
    ``periods_per_year`` is not given."""
    from riskkit.data.calendar import resolve_periods_per_year
    from riskkit.exceptions import CalendarError

    ppy = resolve_periods_per_year(prices, periods_per_year)
    if ppy is None:
        raise CalendarError(
            "periods_per_year is needed: the options age in years and the prices have no dates "
            f"(index {type(prices.index).__name__}); pass periods_per_year= (365: daily, every day)."
        )
    return ppy


def _rehedge(S: np.ndarray, value: np.ndarray, delta: np.ndarray, band: float, costs):
    """Banded delta hedging of a book along price paths (columns), the one rule
    shared by :func:`banded_rehedging` and :mod:`riskkit.explorers`.

    ``S``, ``value``, ``delta``: (dates, paths) underlying price, book value and
    book delta. The hedge starts at ``-delta[0]`` and is reset to ``-delta[t]``
    after the close of ``t`` when ``|delta[t] + hedge| > band * |delta[t]|``
    (:func:`outside_band`), or, when ``band`` is an array of half-widths in units (dates,
    paths; :mod:`riskkit.hedging.bands`), moved to the nearest edge of
    ``-delta[t] +/- band[t]`` when outside it; and the trade is executed (``costs.executed``: its
    notional is at least ``costs.min_trade``); the trade pays ``costs.of(notional, value=|delta[0]| S[0])``.

    Returns
    -------
    pnl : (dates - 1, paths)
        Book value change plus hedge gain of each period, before costs.
    cost : (dates - 1, paths)
        Cost paid after the close of each period.
    hedge : (dates, paths)
        Units of the underlying held after the close of each date.
    trades : (paths,)
        Number of re-hedges.
    """
    n_dates, n_paths = S.shape
    scale = np.abs(delta[0]) * S[0]
    scale = np.where(scale > 0, scale, 1.0)
    hedge = np.empty((n_dates, n_paths))
    hedge[0] = -delta[0]
    pnl = np.empty((n_dates - 1, n_paths))
    cost = np.zeros((n_dates - 1, n_paths))
    trades = np.zeros(n_paths, dtype=np.int64)
    held = hedge[0].copy()
    absolute = isinstance(band, np.ndarray)  # half-widths in units (dates, paths): trade to the edge
    for t in range(1, n_dates):
        pnl[t - 1] = (value[t] - value[t - 1]) + held * (S[t] - S[t - 1])
        if absolute:
            target = np.clip(held, -delta[t] - band[t], -delta[t] + band[t])
            outside = target != held
        else:
            target, outside = -delta[t], outside_band(delta[t], held, band)
        x = np.abs(target - held) * S[t]
        fire = outside & costs.executed(x)
        if fire.any():
            cost[t - 1, fire] = costs.of(x[fire], value=scale[fire])
            held = np.where(fire, target, held)
            trades += fire
        hedge[t] = held
    return pnl, cost, hedge, trades


def banded_ratio_rehedging(
    spot: pd.Series,
    hedge: pd.Series,
    /,
    *,
    halflife: float = 30.0,
    bands: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2),
    costs: Costs | None = None,
    warmup: int = 30,
) -> pd.DataFrame:
    """Hold one unit of value in ``spot`` hedged with ``hedge``, re-hedging only
    when the EWMA hedge ratio moves more than ``band`` away from the ratio held.

    Returns are simple returns on the same dates. Each day the hedge position
    (``-ratio`` per unit of spot value) earns ``-ratio * hedge return``; after the
    close the ratio is re-estimated (EWMA with ``halflife``, from data up to that
    day) and the position is reset when ``|estimate - held| > band``, paying
    ``costs`` (:class:`riskkit.rebalancing.costs.Costs`, see ``Costs.of``) on the traded
    notional (per unit of spot value); a reset whose traded notional is below
    ``costs.min_trade`` is not executed (the ratio held stays, nothing is paid,
    no re-hedge is counted), the one minimum-trade rule of :class:`riskkit.rebalancing.costs.Costs`.

    Returns
    -------
    DataFrame
        Per band: re-hedges, total cost (per unit of spot value), residual risk
        (standard deviation of the daily hedged return), the variance reduction
        against the unhedged position, and ``units`` ("per period": the residual
        risk is one period's).
    """
    costs = costs or Costs()
    y, x, index = _pair(spot, hedge)
    warmup = check_int("warmup", warmup, minimum=2)
    if len(y) <= warmup + 2:
        raise InvalidParameterError(f"spot needs more than warmup + 2 = {warmup + 2} returns, got {len(y)}.")
    est = rolling_hedge_ratio(spot, hedge, halflife=halflife).reindex(index).to_numpy()
    rows = []
    for band in bands:
        band = check_real("band", band, low=0.0)
        held = est[warmup - 1]
        hedged = []
        paid, trades = 0.0, 0
        for t in range(warmup, len(y)):
            r = y[t] - held * x[t]
            traded = abs(est[t] - held)
            if traded > band and costs.executed(traded):
                c = float(costs.of(traded, value=1.0))
                r -= c
                paid += c
                held = est[t]
                trades += 1
            hedged.append(r)
        h = np.asarray(hedged)
        rows.append(
            {"band": band, "rehedges": trades, "hedging_cost": paid,
             "residual_risk": float(np.std(h, ddof=1)),
             "variance_reduction": float(1.0 - np.var(h, ddof=1) / np.var(y[warmup:], ddof=1)),
             "units": "per period"}
        )  # fmt: skip
    return pd.DataFrame(rows).set_index("band")


# the public topic modules (see "Inside" above), reachable as riskkit.hedging.<module>; bands
# builds on this module's kernels, so it is imported on its own: import riskkit.hedging.bands
import riskkit.hedging.margin  # noqa: E402
import riskkit.hedging.stress  # noqa: E402, F401
