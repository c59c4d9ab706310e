"""Performance and risk statistics of value paths and backtests.

May import: riskkit._core, riskkit.exceptions, riskkit.data.

Contents
--------
performance        CAGR, volatility, Sharpe, Sortino, drawdowns, Calmar, VaR/ES of a value path
drawdowns          the drawdown path and the worst episode (depth, duration, recovery)
backtest_summary   performance plus turnover, costs, tracking error and the rebalancing premium

Annualisation follows the package's one rule
(:func:`riskkit.data.calendar.resolve_periods_per_year`): ``periods_per_year``
as passed, else read off the dates (365 for 24/7 data, 252 for business days),
else none and the figures stay per period; a ``units`` column says which.
Returns are simple period returns of the value path; Sharpe and Sortino use the
arithmetic mean excess return times ``periods_per_year`` over the annualised
(downside) deviation; CAGR is :math:`(V_T / V_0)^{\\text{ppy}/T} - 1`.

Rebalancing premium (per year, in log growth, against buy-and-hold of the starting target):

* ``drift term``: constant-mix target (rebalanced every period, no costs) minus buy-and-hold;
* ``rebalancing term``: the policy before costs minus the constant-mix target (trading only
  on the policy's dates);
* ``cost term``: the log value paid in costs (negative).

The three terms add up to the policy's log growth minus buy-and-hold's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._core.matrices import tail_weights
from riskkit._core.result import Result
from riskkit._core.validation import check_positive_prices, check_real
from riskkit._core.vocabulary import renamed

__all__ = ["Drawdowns", "backtest_summary", "drawdowns", "performance"]


@dataclass(frozen=True, eq=False, repr=False)
class Drawdowns(Result):
    """The drawdown path of a value path and its worst episode.

    Attributes
    ----------
    path : Series
        :math:`V_t / \\max_{s \\le t} V_s - 1` by date (0 at a high-water mark).
    max_drawdown : float
        Depth of the worst episode (negative), 0 for a path that never falls.
    peak : Timestamp
        The last date at the high-water mark before the trough (a mark touched
        again exactly starts a new episode).
    trough : Timestamp
    recovery : Timestamp or None
        First date back at the peak's value; None if not recovered.
    duration : int
        Periods from peak to recovery, or to the end if not recovered; 0
        without a drawdown.
    recovery_periods : int or None
        Trough to recovery; None if not recovered, 0 without a drawdown.
    """

    path: pd.Series
    max_drawdown: float
    peak: pd.Timestamp
    trough: pd.Timestamp
    recovery: pd.Timestamp | None
    duration: int
    recovery_periods: int | None

    def summary(self) -> pd.DataFrame:
        """One row: the worst episode's depth, dates and lengths."""
        names = ("max_drawdown", "peak", "trough", "recovery", "duration", "recovery_periods")
        return pd.DataFrame([{n: getattr(self, n) for n in names}], index=pd.Index(["worst"]))


def drawdowns(values: pd.Series, /) -> Drawdowns:
    """Drawdown path :math:`V_t / \\max_{s \\le t} V_s - 1` and the worst episode.

    Raises
    ------
    DataError
        When ``values`` has missing, infinite, zero or negative values.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.Series([1.0, 2.0, 1.5, 1.0, 2.5], index=pd.date_range("2024-01-01", periods=5))
    >>> dd = drawdowns(v)
    >>> dd.max_drawdown, str(dd.peak.date()), str(dd.trough.date()), str(dd.recovery.date()), dd.duration
    (-0.5, '2024-01-02', '2024-01-04', '2024-01-05', 3)
    """
    return _drawdowns(_check_values("values", values), values.index)


def _drawdowns(v: np.ndarray, index: pd.Index) -> Drawdowns:
    """:func:`drawdowns` of checked values ``v`` dated by ``index``."""
    peak = np.maximum.accumulate(v)
    dd = v / peak - 1.0
    path = pd.Series(dd, index=index, name="drawdown")
    trough = int(np.argmin(dd))
    if dd[trough] == 0.0:  # never below the high-water mark: no episode
        first = index[0]
        return Drawdowns(path, 0.0, first, first, None, 0, 0)
    # the last touch of the high-water mark before the trough (not the first one)
    peak_i = trough - int(np.argmax(v[trough::-1] >= peak[trough]))
    after = np.flatnonzero(v[trough:] >= v[peak_i])
    rec = trough + int(after[0]) if len(after) else None
    return Drawdowns(
        path,
        float(dd[trough]),
        index[peak_i],
        index[trough],
        index[rec] if rec is not None else None,
        (rec if rec is not None else len(v) - 1) - peak_i,
        (rec - trough) if rec is not None else None,
    )


def _check_values(name: str, values) -> np.ndarray:
    """A value path: a non-empty Series of finite positive numbers (the package's
    positive-prices rule, :func:`riskkit._core.validation.check_positive_prices`)."""
    from riskkit.exceptions import EmptyDataError, InvalidTypeError

    if not isinstance(values, pd.Series):
        raise InvalidTypeError(
            f"{name} must be a pandas Series of values by date, got {type(values).__name__}."
        )
    if values.empty:
        raise EmptyDataError(f"{name} is empty.")
    check_positive_prices(name, values, advice="A value path (a value by date) must be finite and positive.")
    return values.to_numpy(dtype=float)


@renamed(alpha="level")
def performance(
    values: pd.Series | pd.DataFrame,
    /,
    *,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Statistics of one value path (Series) or several (DataFrame columns).

    Parameters
    ----------
    values : Series or DataFrame of shape (n_dates,) or (n_dates, n_paths)
        Positive values by date (a portfolio's value), at least two dates.
    periods_per_year : float, optional
        The package's annualisation rule
        (:func:`riskkit.data.calendar.resolve_periods_per_year`): the value
        passed, else the one the dates give, else none: values without dates
        give per-period figures (``cagr`` the growth per period, ``volatility``
        per period, ...), and the ``units`` column says which.
    risk_free : float, default=0.0
        The risk-free rate in the same units: annual (simple, divided by
        ``periods_per_year`` for each period), per period when there is no
        ``periods_per_year``.
    level : float in (0.5, 1), default=0.95
        Tail probability level of the historical VaR and ES of one period's
        return (formerly ``alpha``).

    Returns
    -------
    DataFrame
        One row per path: ``cagr``, ``volatility``, ``sharpe``, ``sortino``,
        ``max_drawdown``, ``drawdown_duration``, ``recovery_periods``,
        ``calmar``, ``VaR {level}``, ``ES {level}`` (positive losses, per
        period, as ``tail_units`` says) and ``units`` (``"annual"`` or ``"per period"``:
        those of the other figures).

    Notes
    -----
    With :math:`r_t` the simple returns of the :math:`n` periods, :math:`p`
    periods a year (1 when per period) and :math:`e_t = r_t - r_f / p`:
    ``cagr`` is :math:`(V_n / V_0)^{p/n} - 1`, ``volatility``
    :math:`s(r) \\sqrt{p}` (ddof 1), ``sharpe`` :math:`p \\bar e` over the
    volatility, ``sortino`` :math:`p \\bar e` over
    :math:`\\sqrt{p \\, \\overline{\\min(e, 0)^2}}`, ``calmar``
    ``cagr / -max_drawdown``. VaR is the :math:`k`-th worst return,
    :math:`k = \\lceil n (1 - \\mathrm{level}) \\rceil` (at least 1), and ES the mean over the
    fractional tail of :math:`m = n(1 - \\mathrm{level})` periods (Acerbi & Tasche 2002): the
    :math:`k - 1` worst with weight :math:`1/m`, the k-th with :math:`(m - (k - 1))/m`, as
    :func:`riskkit.decomposition.tail.tail_risk` does.
    """
    from riskkit.data.calendar import resolve_periods_per_year

    frame = values.to_frame() if isinstance(values, pd.Series) else values
    ppy = resolve_periods_per_year(frame.index, periods_per_year)
    return _performance(frame, ppy, risk_free, level)


def _performance(frame: pd.DataFrame, ppy: float | None, risk_free, level) -> pd.DataFrame:
    """:func:`performance` with ``periods_per_year`` resolved (None: per period)."""
    from riskkit.data.calendar import units

    paths = {col: _check_values(f"values[{col!r}]", frame[col]) for col in frame.columns}  # checked once
    level = check_real("level", level, low=0.5, high=1.0, low_open=True, high_open=True)
    risk_free = check_real("risk_free", risk_free)
    if len(frame) < 2:
        from riskkit.exceptions import EmptyDataError

        raise EmptyDataError(f"values needs at least 2 dates, got {len(frame)}.")
    p = 1.0 if ppy is None else ppy  # per period: one period makes the "year"
    rows = {}
    for col in frame.columns:
        v = paths[col]
        r = v[1:] / v[:-1] - 1.0
        n = len(r)
        cagr = (v[-1] / v[0]) ** (p / n) - 1.0
        excess = r - risk_free / p
        vol = float(np.std(r, ddof=1) * np.sqrt(p)) if n > 1 else np.nan
        downside = float(np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)) * np.sqrt(p))
        dd = _drawdowns(v, frame.index)
        tw = tail_weights(n, level)  # the fractional tail, as tail_risk's
        worst = np.sort(r)[: len(tw)]
        rows[col] = {
            "cagr": float(cagr),
            "volatility": vol,
            "sharpe": float(np.mean(excess) * p / vol) if vol > 0 else np.nan,
            "sortino": float(np.mean(excess) * p / downside) if downside > 0 else np.nan,
            "max_drawdown": dd.max_drawdown,
            "drawdown_duration": dd.duration,
            "recovery_periods": dd.recovery_periods,
            "calmar": float(cagr / -dd.max_drawdown) if dd.max_drawdown < 0 else np.nan,
            f"VaR {level:.0%}": float(-worst[-1]),
            f"ES {level:.0%}": float(-(tw @ worst)),
            "tail_units": "per period",  # VaR and ES: one period's loss, whatever the rest's units
            "units": units(ppy),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def backtest_summary(result, /, *, risk_free: float = 0.0) -> pd.DataFrame:
    """Per configuration: :func:`performance`, rebalances, annual turnover, costs,
    cost drag, tracking error against the constant-mix target, and the
    rebalancing premium against buy-and-hold split into drift, rebalancing and cost terms.

    Annualised by ``result.periods_per_year``; when that is None (prices
    without a readable calendar) every rate is per period instead and the
    ``units`` column says ``"per period"``.
    """
    ppy = result.periods_per_year
    values = result.values
    out = _performance(values, ppy, risk_free, 0.95)  # the result's periods, None included
    p = 1.0 if ppy is None else ppy
    years = (len(values) - 1) / p
    units_col = out.pop("units")
    out["rebalances"] = result.rebalanced.sum().to_numpy()
    out["annual_turnover"] = result.turnover.sum().to_numpy() / years
    out["costs_paid"] = result.costs.sum().to_numpy()
    after = values.to_numpy()
    log_cost = np.log1p(result.costs.to_numpy() / after).sum(axis=0)
    out["cost_drag"] = log_cost / years
    r = values.pct_change().iloc[1:].to_numpy()
    rt = result.target_values.pct_change().iloc[1:].to_numpy()[:, None]
    out["tracking_error"] = np.std(r - rt, axis=0, ddof=1) * np.sqrt(p)
    log_g = np.log(after[-1] / after[0])
    log_target = float(np.log(result.target_values.iloc[-1] / result.target_values.iloc[0]))
    log_bh = float(np.log(result.buy_and_hold.iloc[-1] / result.buy_and_hold.iloc[0]))
    out["premium_vs_buy_and_hold"] = (log_g - log_bh) / years
    out["drift_term"] = (log_target - log_bh) / years
    out["rebalancing_term"] = (log_g + log_cost - log_target) / years
    out["cost_term"] = -log_cost / years
    out["units"] = units_col
    out.index.name = "config"
    return out
