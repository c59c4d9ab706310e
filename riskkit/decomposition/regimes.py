"""Correlation-regime monitors: is the market becoming one trade?

Contents
--------
absorption_ratio     share of variance absorbed by the top eigenvectors, and its standardised shift
turbulence           Mahalanobis distance of each day's returns from the trailing distribution
average_correlation  mean pairwise correlation over a short window, against its historical band
regimes              the three in one call -> RegimeMonitor
MAX_ASSETS           the widest universe :func:`regimes` takes (500 assets)
Monitor              one monitor's dated readings, its alert series and the rule that sets it
RegimeMonitor        the monitors together, with an alert when any fires

Every reading at date t uses returns up to t only, and every threshold uses readings before t
only: the alert series can be traded on (no look-ahead). The first dates, where a window is not
yet full, carry no reading (NaN) and no alert. Readings are dimensionless; nothing is annualised.
Windows are counted in periods; the history ``long`` defaults to one year of them under
:func:`riskkit.data.calendar.resolve_periods_per_year` (undated returns must give it).

Cost: one N x N eigen-decomposition (absorption ratio) or Cholesky factorisation (turbulence)
per date, O(N^3) per step and linear in T; the window moments are updated by running sums,
O(N^2) per step.

References
----------
Kritzman, M., Li, Y., Page, S. & Rigobon, R. (2011). Principal components as a measure of systemic
risk. Journal of Portfolio Management 37(4), 112-126.
Kritzman, M. & Li, Y. (2010). Skulls, financial turbulence, and risk management. Financial Analysts
Journal 66(5), 30-41.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import check_choice, check_int, check_real, returns_matrix
from riskkit.exceptions import InvalidParameterError

__all__ = [
    "MAX_ASSETS",
    "Monitor",
    "RegimeMonitor",
    "absorption_ratio",
    "average_correlation",
    "regimes",
    "turbulence",
]

MAX_ASSETS = 500
"""The most assets :func:`regimes` takes: it forms a covariance per date in blocks of 512 dates
(512 N^2 floats: 1 GiB at 500 assets, 15 GiB at 2,000) and decomposes each (N^3); a wider universe
is refused at once, before any of that work (a report skips the monitors and says so)."""


@dataclass(frozen=True, eq=False, repr=False)
class Monitor(Result):
    """One regime monitor.

    Attributes
    ----------
    name : str
        ``"absorption_ratio"``, ``"turbulence"`` or ``"average_correlation"``.
    table : DataFrame
        Dated readings: the monitor's value, what it is compared with, and ``alert``.
    alert : Series of bool
        True on the dates the rule fires.
    rule : str
        The alert rule in words.
    reading : str
        The table's column holding the monitor's reading.
    """

    name: str
    table: pd.DataFrame = field(repr=False)
    alert: pd.Series = field(repr=False)
    rule: str
    reading: str

    def summary(self) -> pd.DataFrame:
        """One row: the latest reading, its percentile in the monitor's own history, the latest
        threshold, whether the alert is on, the share of dates on alert and the number of alerts
        (switches from off to on)."""
        values = self.table[self.reading].dropna()
        latest = float(values.iloc[-1]) if len(values) else float("nan")
        pct = float((values <= latest).mean()) if len(values) else float("nan")
        limit = self.table["threshold"].dropna()
        a = self.alert.astype(bool)
        onsets = int((a & ~a.shift(1, fill_value=False)).sum())
        return pd.DataFrame(
            {
                "latest": [latest],
                "percentile": [pct],
                "threshold": [float(limit.iloc[-1]) if len(limit) else float("nan")],
                "alert": [bool(a.iloc[-1]) if len(a) else False],
                "alert_share": [float(a[values.index].mean()) if len(values) else float("nan")],
                "alerts": [onsets],
            },
            index=pd.Index([self.name], name="monitor"),
        )

    def _headline(self) -> str:
        return f"{self.name}, {len(self.table)} dates; alert when {self.rule}"


@dataclass(frozen=True, eq=False, repr=False)
class RegimeMonitor(Result):
    """The absorption ratio, turbulence and average correlation on one returns table.

    Attributes
    ----------
    monitors : dict of str to Monitor
    alerts : DataFrame of bool
        One column per monitor and ``any`` (at least one fires).
    """

    monitors: dict = field(repr=False)
    alerts: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """One row per monitor (see :meth:`Monitor.summary`) with its rule."""
        rows = [m.summary().assign(rule=m.rule) for m in self.monitors.values()]
        return pd.concat(rows)

    def _headline(self) -> str:
        on = [k for k, m in self.monitors.items() if bool(m.alert.iloc[-1])]
        return f"{len(self.alerts)} dates; alert now: {', '.join(on) if on else 'none'}"


def _one_year(name: str, value: int | None, returns: pd.DataFrame) -> int:
    from riskkit.data.calendar import resolve_periods_per_year

    if value is not None:
        return check_int(name, value, minimum=2)
    ppy = resolve_periods_per_year(returns, None)
    if ppy is None:
        raise InvalidParameterError(
            f"{name} defaults to one year of periods, which undated returns do not give: pass {name}= "
            "(a number of periods)."
        )
    return round(ppy)


def _checked(returns, window: int, minimum: int) -> tuple[np.ndarray, pd.Index, pd.Index]:
    X, index, columns = returns_matrix("returns", returns)
    if X.shape[1] < minimum:
        raise InvalidParameterError(f"regime monitors need at least {minimum} assets, got {X.shape[1]}.")
    if window > len(X):
        raise InvalidParameterError(f"window={window} is longer than the {len(X)} periods of returns.")
    return X, index, columns


def _window_covariances(X: np.ndarray, window: int, halflife: float | None, chunk: int = 512):
    """Yield (t0, covs) blocks: covs[j] is the covariance of the window ending at t0 + j (inclusive)
    for t0 + j >= window - 1: equal weights over ``window`` periods (running sums, ddof 1), or
    exponential weights with ``halflife`` over all periods so far (weights normalised to one)."""
    T, n = X.shape
    if halflife is not None:
        lam = 0.5 ** (1.0 / halflife)
        M = np.zeros((n, n))
        m = np.zeros(n)
        W = 0.0
        out = np.empty((T, n, n))
        for t in range(T):
            M = lam * M + np.outer(X[t], X[t])
            m = lam * m + X[t]
            W = lam * W + 1.0
            out[t] = M / W - np.outer(m / W, m / W)
        yield window - 1, out[window - 1 :]
        return
    start = window - 1
    for t0 in range(start, T, chunk):
        t1 = min(T, t0 + chunk)
        first = X[t0 - window + 1 : t0 + 1]
        S0, s0 = first.T @ first, first.sum(axis=0)
        add, drop = X[t0 + 1 : t1], X[t0 + 1 - window : t1 - window]
        S = np.concatenate(
            [S0[None], np.einsum("ti,tj->tij", add, add) - np.einsum("ti,tj->tij", drop, drop)]
        )
        s = np.concatenate([s0[None], add - drop])
        S = np.cumsum(S, axis=0)
        s = np.cumsum(s, axis=0)
        yield t0, (S - np.einsum("ti,tj->tij", s, s) / window) / (window - 1)


def _trailing(values: pd.Series, history: int, fn: str, q: float | None = None) -> pd.Series:
    """``fn`` (mean, std or a quantile) of the ``history`` readings before each date (not the date
    itself), once the history is full."""
    past = values.shift(1).rolling(history, min_periods=history)
    return past.quantile(q) if fn == "quantile" else getattr(past, fn)()


def _per_window(X: np.ndarray, window: int, halflife: float | None, fn) -> np.ndarray:
    """``fn(covs)`` (one value per covariance of a block) at every date whose window is full, NaN
    before."""
    out = np.full(len(X), np.nan)
    for t0, covs in _window_covariances(X, window, halflife):
        out[t0 : t0 + len(covs)] = fn(covs)
    return out


def _monitor(name: str, table: pd.DataFrame, reading: str, alert: pd.Series, rule: str) -> Monitor:
    """``table`` with its ``alert`` column added, as a Monitor."""
    table["alert"] = alert.to_numpy()
    return Monitor(name, table, table["alert"].rename("alert"), rule, reading)


def absorption_ratio(
    returns: pd.DataFrame,
    /,
    *,
    window: int = 250,
    halflife: float | None = None,
    n_components: int | None = None,
    short: int = 15,
    long: int | None = None,
    threshold: float = 1.0,
) -> Monitor:
    """Absorption ratio (Kritzman, Li, Page & Rigobon 2011) and its standardised shift.

    :math:`AR_t = \\sum_{j \\le n} \\lambda_j / \\sum_j \\lambda_j`, the share of the total variance of
    the window's covariance (ending at t) absorbed by its ``n_components`` largest eigenvalues
    (default :math:`\\lceil N/5 \\rceil`, the paper's fifth). The shift is
    :math:`(\\overline{AR}_{\\text{short}} - \\overline{AR}_{\\text{long}}) / \\sigma_{AR,\\text{long}}`
    with the means and standard deviation over the last ``short`` (15) and ``long`` (one year)
    dates. Alert: shift >= ``threshold`` (one standard deviation, as the paper).

    Parameters
    ----------
    returns : DataFrame of shape (n_periods, n_assets)
    window : int, default=250
        Periods of each covariance estimate (equal weights).
    halflife : float, optional
        Exponential weights with this half-life (in periods) instead of the equal-weight window;
        ``window`` is then the warm-up before the first reading.
    n_components, short, long, threshold : see above
    """
    window = check_int("window", window, minimum=2)
    X, index, _ = _checked(returns, window, 2)
    n = X.shape[1]
    k = math.ceil(n / 5) if n_components is None else check_int("n_components", n_components, minimum=1)
    if k >= n:
        raise InvalidParameterError(f"n_components={k} must be below the {n} assets.")
    short = check_int("short", short, minimum=1)
    long = _one_year("long", long, returns)
    threshold = check_real("threshold", threshold)
    if halflife is not None:
        halflife = check_real("halflife", halflife, low=0.0, low_open=True)

    def top_share(covs):
        lam = np.linalg.eigvalsh(covs)  # ascending
        return lam[:, -k:].sum(axis=1) / lam.sum(axis=1)

    ar = _per_window(X, window, halflife, top_share)
    series = pd.Series(ar, index=index)
    recent = series.rolling(short, min_periods=short).mean()
    base, spread = series.rolling(long, min_periods=long).mean(), series.rolling(long, min_periods=long).std()
    shift = (recent - base) / spread
    table = pd.DataFrame({"absorption_ratio": ar, "shift": shift, "threshold": threshold}, index=index)
    rule = (
        f"the {short}-period mean absorption ratio (top {k} of {n} eigenvectors) is {threshold:g} "
        f"standard deviation{'' if threshold == 1 else 's'} or more above its {long}-period mean"
    )
    return _monitor("absorption_ratio", table, "shift", shift >= threshold, rule)


def turbulence(
    returns: pd.DataFrame,
    /,
    *,
    window: int | None = None,
    span: int = 5,
    level: float = 0.99,
    long: int | None = None,
    reference: str = "history",
) -> Monitor:
    """Financial turbulence (Kritzman & Li 2010): :math:`d_t = (r_t - \\mu)^\\top\\Sigma^{-1}(r_t - \\mu)`
    with :math:`\\mu, \\Sigma` the mean and covariance of the ``window`` periods before t (one year
    by default), and its mean over the last ``span`` periods (the reading).

    Alert (``reference="history"``, the default): the reading exceeds the ``level`` (99%) empirical
    quantile of its own ``long`` previous readings (one year; earlier dates only, so the first
    alert can come ``window + long + span`` periods in). ``reference="chi2"``: the reading exceeds
    the ``level`` quantile of :math:`\\chi^2_{N\\,\\text{span}}/\\text{span}`, the reading's law
    were the returns Gaussian with the window's mean and covariance (no history needed).

    Why the history is the default: fat tails and volatility clustering put calm-market readings
    far above the chi-square law. On the simulator (:func:`riskkit.evaluation.regime_detection`,
    seeds 0-19, every other default), over the crash regimes after all monitors can alert:

    ============  ==========  ==============  ======  ============  ===========================
    rule          crashes     caught within   caught  median delay  false alarms per calm year
                              5 periods
    ============  ==========  ==============  ======  ============  ===========================
    chi2          102         58.8%           80.4%   3             12.3
    history       95          10.5%           22.1%   6             1.9
    ============  ==========  ==============  ======  ============  ===========================

    The historical rule buys a bearable false-alarm rate (under two a calm year) with late and
    rare detection: the simulator's crashes (7% of periods, about 1.5 a year) sit in every year of
    history, so the 99% quantile is a crash-level reading. Lower ``level`` or ``span`` to trade
    one for the other (``span=3``: 17.7% caught within 5 periods, 2.4 false alarms a year).

    Raises
    ------
    SingularCovarianceError
        When a window's covariance is singular (fewer periods than assets, a constant asset).
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve
    from scipy.stats import chi2

    from riskkit.exceptions import SingularCovarianceError

    window = _one_year("window", window, returns)
    X, index, columns = _checked(returns, window + 1, 1)
    span = check_int("span", span, minimum=1)
    level = check_real("level", level, low=0.5, high=1.0, low_open=True, high_open=True)
    reference = check_choice("reference", reference, ("history", "chi2"))
    long = _one_year("long", long, returns) if reference == "history" else long
    d = np.full(len(X), np.nan)
    for t0, covs in _window_covariances(X[:-1], window, None):
        for j, cov in enumerate(covs):
            t = t0 + j + 1  # the window ends the period before t
            mean = X[t - window : t].mean(axis=0)
            try:
                factor = cho_factor(cov, lower=True, check_finite=False)
            except LinAlgError:
                raise SingularCovarianceError(
                    f"turbulence: the covariance of the {window} periods before {index[t]} is singular; "
                    "lengthen window or drop a constant asset."
                ) from None
            e = X[t] - mean
            d[t] = float(e @ cho_solve(factor, e, check_finite=False))
    smooth = pd.Series(d, index=index).rolling(span, min_periods=span).mean()
    n = len(columns)
    where = f"each day's Mahalanobis distance from the {window} periods before it"
    if reference == "chi2":
        limit = pd.Series(float(chi2.ppf(level, n * span)) / span, index=index)
        rule = (
            f"the {span}-period mean turbulence exceeds {limit.iloc[0]:.1f}, the {level:.0%} quantile of a "
            f"mean of {span} chi-square({n}) values ({where})"
        )
    else:
        limit = _trailing(smooth, long, "quantile", level)
        rule = (
            f"the {span}-period mean turbulence ({where}) exceeds the {level:.0%} quantile of its own "
            f"{long} previous readings"
        )
    table = pd.DataFrame({"turbulence": d, "smoothed": smooth, "threshold": limit}, index=index)
    return _monitor("turbulence", table, "smoothed", smooth > limit, rule)


def average_correlation(
    returns: pd.DataFrame,
    /,
    *,
    window: int = 60,
    long: int | None = None,
    width: float = 2.0,
) -> Monitor:
    """Mean of the pairwise correlations over the last ``window`` periods, against a band of
    ``width`` standard deviations around its mean over the ``long`` dates before (one year by
    default). Alert: above the band's upper edge. A window in which an asset does not move has no
    correlation, so no reading (NaN) and no alert that date."""
    window = check_int("window", window, minimum=3)
    X, index, _ = _checked(returns, window, 2)
    n = X.shape[1]
    long = _one_year("long", long, returns)
    width = check_real("width", width, low=0.0, low_open=True)
    off = ~np.eye(n, dtype=bool)

    def mean_correlation(covs):
        sd = np.sqrt(np.maximum(np.einsum("tii->ti", covs), 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):  # a constant asset: no reading (NaN)
            corr = covs / (sd[:, :, None] * sd[:, None, :])
        return corr[:, off].mean(axis=1)

    avg = _per_window(X, window, None, mean_correlation)
    series = pd.Series(avg, index=index)
    mean, spread = _trailing(series, long, "mean"), _trailing(series, long, "std")
    table = pd.DataFrame(
        {"average_correlation": avg, "band_low": mean - width * spread, "threshold": mean + width * spread},
        index=index,
    )
    rule = (
        f"the {window}-period average pairwise correlation is above its previous {long}-period mean "
        f"plus {width:g} standard deviations"
    )
    return _monitor("average_correlation", table, "average_correlation", series > table["threshold"], rule)


def regimes(
    returns: pd.DataFrame,
    /,
    *,
    long: int | None = None,
    absorption: dict | None = None,
    turbulence_options: dict | None = None,
    correlation: dict | None = None,
) -> RegimeMonitor:
    """The absorption ratio, turbulence and average correlation with their defaults (or the options
    given per monitor as a mapping of keyword arguments), sharing the history ``long``."""
    n_assets = returns.shape[1] if hasattr(returns, "shape") and len(returns.shape) == 2 else 0
    if n_assets > MAX_ASSETS:
        raise InvalidParameterError(
            f"regimes takes at most MAX_ASSETS={MAX_ASSETS} assets, got {n_assets:,}: each date's covariance "
            "is N x N and its eigen-decomposition N^3; pass the returns of fewer assets."
        )
    kw = {} if long is None else {"long": long}
    monitors = {
        "absorption_ratio": absorption_ratio(returns, **kw, **dict(absorption or {})),
        "turbulence": turbulence(returns, **kw, **dict(turbulence_options or {})),
        "average_correlation": average_correlation(returns, **kw, **dict(correlation or {})),
    }
    alerts = pd.DataFrame({k: m.alert.to_numpy() for k, m in monitors.items()}, index=returns.index)
    alerts["any"] = alerts.any(axis=1)
    return RegimeMonitor(monitors, alerts)
