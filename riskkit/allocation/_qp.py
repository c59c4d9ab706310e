"""Long-only quadratic programme on the simplex-like set {x >= 0, a'x = 1}.

:func:`simplex_qp` solves

.. math:: \\min_x \\tfrac12 x^\\top C x \\quad\\text{s.t.}\\quad a^\\top x = 1,\\; x \\ge 0

for a positive definite C (a correlation matrix, in riskkit's use) and a > 0,
the form of both long-only minimum variance (:math:`a = 1/\\sigma` on the
correlation scale) and maximum diversification (:math:`a = 1`).

Method: a primal-dual active-set iteration (Hintermüller, Ito & Kunisch 2002)
guesses the free set F from the signs of the last x and of the bound
multipliers, solving the equality-constrained problem on F exactly by a
Cholesky factorisation; it usually stops after a handful of steps with the
exact KKT point. Should it cycle, a primal active-set method (Nocedal & Wright
2006, Algorithm 16.3) finishes from the best feasible point, moving one index
at a time, which cannot cycle on a strictly convex problem.

KKT conditions of the solution (``t`` the multiplier of :math:`a^\\top x = 1`,
:math:`\\mu` of the bounds): :math:`Cx - t a - \\mu = 0`, :math:`x \\ge 0`,
:math:`\\mu \\ge 0`, :math:`x_i \\mu_i = 0`. Every BLAS/LAPACK call is scipy's
(``dsymv``, ``dpotrf``/``dpotrs``), never numpy's, so the two OpenBLAS pools
do not contend.

References
----------
Hintermüller, M., Ito, K. & Kunisch, K. (2002). The primal-dual active set strategy as a
semismooth Newton method. SIAM J. Optimization 13(3).
Nocedal, J. & Wright, S. J. (2006). Numerical Optimization, 2nd ed., ch. 16. Springer.
"""

from __future__ import annotations

import numpy as np

from riskkit.exceptions import ConvergenceError

__all__ = ["simplex_qp"]


def _eqp(C: np.ndarray, a: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, float]:
    """x on ``free`` solving min x'Cx/2 s.t. a'x = 1 with x = 0 elsewhere, and its multiplier t."""
    from scipy.linalg import blas, cho_factor, cho_solve

    idx = np.flatnonzero(free)
    sub = C[np.ix_(idx, idx)].T  # symmetric: the transpose is a Fortran-ordered view
    rhs = a[idx]
    factor = cho_factor(sub.copy(order="F"), lower=True, overwrite_a=True, check_finite=False)
    z = cho_solve(factor, rhs, check_finite=False)
    # one step of iterative refinement: the residual of an ill-conditioned block back to rounding
    z += cho_solve(factor, rhs - blas.dsymv(1.0, sub, z, lower=1), check_finite=False)
    t = 1.0 / float(rhs @ z)
    x = np.zeros(len(a))
    x[idx] = z * t
    return x, t


def simplex_qp(C: np.ndarray, a: np.ndarray, *, max_iter: int | None = None) -> tuple[np.ndarray, dict]:
    """Solve min x'Cx/2 s.t. a'x = 1, x >= 0 (C positive definite, Fortran- or C-ordered, a > 0).

    Returns
    -------
    x : ndarray of shape (n,)
    info : dict
        ``method``, ``iterations``, ``free`` (assets held) and the KKT residuals,
        each component relative to the size of its terms,
        :math:`s_i = (|C|x)_i + t a_i` (what rounding of :math:`(Cx)_i` is proportional to):
        ``stationarity`` :math:`\\max_{i \\in F}|(Cx)_i - t a_i| / s_i`,
        ``dual_infeasibility`` :math:`\\max(0, -\\min_i \\mu_i / s_i)`,
        ``primal_infeasibility`` :math:`|a^\\top x - 1|` (x is non-negative by
        construction), ``complementarity`` :math:`\\max_i x_i \\mu_i / t`.
    """
    from scipy.linalg import blas

    n = len(a)
    max_iter = max_iter if max_iter is not None else 10 * n + 50
    tol = 1e-12
    free = np.ones(n, dtype=bool)
    seen: set[bytes] = set()
    iterations = 0
    method = "primal-dual active set"
    # primal-dual active set: bulk changes of the free set
    while True:
        iterations += 1
        x, t = _eqp(C, a, free)
        mu = blas.dsymv(1.0, C, x, lower=1) - t * a
        new = (free & (x > 0)) | (~free & (mu < -tol * t * a))
        if np.array_equal(new, free) or iterations > 50:
            break
        key = np.packbits(new).tobytes()
        if key in seen:  # cycling: let the primal method finish
            break
        seen.add(key)
        free = new
    if (x < 0).any() or (mu[~free] < -tol * t * a[~free]).any():
        method = "primal-dual active set, then primal active set"
        x, t, mu, free, steps = _primal_active_set(C, a, x, max_iter=max_iter)
        iterations += steps
    mu[free] = 0.0
    r = blas.dsymv(1.0, C, x, lower=1) - t * a
    size = blas.dsymv(1.0, np.abs(C), x, lower=1) + t * a
    info = {
        "method": method,
        "iterations": iterations,
        "free": int(free.sum()),
        "stationarity": float(np.max(np.abs(r[free]) / size[free])),
        "dual_infeasibility": float(max(0.0, -np.min(r[~free] / size[~free]))) if (~free).any() else 0.0,
        "primal_infeasibility": float(abs(a @ x - 1.0)),
        "complementarity": float(np.max(x * np.maximum(r, 0.0)) / t),
    }
    return x, info


def _primal_active_set(C: np.ndarray, a: np.ndarray, x0: np.ndarray, *, max_iter: int):
    """Nocedal & Wright's Algorithm 16.3 from the feasible point nearest ``x0``'s positive part."""
    from scipy.linalg import blas

    x = np.maximum(x0, 0.0)
    if not (x > 0).any():
        x = 1.0 / a
    x /= a @ x
    free = x > 0
    tol = 1e-12
    for step in range(1, max_iter + 1):
        target, t = _eqp(C, a, free)
        d = target - x
        shrink = free & (d < 0)
        alpha, block = 1.0, -1
        if shrink.any():
            idx = np.flatnonzero(shrink)
            ratios = x[idx] / -d[idx]
            j = int(np.argmin(ratios))
            if ratios[j] < 1.0:
                alpha, block = float(ratios[j]), int(idx[j])
        if block >= 0:
            x = x + alpha * d
            x[block] = 0.0
            x[~free] = 0.0
            free[block] = False
            continue
        x = target
        mu = blas.dsymv(1.0, C, x, lower=1) - t * a
        mu[free] = np.inf
        j = int(np.argmin(mu / a))
        if mu[j] >= -tol * t * a[j]:
            mu[free] = 0.0
            return x, t, mu, free, step
        free[j] = True
    raise ConvergenceError(
        f"the long-only quadratic programme did not converge in {max_iter} active-set steps."
    )
