"""The covariance algebra every topic shares, written once.

Contents
--------
cov_to_corr           correlation from a covariance: symmetric, unit diagonal
correlation_distance  sqrt((1 - rho) / 2), the metric hierarchical clustering uses
euler_contributions   volatility and each asset's marginal and component share of it
tail_weights          the weights of the worst periods in a historical expected shortfall (fractional tail)
min_scenarios         the fewest periods whose tail at a level holds one whole period
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


TAIL_ROUNDING = 1e-12  # a tail mass this close to a whole number of periods is that number


def min_scenarios(level: float) -> int:
    """The fewest periods :math:`n` whose tail at ``level`` holds at least one whole period,
    :math:`n(1 - \\text{level}) \\ge 1` up to rounding (10 x (1 - 0.9) is 0.9999999999999998 in
    floating point, and holds one period), the test the ES budget applies: 10 at 90%, 20 at 95%.

    >>> min_scenarios(0.9), min_scenarios(0.95), min_scenarios(0.975), min_scenarios(0.99)
    (10, 20, 40, 100)
    """
    n = max(int(np.ceil(1.0 / (1.0 - level) - TAIL_ROUNDING)), 1)
    while n * (1.0 - level) < 1.0 - TAIL_ROUNDING:
        n += 1
    while n > 1 and (n - 1) * (1.0 - level) >= 1.0 - TAIL_ROUNDING:
        n -= 1
    return n


def tail_weights(n: int, level: float) -> np.ndarray:
    """Weights of the ``k = ceil(n (1 - level))`` worst of ``n`` periods in a historical expected
    shortfall, worst first: the fractional tail of Acerbi & Tasche (2002) and Rockafellar & Uryasev
    (2002). With :math:`m = n(1 - \\text{level})`, each of the first :math:`k - 1` gets :math:`1/m`
    and the boundary period (the k-th worst, the VaR's) gets :math:`(m - (k - 1))/m`, the fraction
    of it inside the tail; they sum to 1. When :math:`m` is an integer this is the plain mean of the
    :math:`m` worst; otherwise it is not the mean of the :math:`\\lceil m \\rceil` worst, which
    understates ES (0.79% at n = 250, level 0.95). At least one period (its weight 1).

    >>> tail_weights(250, 0.95)[-2:].tolist()  # m = 12.5: twelve of 1/12.5, the 13th half as much
    [0.08, 0.04]
    """
    m = n * (1.0 - level)
    k = max(int(np.ceil(m - TAIL_ROUNDING)), 1)
    if m <= 1.0:
        return np.ones(1)
    w = np.full(k, 1.0 / m)
    w[-1] = (m - (k - 1)) / m
    return w
