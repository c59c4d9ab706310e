"""The covariance algebra every topic shares, written once.

Contents
--------
cov_to_corr           correlation from a covariance: symmetric, unit diagonal
correlation_distance  sqrt((1 - rho) / 2), the metric hierarchical clustering uses
euler_contributions   volatility and each asset's marginal and component share of it
"""

from __future__ import annotations

import numpy as np


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    """Correlation from a covariance: symmetric, unit diagonal.

    >>> cov_to_corr(np.array([[4.0, 1.0], [1.0, 1.0]])).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    corr = (corr + corr.T) / 2.0
    np.fill_diagonal(corr, 1.0)
    return corr


def correlation_distance(corr: np.ndarray) -> np.ndarray:
    """The distance ``sqrt((1 - rho) / 2)`` between assets (0 for rho = 1, 1 for
    rho = -1; Mantegna 1999, Lopez de Prado 2016). Rounding that takes a
    correlation a hair above 1 gives 0, not NaN.

    >>> correlation_distance(np.array([[1.0, -1.0], [-1.0, 1.0]])).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    return np.sqrt(np.clip((1.0 - np.asarray(corr, dtype=float)) / 2.0, 0.0, None))


def euler_contributions(w: np.ndarray, cov: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Euler's decomposition of the volatility ``sigma = sqrt(w' S w)``:
    ``(sigma, marginal, component)`` with ``marginal = S w / sigma`` and
    ``component = w * marginal`` (the components sum to sigma). ``sigma`` is
    0 and the others zeros for a portfolio without variance; callers that
    need a share of risk refuse that case.

    >>> s, m, c = euler_contributions(np.array([0.5, 0.5]), np.array([[0.04, 0.0], [0.0, 0.01]]))
    >>> round(s, 6), c.round(6).tolist()
    (0.111803, [0.089443, 0.022361])
    """
    Sw = cov @ w
    var = float(w @ Sw)
    if not var > 0.0:
        return 0.0, np.zeros(len(w)), np.zeros(len(w))
    sigma = float(np.sqrt(var))
    marginal = Sw / sigma
    return sigma, marginal, w * marginal
