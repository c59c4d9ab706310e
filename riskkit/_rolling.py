"""Rolling shrinkage: estimates over moving windows from incrementally updated sums.

Public names are re-exported by :mod:`riskkit.shrinkage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit import _covariance as K
from riskkit import _shrink_dispatch as D
from riskkit._validation import check_int, format_items, returns_matrix
from riskkit.exceptions import InvalidParameterError

__all__ = ["RollingShrinkage", "rolling_shrink"]


@dataclass(frozen=True, eq=False)
class RollingShrinkage:
    """Estimates over moving windows, dated by each window's last observation.

    Attributes
    ----------
    covariances : ndarray of shape (n_windows, n_assets, n_assets)
    dates : DatetimeIndex (or Index) of length n_windows
    assets : Index
    intensity : Series
        Shrinkage intensity per date (NaN for methods without one).
    method, target : str
    window, step : int
    """

    covariances: np.ndarray = field(repr=False)
    dates: pd.Index
    assets: pd.Index
    intensity: pd.Series = field(repr=False)
    method: str
    target: str | None
    window: int
    step: int

    def __len__(self) -> int:
        return len(self.dates)

    def __iter__(self) -> Iterator[tuple[pd.Timestamp, pd.DataFrame]]:
        for i, d in enumerate(self.dates):
            yield d, self._frame(self.covariances[i])

    def covariance(self, date) -> pd.DataFrame:
        """The estimate dated exactly ``date``."""
        return self._frame(self.covariances[self._loc(date, exact=True)])

    def at(self, date) -> pd.DataFrame:
        """The latest estimate available on ``date`` (dated on or before it): what a
        backtest may use on that date without looking ahead."""
        return self._frame(self.covariances[self._loc(date, exact=False)])

    def correlation(self, date) -> pd.DataFrame:
        return self._frame(K.cov_to_corr(self.covariances[self._loc(date, exact=True)]))

    def summary(self) -> pd.DataFrame:
        """Per date: intensity, average volatility and average pairwise correlation."""
        n = len(self.assets)
        diag = np.einsum("kii->ki", self.covariances)
        sd = np.sqrt(diag)
        corr_sum = np.einsum("kij->k", self.covariances / (sd[:, :, None] * sd[:, None, :]))
        avg_corr = (corr_sum - n) / (n * (n - 1)) if n > 1 else np.full(len(self), np.nan)
        return pd.DataFrame(
            {
                "intensity": self.intensity.to_numpy(),
                "mean_volatility": sd.mean(axis=1),
                "mean_correlation": avg_corr,
            },
            index=self.dates,
        )

    def _frame(self, a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=self.assets, columns=self.assets)

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

    Returns
    -------
    RollingShrinkage
    """
    if method in ("ewma", "riskmetrics"):
        raise InvalidParameterError(
            f"method={method!r} weights the whole history; rolling_shrink takes the windowed methods: "
            f"{format_items(m for m in D.METHODS if m not in ('ewma', 'riskmetrics'))}."
        )
    opts = D.options(method, target, intensity, None, None, ddof, detone, assume_centered)
    X, index, columns = returns_matrix("returns", returns)
    T, N = X.shape
    window = check_int("window", window, minimum=2)
    step = check_int("step", step, minimum=1)
    refresh = check_int("refresh", refresh, minimum=1)
    if window > T:
        raise InvalidParameterError(f"window={window} is longer than the {T} observations of returns.")
    mkt = D.market_series(market, index, T) if market is not None else None
    # a constant shift leaves every covariance unchanged and keeps the running sums well conditioned
    shift = np.zeros(N) if assume_centered else X.mean(axis=0)
    Z = X - shift if shift.any() else X
    ends = np.arange(window - 1, T, step)
    covs = np.empty((len(ends), N, N))
    inten = np.full(len(ends), np.nan)
    P = s = None
    for k, e in enumerate(ends):
        lo = e - window + 1
        if P is None or k % refresh == 0 or step >= window:
            W = Z[lo : e + 1]
            P, s = W.T @ W, W.sum(axis=0)
        else:
            new, old = Z[e - step + 1 : e + 1], Z[lo - step : lo]
            P += new.T @ new
            P -= old.T @ old
            s += new.sum(axis=0) - old.sum(axis=0)
        mo = K.moments_from_sums(Z[lo : e + 1], P, s, assume_centered=assume_centered)
        D.check_variance(mo.X, mo.m, mo.var(), columns, where=f" in the window ending {index[e]!s}")
        est = D.estimate(None, mo, opts, None if mkt is None else mkt[lo : e + 1])
        covs[k] = est.cov
        if est.intensity is not None:
            inten[k] = est.intensity
    dates = index[ends]
    return RollingShrinkage(
        covariances=covs,
        dates=dates,
        assets=columns,
        intensity=pd.Series(inten, index=dates, name="intensity"),
        method=method,
        target=target if method in ("ledoit_wolf", "oas") else None,
        window=window,
        step=step,
    )
