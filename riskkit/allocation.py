"""Target weights from a covariance: equal weight, inverse volatility, minimum
variance, maximum diversification, and risk budgeting.

Contents
--------
equal_weight          1/N
inverse_volatility    w_i proportional to 1 / sigma_i
min_variance          fully invested minimum variance, unconstrained (closed form) or long-only
max_diversification   maximum diversification ratio (Choueifaty & Coignard 2008), long-only
risk_budgeting        weights whose risk contributions equal given budgets (ERC by default),
                      solved by Newton's method on Spinu's (2013) convex formulation

All functions take a labelled per-period covariance (DataFrame) and return a
weight Series on its assets, summing to one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskkit._validation import check_covariance, check_int, check_real, format_items
from riskkit.exceptions import InvalidParameterError

__all__ = [
    "equal_weight",
    "inverse_volatility",
    "max_diversification",
    "min_variance",
    "risk_budgeting",
]


def equal_weight(covariance: pd.DataFrame, /) -> pd.Series:
    """1/N on the covariance's assets."""
    cov = check_covariance("covariance", covariance)
    return pd.Series(1.0 / len(cov), index=cov.index, name="weight")


def inverse_volatility(covariance: pd.DataFrame, /) -> pd.Series:
    """:math:`w_i \\propto 1/\\sigma_i` (the ERC solution when all correlations are equal)."""
    cov = check_covariance("covariance", covariance)
    inv = 1.0 / np.sqrt(np.diag(cov.to_numpy()))
    return pd.Series(inv / inv.sum(), index=cov.index, name="weight")


def min_variance(covariance: pd.DataFrame, /, *, long_only: bool = True) -> pd.Series:
    """Fully invested minimum-variance weights.

    Unconstrained: :math:`w = \\Sigma^{-1}\\mathbf{1} / \\mathbf{1}^\\top\\Sigma^{-1}\\mathbf{1}`.
    Long-only: the quadratic programme with :math:`w \\ge 0`, solved by
    scipy's SLSQP from the inverse-volatility portfolio.
    """
    cov = check_covariance("covariance", covariance)
    S = cov.to_numpy()
    if not long_only:
        x = np.linalg.solve(S, np.ones(len(S)))
        return pd.Series(x / x.sum(), index=cov.index, name="weight")
    w = _long_only_qp(S, np.ones(len(S)))
    return pd.Series(w, index=cov.index, name="weight")


def max_diversification(covariance: pd.DataFrame, /) -> pd.Series:
    """Long-only weights maximising :math:`w^\\top\\sigma / \\sqrt{w^\\top\\Sigma w}`.

    Solved as the minimum-variance problem :math:`\\min y^\\top\\Sigma y` subject
    to :math:`y^\\top\\sigma = 1, y \\ge 0`, then :math:`w = y / \\sum y`.
    """
    cov = check_covariance("covariance", covariance)
    S = cov.to_numpy()
    w = _long_only_qp(S, np.sqrt(np.diag(S)))
    return pd.Series(w, index=cov.index, name="weight")


def _long_only_qp(S: np.ndarray, a: np.ndarray) -> np.ndarray:
    """argmin y'Sy s.t. a'y = 1, y >= 0, returned normalised to sum 1."""
    from scipy.optimize import minimize

    n = len(S)
    scale = float(np.mean(np.diag(S)))
    x0 = 1.0 / np.sqrt(np.diag(S))
    x0 = x0 / (a @ x0)
    res = minimize(
        lambda y: float(y @ S @ y) / scale,
        x0,
        jac=lambda y: 2.0 * (S @ y) / scale,
        bounds=[(0.0, None)] * n,
        constraints=[{"type": "eq", "fun": lambda y: float(a @ y) - 1.0, "jac": lambda y: a}],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    y = np.clip(res.x, 0.0, None)
    return y / y.sum()


def risk_budgeting(
    covariance: pd.DataFrame,
    /,
    *,
    budgets: Mapping | pd.Series | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> pd.Series:
    """Long-only weights whose risk contributions equal ``budgets``.

    Spinu (2013): the unique positive minimiser of the strictly convex
    :math:`f(y) = \\tfrac12 y^\\top\\Sigma y - \\sum_i b_i \\ln y_i` satisfies
    :math:`y_i(\\Sigma y)_i = b_i`, so :math:`w = y / \\sum y` has risk shares
    :math:`w_i(\\Sigma w)_i / w^\\top\\Sigma w = b_i`. Solved by Newton's method
    with a step kept inside the positive orthant (damped while far), which
    converges quadratically: risk shares match the budgets to about 1e-12.

    Parameters
    ----------
    covariance : DataFrame
    budgets : mapping or Series, optional
        Risk budget per asset, positive, summing to 1; equal (ERC) by default.
    tol : float
        Stop when the largest relative error of the risk shares is below this.
    """
    cov = check_covariance("covariance", covariance)
    n = len(cov)
    if budgets is None:
        b = np.full(n, 1.0 / n)
    else:
        bs = pd.Series(budgets, dtype=float)
        missing = cov.index.difference(bs.index)
        extra = bs.index.difference(cov.index)
        if len(missing) or len(extra):
            raise InvalidParameterError(
                f"budgets must cover the covariance's assets; missing: {format_items(missing) or 'none'}; "
                f"unknown: {format_items(extra) or 'none'}."
            )
        b = bs.reindex(cov.index).to_numpy()
        if not np.isfinite(b).all() or (b <= 0).any():
            raise InvalidParameterError(
                f"budgets must be positive; not for {format_items(cov.index[~(b > 0)])}."
            )
        if abs(b.sum() - 1.0) > 1e-9:
            raise InvalidParameterError(f"budgets must sum to 1, got {b.sum():.6g}.")
    tol = check_real("tol", tol, low=0.0, low_open=True)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    S = cov.to_numpy()
    sd = np.sqrt(np.diag(S))
    if (sd <= 0).any():
        raise InvalidParameterError(
            f"assets with zero variance cannot be risk-budgeted: {format_items(cov.index[sd <= 0])}."
        )
    # work on the correlation scale (well conditioned), map back at the end
    C = S / np.outer(sd, sd)
    y = b / np.sqrt(b @ C @ b)  # positive start on the right scale
    for _ in range(max_iter):
        Cy = C @ y
        grad = Cy - b / y
        rc = y * Cy
        if np.max(np.abs(rc - b) / b) < tol:
            break
        H = C + np.diag(b / y**2)
        step = np.linalg.solve(H, grad)
        t = 1.0
        neg = step > 0
        if neg.any():
            t = min(1.0, 0.95 * float(np.min(y[neg] / step[neg])))
        y = y - t * step
    else:
        raise InvalidParameterError(f"risk budgeting did not converge in {max_iter} Newton steps.")
    w = y / sd
    return pd.Series(w / w.sum(), index=cov.index, name="weight")
