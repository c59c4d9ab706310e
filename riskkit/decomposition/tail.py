"""Tail risk: value at risk and expected shortfall, and their split by asset.

Contents
--------
tail_risk       VaR and ES of a portfolio at ``level`` by the historical,
                Gaussian or Cornish-Fisher method, with component contributions
tail_risk_core  the same on inputs already checked (for a caller that checked them once)
min_scenarios   the fewest periods a historical ES at ``level`` needs (20 at 95%)
TailRisk        the result

Conventions: losses are positive numbers (a VaR of 0.05 is a 5% loss), for
one period of the returns given (a day for daily data: never annualised, and each
summary says so in ``units``), at confidence ``level`` (0.95: the loss exceeded on
5% of days; formerly ``alpha``).

Contributions add up to the total:

* historical ES: the fractional tail of Acerbi & Tasche (2002) and Rockafellar & Uryasev
  (2002). With :math:`m = T(1 - \\text{level})` and ``k = ceil(m)``, ES is the weighted mean of
  the k worst portfolio losses, weight :math:`1/m` for the first :math:`k - 1` and
  :math:`(m - \\lfloor m \\rfloor)/m` (the fraction of it inside the tail) for the k-th, the
  boundary period; :math:`1/m` for all when :math:`m` is an integer. Each position's
  contribution is its loss in those periods with the same weights, so they add up to ES.
  (The plain mean of the k worst, which riskkit used before, understates ES whenever
  :math:`m` is not an integer: by 0.79% at T = 250, level 0.95.)
* historical VaR: the k-th worst loss, and each position's loss in that period;
* Gaussian: the analytic Euler contributions
  :math:`w_i(-\\mu_i + z_\\alpha (\\Sigma w)_i / \\sigma)` for VaR and
  :math:`w_i(-\\mu_i + \\phi(z_\\alpha)/(1-\\alpha)\\,(\\Sigma w)_i / \\sigma)` for ES;
* Cornish-Fisher: VaR and ES of the portfolio only; contributions are not given.
  ES is the mean of the Cornish-Fisher quantile over the tail, in closed form from
  the partial moments of the standard normal below :math:`c = z_{1-\\alpha}`
  (:math:`p = 1 - \\alpha`, :math:`S` skewness, :math:`K` excess kurtosis):

  .. math::
     \\frac1p\\int_0^p q_{CF}(u)\\,du = -\\frac{\\phi(c)}{p}\\Big[1 + \\frac{cS}{6}
     + \\frac{(c^2 - 1)K}{24} + \\frac{(1 - 2c^2)S^2}{36}\\Big].

  The expansion is a distribution's quantile only where it is increasing; outside
  that region of (S, K) (Maillard 2012) the numbers mean little and a
  :class:`~riskkit.exceptions.ModelValidityWarning` says so.

References
----------
Acerbi, C. & Tasche, D. (2002). On the coherence of expected shortfall. J. Banking & Finance
26(7), eq. (3.3) (the historical estimator with the fractional boundary term).
Rockafellar, R. T. & Uryasev, S. (2002). Conditional value-at-risk for general loss
distributions. J. Banking & Finance 26(7).
Maillard, D. (2012). A user's guide to the Cornish Fisher expansion. SSRN 1997178.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.matrices import euler_contributions, min_scenarios, tail_weights
from riskkit._core.result import Result
from riskkit._core.validation import (
    check_choice,
    check_real,
    check_same_assets,
    check_weights,
    returns_matrix,
)
from riskkit._core.vocabulary import renamed

__all__ = ["METHOD_NAMES", "TailRisk", "min_scenarios", "tail_risk", "tail_risk_core"]

Method = Literal["historical", "gaussian", "cornish_fisher"]
METHOD_NAMES = {"historical": "historical", "gaussian": "Gaussian", "cornish_fisher": "Cornish-Fisher"}
"""The methods as a report names them (a table's row labels)."""


@dataclass(frozen=True, eq=False, repr=False)
class TailRisk(Result):
    """VaR and ES of a portfolio, per period, as positive losses.

    Attributes
    ----------
    method : str
    level : float
        Confidence level (formerly ``alpha``).
    var, es : float
    contributions : DataFrame or None
        Columns ``var`` and ``es`` by asset (they sum to ``var`` and ``es``);
        None for Cornish-Fisher.
    info : dict
        Method details (number of tail periods, skewness and excess kurtosis, ...).
    """

    method: str
    level: float
    var: float
    es: float
    contributions: pd.DataFrame | None = field(repr=False)
    info: dict = field(default_factory=dict, repr=False)

    @property
    def alpha(self) -> float:
        """Former name of :attr:`level`, kept for one release."""
        from riskkit._core.vocabulary import REMOVED_IN, warn_renamed

        warn_renamed(f"TailRisk.alpha is now TailRisk.level; alpha will be removed in riskkit {REMOVED_IN}.")
        return self.level

    def summary(self) -> pd.DataFrame:
        """One row by method: ``level``, ``VaR`` and ``ES`` (positive losses) and their ``units``
        (always ``"per period"``: one period of the returns)."""
        # built by column (not a record then set_index): decompose makes three of these per call
        return pd.DataFrame(
            {"level": [self.level], "VaR": [self.var], "ES": [self.es], "units": ["per period"]},
            index=pd.Index([self.method], name="method"),
        )


@renamed(alpha="level")
def tail_risk(
    weights: pd.Series,
    returns: pd.DataFrame,
    /,
    *,
    level: float = 0.95,
    method: Method = "historical",
) -> TailRisk:
    """Value at risk and expected shortfall of ``returns @ weights``.

    Parameters
    ----------
    weights : Series
        Weights by asset; the same assets as ``returns``' columns.
    returns : DataFrame of shape (n_periods, n_assets)
        Simple returns per period.
    level : float in (0.5, 1), default=0.95
        Confidence level (formerly ``alpha``).
    method : {"historical", "gaussian", "cornish_fisher"}

    Returns
    -------
    TailRisk
    """
    check_choice("method", method, ("historical", "gaussian", "cornish_fisher"))
    level = check_real("level", level, low=0.5, high=1.0, low_open=True, high_open=True)
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    X, index, columns = returns_matrix("returns", returns)
    check_same_assets("weights", w.index, "returns", columns)
    return tail_risk_core(w.reindex(columns).to_numpy(), X, index, columns, level, method)


def tail_risk_core(
    wv: np.ndarray,
    X: np.ndarray,
    index: pd.Index,
    columns: pd.Index,
    level: float,
    method: str,
    covariance: np.ndarray | None = None,
) -> TailRisk:
    """The computation of :func:`tail_risk`, on inputs already checked by :func:`tail_risk`.

    For a caller that has checked the inputs once (:func:`riskkit.decomposition.decompose`):
    ``X, index, columns`` as :func:`riskkit._core.validation.returns_matrix` returns them,
    ``wv`` the checked weights aligned to ``columns``, ``level`` in (0.5, 1) and ``method``
    one of ``"historical"``, ``"gaussian"``, ``"cornish_fisher"``. Nothing is checked again.
    ``covariance`` (N x N, in the order of ``columns``): the covariance the Gaussian and
    Cornish-Fisher volatility comes from, when the caller has one (decompose: the same estimate as
    its volatility); the sample covariance of ``X`` (ddof 1) when None.
    """
    from riskkit._core import normal as norm

    port = X @ wv
    if method == "historical":
        tw = tail_weights(len(port), level)  # the fractional tail, worst first
        k = len(tw)
        order = np.argsort(port, kind="stable")[:k]
        losses = -(X[order] * wv)  # (k, N) position losses in the tail periods
        es_c = tw @ losses
        var_c = losses[-1]
        contrib = pd.DataFrame({"var": var_c, "es": es_c}, index=columns)
        info = {"tail_periods": k, "tail_size": len(port) * (1.0 - level), "var_date": index[order[-1]]}
        return TailRisk(method, level, float(var_c.sum()), float(es_c.sum()), contrib, info)
    mu = X.mean(axis=0)
    cov = np.cov(X, rowvar=False, ddof=1).reshape(len(wv), len(wv)) if covariance is None else covariance
    sigma, marginal, _ = euler_contributions(wv, cov)  # zeros for a constant portfolio: no spread
    m = float(mu @ wv)
    z = float(norm.ppf(level))
    if method == "gaussian":
        var_c = wv * (-mu + z * marginal)
        es_c = wv * (-mu + norm.pdf(z) / (1.0 - level) * marginal)
        contrib = pd.DataFrame({"var": var_c, "es": es_c}, index=columns)
        return TailRisk(
            method, level, float(var_c.sum()), float(es_c.sum()), contrib, {"mean": m, "sigma": sigma}
        )
    c = port - port.mean()
    sd = float(np.sqrt(np.mean(c * c)))
    if sd > 1e-13 * max(float(np.max(np.abs(port))), 1e-300):
        skew = float(np.mean(c**3) / sd**3)
        kurt = float(np.mean(c**4) / sd**4 - 3.0)
    else:  # constant portfolio returns: no shape to correct for
        skew = kurt = 0.0
    p = 1.0 - level
    var = -(m + sigma * _cf_quantile(p, skew, kurt))
    es = -(m + sigma * _cf_tail_mean(p, skew, kurt))
    monotone = _cf_monotone(skew, kurt)
    if not monotone:
        import warnings

        from riskkit.exceptions import ModelValidityWarning

        warnings.warn(
            f"the Cornish-Fisher expansion is not monotone for skewness {skew:.3g} and excess "
            f"kurtosis {kurt:.3g} (Maillard 2012): it is not a quantile function there, and its "
            f"VaR {var:.4g} and ES {es:.4g} mean little. Use method='historical', or silence with "
            "warnings.simplefilter('ignore', riskkit.exceptions.ModelValidityWarning).",
            ModelValidityWarning,
            stacklevel=3,
        )
    info = {"skewness": skew, "excess_kurtosis": kurt, "monotone": monotone}
    return TailRisk(method, level, float(var), float(es), None, info)


_CF_RANGE = 4.753424308822899  # |z| <= Phi^-1(1 - 1e-6): the quantiles from 1e-6 to 1 - 1e-6


def _cf_monotone(skew: float, kurt: float, bound: float = _CF_RANGE) -> bool:
    """Whether the Cornish-Fisher quantile increases over :math:`|z| \\le` ``bound``.

    Its derivative in z is the quadratic :math:`a z^2 + b z + c` with
    :math:`a = K/8 - S^2/6`, :math:`b = S/3`, :math:`c = 1 - K/8 + 5S^2/36`
    (Maillard 2012); it must stay positive on the interval: at both ends and at
    the vertex when that lies inside. The interval (quantiles 1e-6 to 1 - 1e-6)
    keeps a slightly negative sample kurtosis, whose expansion turns down only
    beyond :math:`|z| = 9`, from being flagged.
    """
    a = kurt / 8.0 - skew**2 / 6.0
    b = skew / 3.0
    c = 1.0 - kurt / 8.0 + 5.0 * skew**2 / 36.0
    points = [-bound, bound]
    if a != 0.0 and abs(-b / (2.0 * a)) < bound:
        points.append(-b / (2.0 * a))
    return all(a * z * z + b * z + c > 0.0 for z in points)


def _cf_tail_mean(p: float, skew: float, kurt: float) -> float:
    """:math:`\\frac1p\\int_0^p q_{CF}(u)\\,du` in closed form (see the module docstring)."""
    from riskkit._core import normal as norm

    z = float(norm.ppf(p))
    bracket = 1.0 + z * skew / 6.0 + (z * z - 1.0) * kurt / 24.0 + (1.0 - 2.0 * z * z) * skew**2 / 36.0
    return -float(norm.pdf(z)) / p * bracket


def _cf_quantile(p, skew: float, kurt: float):
    """Cornish-Fisher expansion of the standard quantile at probability ``p``."""
    from riskkit._core import normal as norm

    z = norm.ppf(p)
    return z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24 - (2 * z**3 - 5 * z) * skew**2 / 36
