"""Covariance and correlation estimation with shrinkage, intensity reported.

May import: riskkit._core, riskkit.exceptions, riskkit.data.

Inside: ``_kernels`` (the ndarray estimators), ``_dispatch`` (method names and their options
to a kernel), ``_rolling`` (moving-window estimates), ``estimators`` (public: the
scikit-learn estimator wrapping :func:`shrink`).

Contents
--------
shrink            one estimate from a returns table, any method below
shrink_core       shrink on returns already read and checked (the core decompose calls)
ShrinkageResult   covariance, correlation, intensity, target, condition numbers, summary()
rolling_shrink    a date-indexed series of estimates over moving windows (incremental)
RollingShrinkage  its result: estimates by date, ``at(date)`` for backtests
shrinkage_options what ``shrinkage=`` means everywhere: a method name or a mapping of shrink's options

Methods (``method=``)
---------------------
``"sample"``       sample covariance, ``ddof`` explicit (default 1)
``"ewma"``         exponentially weighted, ``halflife=`` or ``lam=``
``"riskmetrics"``  EWMA with lambda 0.94 and zero mean (J.P. Morgan RiskMetrics 1996)
``"ledoit_wolf"``  linear shrinkage toward ``target=``:
                   ``"identity"`` (Ledoit & Wolf 2004; equals ``sklearn.covariance.ledoit_wolf``),
                   ``"constant_correlation"`` (Ledoit & Wolf 2003, "Honey, I shrunk..."; for
                   two assets the target is the sample covariance itself: intensity 0),
                   ``"single_index"`` (Ledoit & Wolf 2003, "Improved estimation...";
                   ``market=`` series, or the equal-weighted average);
                   ``intensity=`` fixes the intensity instead of estimating it
``"oas"``          oracle approximating shrinkage (Chen, Wiesel, Eldar & Hero 2010) as
                   scikit-learn computes it (equals ``sklearn.covariance.oas``): the intensity
                   of their eq. 23 without its two :math:`2/p` terms,
                   :math:`\\min(\\frac{\\operatorname{tr}(S^2) + \\operatorname{tr}^2(S)}
                   {(T + 1)(\\operatorname{tr}(S^2) - \\operatorname{tr}^2(S)/N)}, 1)`; riskkit
                   follows scikit-learn, the reference most users compare with
``"oas_paper"``    the same with eq. 23 as printed, :math:`(1 - 2/N)\\operatorname{tr}(S^2)` in
                   the numerator and :math:`T + 1 - 2/N` in the denominator (the intensities
                   differ by about 9% at 5 assets, by 60% or more at 2; they agree as N grows)
``"nonlinear"``    analytical nonlinear shrinkage (Ledoit & Wolf 2020)
``"denoise"``      Marchenko-Pastur eigenvalue clipping of the correlation, ``detone=``
                   removes the market mode

Centering and ddof: the data are demeaned per asset (unless
``assume_centered=True``). The linear shrinkage estimators (Ledoit-Wolf, OAS,
fixed intensity) start from :math:`S = X_c^\\top X_c / T` (ddof = 0), as the
papers and scikit-learn do; nonlinear shrinkage uses :math:`T - 1` as its
effective sample size; ``ddof`` is a choice only for ``"sample"`` and
``"denoise"``. Covariances are per period; ``annualised_covariance`` and
``volatility`` follow the package's annualisation rule
(:func:`riskkit.data.calendar.resolve_periods_per_year`): the
``periods_per_year`` passed, else the one the returns' dates give, else none,
and the figures stay per period (a returns table without dates).

The correlation is always derived from the chosen covariance, so it is
symmetric, has a unit diagonal and is positive semi-definite whenever the
covariance is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from riskkit._core.matrices import cov_to_corr
from riskkit._core.result import Result
from riskkit._core.validation import check_finite_values, format_items, returns_matrix
from riskkit.data.calendar import annualise, resolve_periods_per_year, units
from riskkit.exceptions import InvalidParameterError
from riskkit.shrinkage import _kernels as K
from riskkit.shrinkage._dispatch import METHOD_NAMES, METHODS, RISKMETRICS_LAMBDA, TARGETS, Method, Target
from riskkit.shrinkage._dispatch import check_variance as _check_variance
from riskkit.shrinkage._dispatch import estimate as _estimate
from riskkit.shrinkage._dispatch import market_series as _market
from riskkit.shrinkage._dispatch import on_a_safe_scale as _on_a_safe_scale
from riskkit.shrinkage._dispatch import options as _options
from riskkit.shrinkage._dispatch import resolve as _resolve
from riskkit.shrinkage._rolling import RollingShrinkage, rolling_shrink

__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "RISKMETRICS_LAMBDA",
    "TARGETS",
    "RollingShrinkage",
    "ShrinkageResult",
    "rolling_shrink",
    "shrink",
    "shrink_core",
    "shrinkage_options",
]

DEFAULT_SHRINKAGE = "ledoit_wolf"  # what shrinkage=None means in every function that estimates inside


def shrinkage_options(
    shrinkage: str | Mapping[str, Any] | None, /, *, rolling: bool = False
) -> dict[str, Any]:
    """What ``shrinkage=`` means in every riskkit function and notebook: the keywords
    of :func:`shrink` it stands for.

    - None: the default, Ledoit-Wolf toward the identity;
    - a method name (one of :data:`METHODS`): that method with its defaults;
    - a mapping of :func:`shrink`'s keywords, such as
      ``{"method": "ledoit_wolf", "target": "constant_correlation"}`` or
      ``{"method": "ewma", "halflife": 60}`` (``method`` defaults to Ledoit-Wolf).

    Unknown names are refused here, with the list of those that exist;
    ``rolling=True`` (for :func:`rolling_shrink`) also refuses the options of
    :func:`shrink` that a moving-window estimate does not take (``halflife``, ``lam``).

    >>> shrinkage_options("oas"), shrinkage_options({"method": "ewma", "halflife": 60})
    ({'method': 'oas'}, {'method': 'ewma', 'halflife': 60})
    >>> shrinkage_options({"method": "ewma", "halflife": 60}, rolling=True)
    Traceback (most recent call last):
    ...
    riskkit.exceptions.InvalidParameterError: shrinkage option 'halflife' does not apply to a moving-window
    estimate (rolling_shrink); the options are 'method', 'target', 'intensity', 'market', 'ddof', 'detone',
    'assume_centered', 'periods_per_year'.
    >>> shrinkage_options({"halflfe": 60})
    Traceback (most recent call last):
    ...
    riskkit.exceptions.InvalidParameterError: shrinkage has an unknown option 'halflfe'; the options are
    'method', 'target', 'intensity', 'market', 'halflife', 'lam', 'ddof', 'detone', 'assume_centered',
    'periods_per_year'.
    """
    if shrinkage is None:
        return {"method": DEFAULT_SHRINKAGE}
    if isinstance(shrinkage, str):
        if shrinkage not in METHODS:
            raise InvalidParameterError(
                f"shrinkage={shrinkage!r} is not a method; the methods are {format_items(METHODS, limit=20)}."
            )
        shrinkage = {"method": shrinkage}
    elif not isinstance(shrinkage, Mapping):
        raise InvalidParameterError(
            "shrinkage must be a method name or a mapping of shrink()'s options, "
            f"got {type(shrinkage).__name__}."
        )
    defaults = shrink.__kwdefaults__
    if rolling:
        defaults = {k: v for k, v in defaults.items() if k in rolling_shrink.__kwdefaults__}
    unknown = [k for k in shrinkage if k not in defaults]
    if unknown:
        what = (
            f"option {format_items(unknown)} does not apply to a moving-window estimate (rolling_shrink)"
            if rolling
            else f"has an unknown option {format_items(unknown)}"
        )
        raise InvalidParameterError(f"shrinkage {what}; the options are {format_items(defaults, limit=20)}.")
    options = {"method": DEFAULT_SHRINKAGE} | dict(shrinkage)
    _check_whole_history(options, rolling)
    return options


def _check_whole_history(options: Mapping[str, Any], rolling: bool) -> None:
    """EWMA weights the whole history: refused in a moving window, and named with the
    decay it needs (``shrinkage="ewma"`` alone cannot say it) everywhere else."""
    method = options["method"]
    if method not in ("ewma", "riskmetrics"):
        return
    if rolling:
        raise InvalidParameterError(
            f"shrinkage method {method!r} weights the whole history; a moving-window estimate takes "
            f"{format_items(m for m in METHODS if m not in ('ewma', 'riskmetrics'))}."
        )
    if method == "ewma" and ("halflife" in options) == ("lam" in options):
        raise InvalidParameterError(
            "shrinkage method 'ewma' needs exactly one of its decay options: "
            "shrinkage={'method': 'ewma', 'halflife': 60} (in periods) or {'method': 'ewma', 'lam': 0.97}; "
            "'riskmetrics' is EWMA with lam=0.94."
        )


@dataclass(frozen=True, eq=False, repr=False)
class ShrinkageResult(Result):
    """A covariance estimate and how it was made.

    Plain data throughout (the sample covariance and the target are made on
    first use by picklable ``functools.partial`` objects, never lambdas), so a
    result, and an estimator holding one, pickles and ``joblib.dump``-s.

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
        As passed, else inferred from the returns' dates on first use
        (:func:`~riskkit.data.calendar.resolve_periods_per_year`); None, per
        period, for returns without dates.
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
        """As passed to :func:`shrink`, else inferred from the returns' dates; None (per
        period) without dates. Dates on a calendar that cannot be read (a spacing of
        none of :func:`~riskkit.data.calendar.infer_periods_per_year`'s rules)
        raise :class:`~riskkit.exceptions.CalendarError` asking for the value."""
        return resolve_periods_per_year(self._index, self._periods_per_year)

    @cached_property
    def correlation(self) -> pd.DataFrame:
        """Correlation derived from :attr:`covariance` (unit diagonal)."""
        return self._label(cov_to_corr(self.covariance.to_numpy()))

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
        """:attr:`covariance` times :attr:`periods_per_year`; the per-period
        covariance when that is None (returns without dates)."""
        return annualise(self.covariance, self.periods_per_year)

    @property
    def volatility(self) -> pd.Series:
        """Each asset's volatility, the square root of the diagonal, annualised by
        :attr:`periods_per_year` (times its square root); per period when that is None."""
        sd = np.sqrt(np.diag(self.covariance.to_numpy()))
        return pd.Series(
            annualise(sd, self.periods_per_year, power=0.5), index=self.covariance.index, name="volatility"
        )

    def summary(self) -> pd.DataFrame:
        """One row: method, target, intensity, T, N, T/N, condition numbers before and
        after, the assets' mean volatility and ``units`` (``"annual"`` or ``"per period"``:
        those of ``mean_volatility``, :attr:`volatility` and :attr:`annualised_covariance`;
        :attr:`covariance` itself is always per period)."""
        row = {
            "method": self.method,
            "target": self.target,
            "intensity": self.intensity,
            "observations": self.n_observations,
            "assets": self.n_assets,
            "T/N": self.n_observations / self.n_assets,
            "condition_sample": self.condition_number_sample,
            "condition_estimate": self.condition_number,
            "mean_volatility": float(self.volatility.mean()),
            "units": units(self.periods_per_year),
        }
        return pd.DataFrame([row]).set_index("method")

    def __repr__(self) -> str:
        how = self.method if self.target is None else f"{self.method} toward {self.target}"
        said = "" if self.intensity is None else f", intensity {self.intensity:.4f}"
        return f"ShrinkageResult({how}{said}; {self.n_observations} observations x {self.n_assets} assets)"

    def _label(self, a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=self.covariance.index, columns=self.covariance.columns, copy=False)


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
        For :attr:`ShrinkageResult.annualised_covariance` and
        :attr:`~ShrinkageResult.volatility`; inferred from the dates when not
        given; without dates (or an array) the figures stay per period.

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
    MMSE covariance estimation. IEEE Trans. Signal Processing 58(10), eq. 23 (``"oas_paper"``;
    ``"oas"`` drops its :math:`2/p` terms, as scikit-learn does).
    Ledoit, O. & Wolf, M. (2020). Analytical nonlinear shrinkage of large-dimensional
    covariance matrices. Annals of Statistics 48(5).

    Examples
    --------
    >>> import riskkit as rk
    >>> r = rk.data.to_returns(rk.datasets.load("crypto_sim"))
    >>> res = rk.shrinkage.shrink(r, method="ledoit_wolf", target="constant_correlation")
    >>> round(res.intensity, 4)
    0.3739
    """
    options = {k: v for k, v in locals().items() if k != "returns"}  # the keywords, as given
    X, index, columns = returns_matrix("returns", returns, check_finite=False)
    return shrink_core(X, index, columns, options)


def shrink_core(
    X: np.ndarray, index: pd.Index, columns: pd.Index, options: Mapping[str, Any], /
) -> ShrinkageResult:
    """:func:`shrink`'s core, inputs already checked by :func:`shrink` (its
    ``returns_matrix``): ``X`` (periods x assets), its ``index`` and ``columns``;
    ``options``: some of shrink's keywords (its defaults fill the rest), as
    :func:`shrinkage_options` gives them. The estimator's own checks (finite
    values, constant columns) are made here, where they are cheap."""
    defaults = shrink.__kwdefaults__
    unknown = [k for k in options if k not in defaults]
    if unknown:
        raise InvalidParameterError(
            f"unknown shrinkage option {format_items(unknown)}; the options are {format_items(defaults)}."
        )
    o = defaults | dict(options)
    method, target, market, assume_centered = o["method"], o["target"], o["market"], o["assume_centered"]
    periods_per_year = o["periods_per_year"]
    opts = _options(
        method, target, o["intensity"], o["halflife"], o["lam"], o["ddof"], o["detone"], assume_centered
    )
    if market is not None and not (method == "ledoit_wolf" and target == "single_index"):
        raise InvalidParameterError("market applies to method='ledoit_wolf', target='single_index' only.")
    mkt = _market(market, index, X.shape[0]) if market is not None else None
    X, unscale = _on_a_safe_scale(X)
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
    est = unscale(est)
    ppy = resolve_periods_per_year(None, periods_per_year)  # checked now; dates are read on first use
    return ShrinkageResult(
        covariance=pd.DataFrame(est.cov, index=columns, columns=columns, copy=False),  # est.cov is ours alone
        method=method,
        target=target if method in ("ledoit_wolf", "oas", "oas_paper") else None,
        intensity=est.intensity,
        n_observations=X.shape[0],
        n_assets=X.shape[1],
        info=est.info,
        _index=index,
        _periods_per_year=ppy,
        _base=est.base,
        _target=est.target,
    )
