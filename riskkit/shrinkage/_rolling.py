"""Rolling shrinkage: estimates over moving windows from incrementally updated sums.

Public names are re-exported by :mod:`riskkit.shrinkage`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.matrices import cov_to_corr
from riskkit._core.result import Result
from riskkit._core.validation import check_choice, check_int, format_items, returns_matrix
from riskkit.data.calendar import annualise, resolve_periods_per_year, units
from riskkit.exceptions import InvalidParameterError, InvalidTypeError
from riskkit.shrinkage import _dispatch as D
from riskkit.shrinkage import _kernels as K

__all__ = ["RollingShrinkage", "rolling_shrink"]


@dataclass(frozen=True, eq=False, repr=False)
class RollingShrinkage(Result):
    """Estimates over moving windows, dated by each window's last observation.

    Attributes
    ----------
    covariances : ndarray of shape (n_windows, n_assets, n_assets), or None
        float64, or float32 when ``rolling_shrink(dtype="float32")``; None when
        ``rolling_shrink(store=False)`` kept no estimates (a callback took them).
        Lookups (``covariance``, ``at``, iteration) return float64 frames.
    dates : DatetimeIndex (or Index) of length n_windows
    assets : Index
    intensity : Series
        Shrinkage intensity per date (NaN for methods without one).
    method, target : str
    window, step : int
    stats : ndarray of shape (n_windows, 2) or None
        Mean (per-period) volatility and mean pairwise correlation of each
        estimate, made as it was estimated (from the float64 estimate); None:
        computed on demand.
    periods_per_year : float or None
        As passed to :func:`rolling_shrink`, else inferred from the returns'
        dates on first use; None (per period) without dates.
    """

    covariances: np.ndarray = field(repr=False)
    dates: pd.Index
    assets: pd.Index
    intensity: pd.Series = field(repr=False)
    method: str
    target: str | None
    window: int
    step: int
    stats: np.ndarray | None = field(default=None, repr=False)
    _index: pd.Index | None = field(default=None, repr=False)  # the returns' dates, for periods_per_year
    _periods_per_year: float | None = field(default=None, repr=False)

    @cached_property
    def periods_per_year(self) -> float | None:
        """As passed to :func:`rolling_shrink`, else inferred from the returns' dates;
        None (per period) without dates."""
        return resolve_periods_per_year(self._index, self._periods_per_year)

    def __len__(self) -> int:
        return len(self.dates)

    def __iter__(self) -> Iterator[tuple[pd.Timestamp, pd.DataFrame]]:
        covs = self._stored()
        for i, d in enumerate(self.dates):
            yield d, self._frame(covs[i])

    def covariance(self, date) -> pd.DataFrame:
        """The estimate dated exactly ``date``."""
        return self._frame(self._stored()[self._loc(date, exact=True)])

    def at(self, date) -> pd.DataFrame:
        """The latest estimate available on ``date`` (dated on or before it): what a
        backtest may use on that date without looking ahead."""
        return self._frame(self._stored()[self._loc(date, exact=False)])

    def correlation(self, date) -> pd.DataFrame:
        return self._frame(cov_to_corr(self._stored()[self._loc(date, exact=True)].astype(float)))

    def summary(self) -> pd.DataFrame:
        """Per date: intensity, average volatility (annualised by
        :attr:`periods_per_year`; per period when None), average pairwise
        correlation, and ``units`` (``"annual"`` or ``"per period"``).

        O(n_windows * n_assets) extra memory: the statistics are made window by
        window (while estimating, by :func:`rolling_shrink`), never from stacked
        n_windows x N x N temporaries.
        """
        stats = self.stats if self.stats is not None else np.array([_stats(c) for c in self._stored()])
        stats = stats.reshape(len(self), 2)
        ppy = self.periods_per_year
        return pd.DataFrame(
            {
                "intensity": self.intensity.to_numpy(),
                "mean_volatility": annualise(stats[:, 0], ppy, power=0.5),
                "mean_correlation": stats[:, 1],
                "units": units(ppy),
            },
            index=self.dates,
        )

    def _stored(self) -> np.ndarray:
        if self.covariances is None:
            raise InvalidParameterError(
                "the estimates were not stored (rolling_shrink(store=False)); only summary(), dates and "
                "intensity are available. Store them, or keep fewer (dates=, dtype='float32')."
            )
        return self.covariances

    def _frame(self, a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a.astype(np.float64, copy=False), index=self.assets, columns=self.assets)

    def _loc(self, date, *, exact: bool) -> int:
        key = pd.Timestamp(date) if isinstance(self.dates, pd.DatetimeIndex) else date
        if exact:
            if key not in self.dates:
                raise InvalidParameterError(
                    f"date {date!s} has no estimate; estimates are dated "
                    f"{self.dates[0]!s} ... {self.dates[-1]!s} "
                    f"every {self.step} observation(s). Use .at(date) for the latest estimate before a date."
                )
            return int(self.dates.get_loc(key))
        pos = int(self.dates.searchsorted(key, side="right")) - 1
        if pos < 0:
            raise InvalidParameterError(
                f"no estimate is available on {date!s}; the first is dated {self.dates[0]!s}."
            )
        return pos


def _stats(cov: np.ndarray) -> tuple[float, float]:
    """Mean volatility and mean pairwise correlation of one estimate, in O(N) extra memory:
    the sum of the correlation matrix is r' C r with r = 1 / sd (one matrix-vector product)."""
    n = cov.shape[0]
    sd = np.sqrt(np.diag(cov).astype(np.float64))
    if n < 2:
        return float(sd.mean()), float("nan")
    r = 1.0 / sd
    total = float(r @ (cov @ r))
    return float(sd.mean()), (total - n) / (n * (n - 1))


def rolling_shrink(
    returns: pd.DataFrame | np.ndarray,
    /,
    *,
    window: int,
    step: int = 1,
    method: D.Method = "ledoit_wolf",
    target: D.Target = "identity",
    intensity: float | None = None,
    market: pd.Series | np.ndarray | None = None,
    ddof: int | None = None,
    detone: bool = False,
    assume_centered: bool = False,
    refresh: int = 64,
    dates: Sequence | pd.Index | None = None,
    dtype: Literal["float64", "float32"] = "float64",
    store: bool = True,
    on_estimate: Callable[[object, np.ndarray], object] | None = None,
    periods_per_year: float | None = None,
) -> RollingShrinkage:
    """Shrinkage estimates over windows of ``window`` observations, every ``step``.

    The first window ends at observation ``window - 1``; each estimate is dated
    by its window's last observation, so it uses no later data. The windowed
    sums :math:`\\sum x_t x_t^\\top` and :math:`\\sum x_t` are updated
    incrementally (add the ``step`` new rows, remove the ``step`` oldest), so
    each window costs :math:`O(\\text{step} \\cdot N^2)` instead of
    :math:`O(\\text{window} \\cdot N^2)`; the sums are recomputed exactly every
    ``refresh`` windows to stop rounding from accumulating. The numbers equal
    :func:`shrink` on each window to rounding (about 1e-13 relative).

    ``method`` is any of :data:`D.METHODS` except the EWMA ones (which weight the
    whole history rather than a window).

    Memory: storing every estimate takes ``n_windows * N * N * 8`` bytes (N = 3000,
    ten years of days, step 21: 7.8 GB). To keep only what is needed:

    - ``dates``: estimate and keep only the windows ending on these dates (each
      must be a window end, ``returns.index[window - 1 :: step]``);
    - ``dtype="float32"``: store in single precision (half the memory, entries
      rounded to 6e-8 relative; lookups return float64);
    - ``on_estimate(date, covariance)``: called with each float64 estimate (an
      ndarray the callback may keep) as it is made; with ``store=False`` nothing
      else is kept (``covariances`` is None; ``summary()`` still works).

    ``summary()`` statistics are computed window by window as the estimates are
    made, so they cost O(n_windows) memory whatever is stored. Its mean
    volatility is annualised by ``periods_per_year``: the value passed, else the
    one the returns' dates give, else none (per period; returns without dates),
    the rule of :func:`riskkit.data.calendar.resolve_periods_per_year`.

    Returns
    -------
    RollingShrinkage
    """
    windowed = [m for m in D.METHODS if m not in ("ewma", "riskmetrics")]
    if method not in windowed:
        why = "weights the whole history" if method in D.METHODS else "is not a method"
        raise InvalidParameterError(
            f"method={method!r} {why}; rolling_shrink takes the windowed methods: {format_items(windowed)}."
        )
    opts = D.options(method, target, intensity, None, None, ddof, detone, assume_centered)
    X, index, columns = returns_matrix("returns", returns)
    X, unscale = D.on_a_safe_scale(X)  # data near 1e+-150: a power of two toward 1, as shrink does
    T = X.shape[0]
    window = check_int("window", window, minimum=2)
    step = check_int("step", step, minimum=1)
    refresh = check_int("refresh", refresh, minimum=1)
    if window > T:
        raise InvalidParameterError(f"window={window} is longer than the {T} observations of returns.")
    mkt = D.market_series(market, index, T) if market is not None else None
    ends = np.arange(window - 1, T, step)
    keep = np.ones(len(ends), dtype=bool) if dates is None else _keep(dates, index, ends, window, step)
    _check_outputs(dtype, store, on_estimate)
    ppy = resolve_periods_per_year(None, periods_per_year)  # checked now; the dates are read on first use
    covs, inten, stats = _estimates(
        X,
        index,
        columns,
        _Plan(ends, keep, window, step, refresh, unscale),
        opts,
        mkt,
        dtype,
        store,
        on_estimate,
    )
    dates = index[ends[keep]]
    return RollingShrinkage(
        covariances=covs,
        dates=dates,
        assets=columns,
        intensity=pd.Series(inten, index=dates, name="intensity"),
        method=method,
        target=target if method in ("ledoit_wolf", "oas", "oas_paper") else None,
        window=window,
        step=step,
        stats=stats,
        _index=index,
        _periods_per_year=ppy,
    )


def _check_outputs(dtype: str, store, on_estimate) -> None:
    """What rolling_shrink keeps: ``dtype``, ``store`` and the ``on_estimate`` callback."""
    check_choice("dtype", dtype, ("float64", "float32"))
    if not isinstance(store, bool):
        raise InvalidTypeError(f"store must be True or False, got {store!r}.")
    if on_estimate is not None and not callable(on_estimate):
        raise InvalidTypeError(f"on_estimate must be callable, got {type(on_estimate).__name__}.")


@dataclass(frozen=True)
class _Plan:
    """The windows: their last observations (``ends``), which to estimate (``keep``),
    their length, the step between them, how often the sums are recomputed, and how an estimate
    returns to the data's scale."""

    ends: np.ndarray
    keep: np.ndarray
    window: int
    step: int
    refresh: int
    unscale: Callable  # an estimate back to the data's own scale (on_a_safe_scale)


def _estimates(
    X: np.ndarray,
    index: pd.Index,
    columns: pd.Index,
    plan: _Plan,
    opts: D.Opts,
    mkt: np.ndarray | None,
    dtype: str,
    store: bool,
    on_estimate,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """The estimates of the kept windows (or None unless ``store``), their
    intensities and summary statistics, from running sums updated incrementally."""
    N = X.shape[1]
    window, step, refresh = plan.window, plan.step, plan.refresh
    n_keep = int(plan.keep.sum())
    covs = np.empty((n_keep, N, N), dtype=dtype) if store else None
    inten = np.full(n_keep, np.nan)
    stats = np.empty((n_keep, 2))
    kept = 0
    sums = _WindowSums(X, window, centred=opts.assume_centered)
    for k, e in enumerate(plan.ends):
        lo = e - window + 1
        if k == 0 or k % refresh == 0 or step >= window:
            sums.recompute(lo, e)
        else:
            sums.slide(lo, e, step)
        if not plan.keep[k]:
            continue
        mo = sums.moments(lo, e)
        D.check_variance(mo.X, mo.m, mo.var(), columns, where=f" in the window ending {index[e]!s}")
        est = plan.unscale(D.estimate(None, mo, opts, None if mkt is None else mkt[lo : e + 1]))
        stats[kept] = _stats(est.cov)
        if covs is not None:
            covs[kept] = est.cov
        if est.intensity is not None:
            inten[kept] = est.intensity
        if on_estimate is not None:
            on_estimate(index[e], est.cov)
        kept += 1
    return covs, inten, stats


class _WindowSums:
    """Running sums of one window, :math:`P = \\sum z_t z_t^\\top` and :math:`s = \\sum z_t`, of the
    deviations :math:`z_t = x_t - c` from an origin :math:`c` (zero for ``centred`` data).

    The window's own covariance is :math:`P/T - \\bar z \\bar z^\\top` with :math:`\\bar z` the
    mean of the WINDOW (re-centred per window, as :func:`shrink` is), and its rounding is about
    :math:`\\epsilon \\, \\bar z_i^2 / \\sigma_i^2` relative: small only while the origin is near
    the window's mean. So the origin is the window's own mean whenever the sums are made afresh
    (every ``refresh`` windows), and they are made afresh, on the spot, for any window in which
    an asset's mean has moved from the origin by more than :data:`K._CENTER_RATIO` of its
    variance (a trend change, a depeg), the test :func:`riskkit.shrinkage._kernels.moments` uses:
    an accruing asset at noise 1e-12 keeps positive variances, and the estimates equal
    :func:`shrink` on each window to about 1e-13 relative."""

    def __init__(self, X: np.ndarray, window: int, *, centred: bool):
        self.X, self.window, self.centred = X, window, centred
        self.origin = np.zeros(X.shape[1])
        self.P = self.s = None

    def recompute(self, lo: int, e: int) -> None:
        W = self.X[lo : e + 1]
        if not self.centred:
            self.origin = W.mean(axis=0)
            W = W - self.origin
        self.P, self.s = W.T @ W, W.sum(axis=0)

    def slide(self, lo: int, e: int, step: int) -> None:
        # the rows that enter and leave, as deviations from the origin, in one (2 step, N) block: one
        # product and one pass over P (was two of each); the leaving rows enter with a minus sign
        Z = np.concatenate((self.X[e - step + 1 : e + 1], self.X[lo - step : lo]))
        Z -= self.origin
        signed = Z.copy()
        signed[step:] *= -1.0
        self.P += signed.T @ Z
        self.s += signed.sum(axis=0)
        if not self.centred:
            m = self.s / self.window
            var = np.diag(self.P) / self.window - m * m
            if np.any(m * m > K._CENTER_RATIO * np.abs(var)):  # the origin is far from this window's mean
                self.recompute(lo, e)

    def moments(self, lo: int, e: int) -> K.Moments:
        origin = None if self.centred else self.origin
        return K.moments_from_sums(
            self.X[lo : e + 1], self.P, self.s, assume_centered=self.centred, origin=origin
        )


def _keep(dates, index: pd.Index, ends: np.ndarray, window: int, step: int) -> np.ndarray:
    """Which window ends are in ``dates``; every date must be one."""
    wanted = pd.Index(dates)
    if isinstance(index, pd.DatetimeIndex):
        wanted = pd.DatetimeIndex(wanted)
    end_dates = index[ends]
    unknown = wanted.difference(end_dates)
    if len(unknown):
        raise InvalidParameterError(
            f"dates must be window ends (returns.index[{window - 1}::{step}]); these are not: "
            f"{format_items(unknown)}."
        )
    return end_dates.isin(wanted)
