"""Covariance and correlation estimation with shrinkage, intensity reported.

Contents
--------
shrink            one estimate from a returns table, any method below
ShrinkageResult   covariance, correlation, intensity, target, condition numbers, summary()
rolling_shrink    a date-indexed series of estimates over moving windows (incremental)
RollingShrinkage  its result: estimates by date, ``at(date)`` for backtests

Methods (``method=``)
---------------------
``"sample"``       sample covariance, ``ddof`` explicit (default 1)
``"ewma"``         exponentially weighted, ``halflife=`` or ``lam=``
``"riskmetrics"``  EWMA with lambda 0.94 and zero mean (J.P. Morgan RiskMetrics 1996)
``"ledoit_wolf"``  linear shrinkage toward ``target=``:
                   ``"identity"`` (Ledoit & Wolf 2004; equals ``sklearn.covariance.ledoit_wolf``),
                   ``"constant_correlation"`` (Ledoit & Wolf 2003, "Honey, I shrunk..."),
                   ``"single_index"`` (Ledoit & Wolf 2003, "Improved estimation...";
                   ``market=`` series, or the equal-weighted average);
                   ``intensity=`` fixes the intensity instead of estimating it
``"oas"``          oracle approximating shrinkage (Chen, Wiesel, Eldar & Hero 2010;
                   equals ``sklearn.covariance.oas``)
``"nonlinear"``    analytical nonlinear shrinkage (Ledoit & Wolf 2020)
``"denoise"``      Marchenko-Pastur eigenvalue clipping of the correlation, ``detone=``
                   removes the market mode

Centering and ddof: the data are demeaned per asset (unless
``assume_centered=True``). The linear shrinkage estimators (Ledoit-Wolf, OAS,
fixed intensity) start from :math:`S = X_c^\\top X_c / T` (ddof = 0), as the
papers and scikit-learn do; nonlinear shrinkage uses :math:`T - 1` as its
effective sample size; ``ddof`` is a choice only for ``"sample"`` and
``"denoise"``. Covariances are per period; ``annualised_covariance``
multiplies by ``periods_per_year``.

The correlation is always derived from the chosen covariance, so it is
symmetric, has a unit diagonal and is positive semi-definite whenever the
covariance is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from riskkit import _covariance as K
from riskkit._validation import (
    check_choice,
    check_finite_values,
    check_int,
    check_real,
    format_items,
    returns_matrix,
)
from riskkit.exceptions import CalendarError, DataError, InvalidParameterError

__all__ = ["METHODS", "TARGETS", "RollingShrinkage", "ShrinkageResult", "rolling_shrink", "shrink"]

Method = Literal["sample", "ewma", "riskmetrics", "ledoit_wolf", "oas", "nonlinear", "denoise"]
Target = Literal["identity", "constant_correlation", "single_index"]
METHODS: tuple[str, ...] = ("sample", "ewma", "riskmetrics", "ledoit_wolf", "oas", "nonlinear", "denoise")
TARGETS: tuple[str, ...] = ("identity", "constant_correlation", "single_index")
RISKMETRICS_LAMBDA = 0.94


@dataclass(frozen=True, eq=False)
class ShrinkageResult:
    """A covariance estimate and how it was made.

    Attributes
    ----------
    covariance : DataFrame of shape (n_assets, n_assets)
        Per-period covariance, labelled by asset.
    method : str
    target : str or None
        Shrinkage target (``"identity"``, ``"constant_correlation"``,
        ``"single_index"``) for the linear methods.
    intensity : float or None
        Weight of the target, in [0, 1], for the linear methods.
    n_observations, n_assets : int
    periods_per_year : float or None
        As passed, else inferred from the dates on first use; None when the
        dates do not tell.
    info : dict
        Method details (EWMA lambda and half-life, mean correlation,
        market betas, number of signal eigenvalues, ...).
    """

    covariance: pd.DataFrame
    method: str
    target: str | None
    intensity: float | None
    n_observations: int
    n_assets: int
    info: dict = field(default_factory=dict, repr=False)
    _index: pd.Index = field(default=None, repr=False)
    _periods_per_year: float | None = field(default=None, repr=False)
    _base: object = field(default=None, repr=False)  # array, or a function making it
    _target: object = field(default=None, repr=False)

    @cached_property
    def periods_per_year(self) -> float | None:
        """As passed to :func:`shrink`, else inferred from the dates; None when they do not tell."""
        return self._periods_per_year if self._periods_per_year is not None else _periods(self._index, None)

    @cached_property
    def correlation(self) -> pd.DataFrame:
        """Correlation derived from :attr:`covariance` (unit diagonal)."""
        return self._label(K.cov_to_corr(self.covariance.to_numpy()))

    @cached_property
    def sample_covariance(self) -> pd.DataFrame:
        """The sample covariance the method started from (1/T for the linear methods)."""
        return self._label(_resolve(self._base))

    @cached_property
    def target_covariance(self) -> pd.DataFrame | None:
        """The shrinkage target matrix, when the method has one."""
        return None if self._target is None else self._label(_resolve(self._target))

    @cached_property
    def condition_number_sample(self) -> float:
        """Condition number of :attr:`sample_covariance` (inf when singular, as when T <= N)."""
        return K.condition_number(self.sample_covariance.to_numpy())

    @cached_property
    def condition_number(self) -> float:
        """Condition number of :attr:`covariance`."""
        return K.condition_number(self.covariance.to_numpy())

    @property
    def annualised_covariance(self) -> pd.DataFrame:
        """:attr:`covariance` times ``periods_per_year``."""
        if self.periods_per_year is None:
            raise CalendarError(
                "periods_per_year could not be inferred from the returns' index; "
                "pass periods_per_year to shrink()."
            )
        return self.covariance * self.periods_per_year

    @property
    def volatility(self) -> pd.Series:
        """Per-period volatility of each asset (square root of the diagonal)."""
        return pd.Series(
            np.sqrt(np.diag(self.covariance.to_numpy())), index=self.covariance.index, name="volatility"
        )

    def summary(self) -> pd.DataFrame:
        """One row: method, target, intensity, T, N, T/N, condition numbers before and after."""
        row = {
            "method": self.method,
            "target": self.target,
            "intensity": self.intensity,
            "observations": self.n_observations,
            "assets": self.n_assets,
            "T/N": self.n_observations / self.n_assets,
            "condition_sample": self.condition_number_sample,
            "condition_estimate": self.condition_number,
        }
        return pd.DataFrame([row]).set_index("method")

    def _label(self, a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=self.covariance.index, columns=self.covariance.columns)


def shrink(
    returns: pd.DataFrame | np.ndarray,
    /,
    *,
    method: Method = "ledoit_wolf",
    target: Target = "identity",
    intensity: float | None = None,
    market: pd.Series | np.ndarray | None = None,
    halflife: float | None = None,
    lam: float | None = None,
    ddof: int | None = None,
    detone: bool = False,
    assume_centered: bool = False,
    periods_per_year: float | None = None,
) -> ShrinkageResult:
    """Estimate the covariance of ``returns`` with the chosen method.

    Parameters
    ----------
    returns : DataFrame of shape (n_observations, n_assets)
        Period returns, no missing or infinite values, no constant column.
    method : str, default="ledoit_wolf"
        One of :data:`METHODS` (see the module docstring).
    target : {"identity", "constant_correlation", "single_index"}, default="identity"
        Target of ``method="ledoit_wolf"``.
    intensity : float in [0, 1], optional
        Fixed shrinkage intensity toward ``target`` (``method="ledoit_wolf"``);
        estimated when None.
    market : Series or array of shape (n_observations,), optional
        Market returns of the single-index target; the equal-weighted average
        of the assets by default.
    halflife, lam : float, optional
        Decay of ``method="ewma"`` (one of them): weight ratio ``lam`` between
        consecutive periods, or the half-life in periods (``lam = 0.5**(1/halflife)``).
    ddof : int, optional
        Delta degrees of freedom of ``"sample"`` and ``"denoise"`` (default 1).
    detone : bool, default=False
        ``method="denoise"`` only: remove the market mode.
    assume_centered : bool, default=False
        Treat the data as having mean zero (no demeaning).
    periods_per_year : float, optional
        For :attr:`ShrinkageResult.annualised_covariance`; inferred from the
        dates when not given.

    Returns
    -------
    ShrinkageResult

    Notes
    -----
    Linear shrinkage: :math:`\\hat\\Sigma = \\delta F + (1 - \\delta) S` with the
    target :math:`F` and an intensity :math:`\\delta` estimated to minimise the
    expected Frobenius loss. For the identity target (Ledoit & Wolf 2004)
    :math:`F = \\mu I`, :math:`\\mu = \\operatorname{tr} S / N`; for the
    constant-correlation target :math:`F_{ij} = \\bar r \\sqrt{s_{ii} s_{jj}}`;
    for the single-index target :math:`F_{ij} = s_{i0} s_{j0} / s_{00}` off the
    diagonal, :math:`s_{ii}` on it.

    References
    ----------
    Ledoit, O. & Wolf, M. (2004). A well-conditioned estimator for large-dimensional
    covariance matrices. J. Multivariate Analysis 88(2).
    Ledoit, O. & Wolf, M. (2003). Honey, I shrunk the sample covariance matrix. UPF WP 691.
    Ledoit, O. & Wolf, M. (2003). Improved estimation of the covariance matrix of stock
    returns with an application to portfolio selection. J. Empirical Finance 10(5).
    Chen, Y., Wiesel, A., Eldar, Y. C. & Hero, A. O. (2010). Shrinkage algorithms for
    MMSE covariance estimation. IEEE Trans. Signal Processing 58(10).
    Ledoit, O. & Wolf, M. (2020). Analytical nonlinear shrinkage of large-dimensional
    covariance matrices. Annals of Statistics 48(5).

    Examples
    --------
    >>> import riskkit as rk
    >>> r = rk.data.to_returns(rk.datasets.load("crypto_sim"))
    >>> res = rk.shrinkage.shrink(r, method="ledoit_wolf", target="constant_correlation")
    >>> round(res.intensity, 4)
    0.0307
    """
    opts = _options(method, target, intensity, halflife, lam, ddof, detone, assume_centered)
    X, index, columns = returns_matrix("returns", returns, check_finite=False)
    if market is not None and not (method == "ledoit_wolf" and target == "single_index"):
        raise InvalidParameterError("market applies to method='ledoit_wolf', target='single_index' only.")
    mkt = _market(market, index, X.shape[0]) if market is not None else None
    if method in ("ewma", "riskmetrics"):
        check_finite_values("returns", X, index, columns, bool(np.isfinite(X.sum(axis=0)).all()))
        mo = None
    else:  # NaN or inf in a column makes its mean or its cross-products non-finite: a free first test
        mo = K.moments(X, assume_centered=assume_centered)
        ok = bool(np.isfinite(np.diag(mo.P)).all() and np.isfinite(mo.m).all())
        check_finite_values("returns", X, index, columns, ok)
    if mo is not None:
        _check_variance(X, mo.m, mo.var(), columns)
    est = _estimate(X, mo, opts, mkt)
    if mo is None:
        _check_variance(X, X.mean(axis=0), np.diag(est.base), columns)
    ppy = None if periods_per_year is None else _periods(index, periods_per_year)
    return ShrinkageResult(
        covariance=pd.DataFrame(est.cov, index=columns, columns=columns),
        method=method,
        target=target if method in ("ledoit_wolf", "oas") else None,
        intensity=est.intensity,
        n_observations=X.shape[0],
        n_assets=X.shape[1],
        info=est.info,
        _index=index,
        _periods_per_year=ppy,
        _base=est.base,
        _target=est.target,
    )


# --------------------------------------------------------------------------- rolling


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
    method: Method = "ledoit_wolf",
    target: Target = "identity",
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

    ``method`` is any of :data:`METHODS` except the EWMA ones (which weight the
    whole history rather than a window).

    Returns
    -------
    RollingShrinkage
    """
    if method in ("ewma", "riskmetrics"):
        raise InvalidParameterError(
            f"method={method!r} weights the whole history; rolling_shrink takes the windowed methods: "
            f"{format_items(m for m in METHODS if m not in ('ewma', 'riskmetrics'))}."
        )
    opts = _options(method, target, intensity, None, None, ddof, detone, assume_centered)
    X, index, columns = returns_matrix("returns", returns)
    T, N = X.shape
    window = check_int("window", window, minimum=2)
    step = check_int("step", step, minimum=1)
    refresh = check_int("refresh", refresh, minimum=1)
    if window > T:
        raise InvalidParameterError(f"window={window} is longer than the {T} observations of returns.")
    mkt = _market(market, index, T) if market is not None else None
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
        _check_variance(mo.X, mo.m, mo.var(), columns, where=f" in the window ending {index[e]!s}")
        est = _estimate(None, mo, opts, None if mkt is None else mkt[lo : e + 1])
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


# --------------------------------------------------------------------------- internals


@dataclass(frozen=True)
class _Opts:
    method: str
    target: str
    intensity: float | None
    lam: float | None
    ddof: int
    detone: bool
    assume_centered: bool


def _options(method, target, intensity, halflife, lam, ddof, detone, assume_centered) -> _Opts:
    check_choice("method", method, METHODS)
    check_choice("target", target, TARGETS)
    if method != "ledoit_wolf" and target != "identity":
        raise InvalidParameterError(
            f"target={target!r} applies to method='ledoit_wolf'; got method={method!r}."
        )
    if intensity is not None:
        if method != "ledoit_wolf":
            raise InvalidParameterError(
                "intensity (a fixed shrinkage intensity) applies to method='ledoit_wolf'."
            )
        intensity = check_real("intensity", intensity, low=0.0, high=1.0)
    if ddof is not None:
        if method not in ("sample", "denoise"):
            raise InvalidParameterError(
                f"ddof applies to method='sample' or 'denoise'; method={method!r} "
                "uses the normalisation of its paper."
            )
        ddof = check_int("ddof", ddof, minimum=0)
    if not isinstance(detone, bool) or (detone and method != "denoise"):
        raise InvalidParameterError("detone must be a bool and applies to method='denoise' only.")
    if not isinstance(assume_centered, bool):
        raise InvalidParameterError(f"assume_centered must be True or False, got {assume_centered!r}.")
    if method == "ewma":
        if (halflife is None) == (lam is None):
            raise InvalidParameterError("method='ewma' needs exactly one of halflife= or lam=.")
        if halflife is not None:
            lam = 0.5 ** (1.0 / check_real("halflife", halflife, low=0.0, low_open=True))
        else:
            lam = check_real("lam", lam, low=0.0, high=1.0, low_open=True, high_open=True)
    elif halflife is not None or lam is not None:
        raise InvalidParameterError(
            "halflife and lam apply to method='ewma' only ('riskmetrics' fixes lam=0.94)."
        )
    if method == "riskmetrics":
        lam, assume_centered = RISKMETRICS_LAMBDA, True
    default_ddof = 1 if method in ("sample", "denoise") else 0
    return _Opts(
        method, target, intensity, lam, default_ddof if ddof is None else ddof, detone, assume_centered
    )


def _estimate(X, mo, o: _Opts, market) -> K.Estimate:
    if o.method in ("ewma", "riskmetrics"):
        return K.ewma(X, lam=o.lam, assume_centered=o.assume_centered)
    if o.method == "sample":
        if mo.T - o.ddof <= 0:
            raise DataError(f"ddof={o.ddof} leaves no degrees of freedom with {mo.T} observations.")
        return K.sample(mo, ddof=o.ddof)
    if o.method == "oas":
        return K.oas(mo)
    if o.method == "nonlinear":
        n_eff = mo.T - (0 if o.assume_centered else 1)
        if n_eff < 12:
            raise DataError(f"method='nonlinear' needs an effective sample size of at least 12, got {n_eff}.")
        return K.nonlinear(mo)
    if o.method == "denoise":
        return K.denoise(mo, ddof=o.ddof, detone=o.detone)
    if o.intensity is not None:
        return K.fixed(mo, target=o.target, intensity=o.intensity, market=market)
    if o.target == "identity":
        return K.ledoit_wolf_identity(mo)
    if o.target == "constant_correlation":
        return K.ledoit_wolf_constant_correlation(mo)
    return K.ledoit_wolf_single_index(mo, market)


def _resolve(x):
    return x() if callable(x) else x


def _check_variance(
    X: np.ndarray, m: np.ndarray, var: np.ndarray, columns: pd.Index, where: str = ""
) -> None:
    """Name the assets whose returns are constant (zero variance).

    Columns whose variance is within rounding of zero relative to their mean
    are checked exactly (max == min), so a tiny but real variance passes.
    """
    candidates = np.flatnonzero(var <= 1e-24 * np.maximum(m * m, np.finfo(float).tiny))
    if candidates.size:
        const = [columns[j] for j in candidates if np.ptp(X[:, j]) == 0]
        if const:
            raise DataError(
                f"returns of {format_items(const)} are constant{where} (zero variance): "
                "no correlation can be "
                "estimated for them. Remove these assets."
            )


def _market(market, index: pd.Index, T: int) -> np.ndarray:
    if isinstance(market, pd.Series):
        if not market.index.equals(index):
            missing = index.difference(market.index)
            extra = market.index.difference(index)
            raise InvalidParameterError(
                "market must have the same dates as returns; "
                f"missing: {format_items(missing) or 'none'}; extra: {format_items(extra) or 'none'}."
            )
        values = market.to_numpy(dtype=float)
    else:
        values = np.asarray(market, dtype=float).ravel()
    if values.shape != (T,):
        raise InvalidParameterError(f"market must have {T} observations, got {values.shape[0]}.")
    if not np.isfinite(values).all():
        bad = index[~np.isfinite(values)]
        raise InvalidParameterError(f"market has missing or infinite values on {format_items(bad)}.")
    if np.ptp(values) == 0:
        raise DataError("market returns are constant; the single-index target needs a varying market.")
    return values


def _periods(index: pd.Index, periods_per_year: float | None) -> float | None:
    if periods_per_year is not None:
        return check_real("periods_per_year", periods_per_year, low=0.0, low_open=True)
    if not isinstance(index, pd.DatetimeIndex):
        return None
    from riskkit.calendar import infer_periods_per_year

    try:
        return float(infer_periods_per_year(index))
    except CalendarError:
        return None
