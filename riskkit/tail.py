"""Tail risk: value at risk and expected shortfall, and their split by asset.

Contents
--------
tail_risk   VaR and ES of a portfolio at level ``alpha`` by the historical,
            Gaussian or Cornish-Fisher method, with component contributions
TailRisk    the result

Conventions: losses are positive numbers (a VaR of 0.05 is a 5% loss), for
one period of the returns given (a day for daily data), at confidence level
``alpha`` (0.95: the loss exceeded on 5% of days).

Contributions add up to the total:
* historical ES: the mean loss of each position over the ``k = ceil(T (1 - alpha))``
  worst portfolio periods (conditional mean losses); ES is the mean of those k losses;
* historical VaR: each position's loss in the period that sets the VaR (the k-th worst);
* Gaussian: the analytic Euler contributions
  :math:`w_i(-\\mu_i + z_\\alpha (\\Sigma w)_i / \\sigma)` for VaR and
  :math:`w_i(-\\mu_i + \\phi(z_\\alpha)/(1-\\alpha)\\,(\\Sigma w)_i / \\sigma)` for ES;
* Cornish-Fisher: VaR and ES of the portfolio only (ES integrates the
  Cornish-Fisher quantile over the tail); contributions are not given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._validation import check_choice, check_real, check_same_assets, check_weights, returns_matrix

__all__ = ["TailRisk", "tail_risk"]

Method = Literal["historical", "gaussian", "cornish_fisher"]


@dataclass(frozen=True, eq=False)
class TailRisk:
    """VaR and ES of a portfolio, per period, as positive losses.

    Attributes
    ----------
    method : str
    alpha : float
    var, es : float
    contributions : DataFrame or None
        Columns ``var`` and ``es`` by asset (they sum to ``var`` and ``es``);
        None for Cornish-Fisher.
    info : dict
        Method details (number of tail periods, skewness and excess kurtosis, ...).
    """

    method: str
    alpha: float
    var: float
    es: float
    contributions: pd.DataFrame | None = field(repr=False)
    info: dict = field(default_factory=dict, repr=False)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"method": self.method, "alpha": self.alpha, "VaR": self.var, "ES": self.es}]
        ).set_index("method")


def tail_risk(
    weights: pd.Series,
    returns: pd.DataFrame,
    /,
    *,
    alpha: float = 0.95,
    method: Method = "historical",
) -> TailRisk:
    """Value at risk and expected shortfall of ``returns @ weights``.

    Parameters
    ----------
    weights : Series
        Weights by asset; the same assets as ``returns``' columns.
    returns : DataFrame of shape (n_periods, n_assets)
        Simple returns per period.
    alpha : float in (0.5, 1), default=0.95
    method : {"historical", "gaussian", "cornish_fisher"}

    Returns
    -------
    TailRisk
    """
    from scipy.stats import norm

    check_choice("method", method, ("historical", "gaussian", "cornish_fisher"))
    alpha = check_real("alpha", alpha, low=0.5, high=1.0, low_open=True, high_open=True)
    w = check_weights("weights", weights)
    X, index, columns = returns_matrix("returns", returns)
    check_same_assets("weights", w.index, "returns", columns)
    wv = w.reindex(columns).to_numpy()
    port = X @ wv
    if method == "historical":
        k = max(math.ceil(len(port) * (1.0 - alpha) - 1e-12), 1)
        order = np.argsort(port, kind="stable")[:k]
        losses = -(X[order] * wv)  # (k, N) position losses in the tail periods
        es_c = losses.mean(axis=0)
        var_c = losses[-1]
        contrib = pd.DataFrame({"var": var_c, "es": es_c}, index=columns)
        info = {"tail_periods": k, "var_date": index[order[-1]]}
        return TailRisk(method, alpha, float(var_c.sum()), float(es_c.sum()), contrib, info)
    mu = X.mean(axis=0)
    cov = np.cov(X, rowvar=False, ddof=1).reshape(len(wv), len(wv))
    sigma = float(np.sqrt(wv @ cov @ wv))
    m = float(mu @ wv)
    z = float(norm.ppf(alpha))
    if method == "gaussian":
        marginal = cov @ wv / sigma
        var_c = wv * (-mu + z * marginal)
        es_c = wv * (-mu + norm.pdf(z) / (1.0 - alpha) * marginal)
        contrib = pd.DataFrame({"var": var_c, "es": es_c}, index=columns)
        return TailRisk(
            method, alpha, float(var_c.sum()), float(es_c.sum()), contrib, {"mean": m, "sigma": sigma}
        )
    c = port - port.mean()
    sd = float(np.sqrt(np.mean(c * c)))
    skew = float(np.mean(c**3) / sd**3)
    kurt = float(np.mean(c**4) / sd**4 - 3.0)
    var = -(m + sigma * _cf_quantile(1.0 - alpha, skew, kurt))
    # ES of the Cornish-Fisher distribution: the mean of its quantile over the tail (Gauss-Legendre)
    nodes, wts = np.polynomial.legendre.leggauss(64)
    u = (1.0 - alpha) * (nodes + 1.0) / 2.0
    es = -(m + sigma * float(np.sum(wts * _cf_quantile(u, skew, kurt))) / 2.0)
    return TailRisk(method, alpha, float(var), float(es), None, {"skewness": skew, "excess_kurtosis": kurt})


def _cf_quantile(p, skew: float, kurt: float):
    """Cornish-Fisher expansion of the standard quantile at probability ``p``."""
    from scipy.stats import norm

    z = norm.ppf(p)
    return z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24 - (2 * z**3 - 5 * z) * skew**2 / 36
