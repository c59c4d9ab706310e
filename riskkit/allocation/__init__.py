"""Target weights from a covariance: equal weight, inverse volatility, minimum
variance, maximum diversification, and risk budgeting.

May import: riskkit._core, riskkit.exceptions, riskkit.data, riskkit.shrinkage,
riskkit.decomposition.

Inside: ``_qp`` (the small long-only quadratic programs), ``_tail_budget`` (expected-shortfall
risk budgets on scenarios: the barrier path and exact crossover, and :class:`TailRiskBudget`).

Contents
--------
equal_weight          1/N
inverse_volatility    w_i proportional to 1 / sigma_i
min_variance          fully invested minimum variance, unconstrained (closed form) or long-only
max_diversification   maximum diversification ratio (Choueifaty & Coignard 2008), long-only
risk_budgeting        weights whose risk contributions equal given budgets (ERC by default),
                      solved by Newton's method on Spinu's (2013) convex formulation; with
                      ``risk_measure="es"``, contributions to expected shortfall on scenarios
TailRiskBudget        the result of ES risk budgeting: weights, ES, VaR, contributions, tail weights
group_risk_budgeting  each group's risk share fixed, equal risk inside each group
hierarchical_risk_parity  Lopez de Prado (2016)
volatility_target     scale to a target volatility with a leverage cap and a cash leg
volatility_target_table  a dated target table whose scale changes only when forecast volatility leaves a band
rolling_targets       any of the above recomputed on a schedule from rolling_shrink estimates
                      (or from a RollingShrinkage already made)
target_weights        one of the above by name, or given weights checked against the covariance

All functions take a labelled per-period covariance (DataFrame) and return a
weight Series on its assets, summing to one; ES risk budgeting takes scenario returns
instead and returns a :class:`TailRiskBudget`. Volatility targets follow the one
annualisation rule (:func:`riskkit.data.calendar.resolve_periods_per_year`): annual
with ``periods_per_year`` (or dated returns), else per period.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.matrices import correlation_distance, cov_to_corr, euler_contributions
from riskkit._core.validation import (
    check_covariance,
    check_groups,
    check_int,
    check_real,
    check_weights_sum,
    format_items,
    positive_volatilities,
)
from riskkit.allocation._tail_budget import TailRiskBudget
from riskkit.exceptions import ConvergenceError, InvalidParameterError

__all__ = [
    "TailRiskBudget",
    "equal_weight",
    "group_risk_budgeting",
    "hierarchical_risk_parity",
    "inverse_volatility",
    "max_diversification",
    "min_variance",
    "risk_budgeting",
    "rolling_targets",
    "target_weights",
    "volatility_target",
    "volatility_target_table",
]


def equal_weight(covariance: pd.DataFrame, /) -> pd.Series:
    """1/N on the covariance's assets."""
    cov = check_covariance("covariance", covariance)
    return pd.Series(1.0 / len(cov), index=cov.index, name="weight")


def inverse_volatility(covariance: pd.DataFrame, /) -> pd.Series:
    """:math:`w_i \\propto 1/\\sigma_i` (the ERC solution when all correlations are equal)."""
    cov = check_covariance("covariance", covariance)
    inv = 1.0 / positive_volatilities("covariance", cov, "inverse_volatility")
    return pd.Series(inv / inv.sum(), index=cov.index, name="weight")


def min_variance(covariance: pd.DataFrame, /, *, long_only: bool = True) -> pd.Series:
    """Fully invested minimum-variance weights.

    Unconstrained: :math:`w = \\Sigma^{-1}\\mathbf{1} / \\mathbf{1}^\\top\\Sigma^{-1}\\mathbf{1}`.
    Long-only: the quadratic programme :math:`\\min w^\\top\\Sigma w` subject to
    :math:`\\mathbf{1}^\\top w = 1, w \\ge 0`, solved on the correlation scale
    (:math:`x = \\sigma \\odot w / t`) by an active-set method that ends on the exact
    KKT point (:mod:`riskkit.allocation._qp`); its KKT residuals are checked (ConvergenceError
    above 1e-8 relative).

    Parameters
    ----------
    covariance : DataFrame of shape (n_assets, n_assets)
        Per-period covariance; must be non-singular (the minimiser is unique only then).
    long_only : bool, default=True

    Returns
    -------
    Series
        Weights by asset, summing to 1 (non-negative when ``long_only``).

    Raises
    ------
    SingularCovarianceError
        When the covariance is singular or numerically so.
    ConvergenceError
        When the solver stops with KKT residuals above 1e-8 (relative).
    """
    lapack = "scipy" if long_only else "numpy"
    cov = check_covariance("covariance", covariance, lapack=lapack, nonsingular="min_variance")
    S = cov.to_numpy()
    if not long_only:
        return pd.Series(_min_variance_free(S), index=cov.index, name="weight")
    sd = np.sqrt(np.diag(S))
    w, _ = _long_only_qp(S, 1.0 / sd, sd)
    return pd.Series(w, index=cov.index, name="weight")


def _min_variance_free(S: np.ndarray) -> np.ndarray:
    """Fully invested minimum variance, unconstrained. :func:`min_variance` passes only
    non-singular S; :func:`riskkit.evaluation.min_variance_backtest` also passes singular sample
    covariances (window < N) and gets the least-squares weights, as that study intends."""
    ones = np.ones(S.shape[0])
    try:
        x = np.linalg.solve(S, ones)
    except np.linalg.LinAlgError:
        x = np.linalg.lstsq(S, ones, rcond=None)[0]
    return x / x.sum()


def max_diversification(covariance: pd.DataFrame, /) -> pd.Series:
    """Long-only weights maximising :math:`w^\\top\\sigma / \\sqrt{w^\\top\\Sigma w}`.

    On the correlation scale :math:`x = \\sigma \\odot w` the ratio is
    :math:`\\mathbf{1}^\\top x / \\sqrt{x^\\top C x}`, maximised by the solution of
    :math:`\\min x^\\top C x` subject to :math:`\\mathbf{1}^\\top x = 1, x \\ge 0`
    (Choueifaty & Coignard 2008), then :math:`w \\propto x / \\sigma`. Solved by the
    active-set method of :mod:`riskkit.allocation._qp`, its KKT residuals checked.

    Raises
    ------
    SingularCovarianceError
        When the covariance is singular or numerically so.
    ConvergenceError
        When the solver stops with KKT residuals above 1e-8 (relative).
    """
    cov = check_covariance("covariance", covariance, lapack="scipy", nonsingular="max_diversification")
    S = cov.to_numpy()
    sd = np.sqrt(np.diag(S))
    w, _ = _long_only_qp(S, np.ones(len(S)), sd)
    return pd.Series(w, index=cov.index, name="weight")


_KKT_TOL = 1e-8


def _correlation_scale(S: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`C = D^{-1} S D^{-1}` (D = diag(sd)) in a new Fortran-ordered array, and 1 / sd.

    Exactly symmetric, as S is, so its transpose is a Fortran-ordered view of C itself: what
    scipy's LAPACK wants without a copy.
    """
    r = 1.0 / sd
    C = S * r[:, None]
    C *= r[None, :]
    return (C if C.flags.f_contiguous else C.T), r


def _long_only_qp(S: np.ndarray, a: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, dict]:
    """argmin x'Cx s.t. a'x = 1, x >= 0 on the correlation C of S; weights x / sd normalised to sum 1."""
    from riskkit.allocation._qp import simplex_qp

    C, r = _correlation_scale(S, sd)
    x, info = simplex_qp(C, a)
    worst = max(info["stationarity"], info["dual_infeasibility"], info["primal_infeasibility"])
    if not worst <= _KKT_TOL or not info["complementarity"] <= _KKT_TOL:
        raise ConvergenceError(
            f"the long-only quadratic programme ended with KKT residuals above {_KKT_TOL:g}: "
            + ", ".join(f"{k} {v:.3g}" for k, v in info.items() if isinstance(v, float))
            + "; the covariance is probably too ill-conditioned: shrink it."
        )
    w = x * r
    return w / w.sum(), info


def risk_budgeting(
    covariance_or_scenarios: pd.DataFrame,
    /,
    *,
    budgets: Mapping | pd.Series | None = None,
    risk_measure: Literal["variance", "es"] = "variance",
    level: float | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> pd.Series | TailRiskBudget:
    """Long-only weights whose risk contributions equal ``budgets``.

    Variance (the default), on a covariance. Spinu (2013): the unique positive
    minimiser of the strictly convex
    :math:`f(y) = \\tfrac12 y^\\top\\Sigma y - \\sum_i b_i \\ln y_i` satisfies
    :math:`y_i(\\Sigma y)_i = b_i`, so :math:`w = y / \\sum y` has risk shares
    :math:`w_i(\\Sigma w)_i / w^\\top\\Sigma w = b_i`. Solved by Newton's method
    with a step kept inside the positive orthant (damped while far), which
    converges quadratically: risk shares match the budgets to about 1e-12. Two
    O(N^2) Jacobi sweeps warm-start it, and near the solution one step may reuse
    the previous Cholesky factor (a chord step), so N = 500 takes two or three
    factorisations.

    Expected shortfall (``risk_measure="es"``), on scenarios: a table of T equally likely scenario
    returns (historical returns or simulated ones), ES at confidence ``level`` as Rockafellar &
    Uryasev (2002) define it on them (the fractional tail of :math:`T(1-\\text{level})` scenarios).
    The minimiser of :math:`\\mathrm{ES}(y) - \\sum_i b_i \\ln y_i` (Bruder & Roncalli 2012; Mausser &
    Romanko 2018) normalised to sum 1 has ES contributions whose shares are the budgets; it is found by
    a log-barrier Newton path on Rockafellar & Uryasev's linear programme and an exact crossover on the
    scenarios tied at the VaR (:mod:`riskkit.allocation._tail_budget`), so the shares match the budgets
    to rounding (about 1e-15; checked, ConvergenceError above 1e-8). ES is piecewise linear in the
    weights and the solution usually sits on a kink: its contributions are those of the tail weights
    the optimum fixes (:attr:`TailRiskBudget.tail_weights`, an element of the subdifferential), which
    the one-sided derivatives of ES bracket.

    Parameters
    ----------
    covariance_or_scenarios : DataFrame
        The per-period covariance (variance), or the scenario returns of shape (n_scenarios, n_assets)
        (ES; per period: a day of daily returns).
    budgets : mapping or Series, optional
        Risk budget per asset, positive, summing to 1; equal (ERC) by default.
    risk_measure : {"variance", "es"}, default="variance"
    level : float in (0.5, 1), optional
        ES confidence level (default 0.95; ``risk_measure="es"`` only).
    tol : float
        Variance only. Stop when the largest relative error of the risk shares is below this, or
        when every risk contribution is within what float64 can resolve: the
        rounding of :math:`y_i(\\Sigma y)_i` is about
        :math:`\\epsilon\\,y_i(|\\Sigma| y)_i`, which is far above
        :math:`\\epsilon\\,b_i` for a tiny budget whose :math:`(\\Sigma y)_i` is a
        cancelling sum (budgets down to 1e-6 with negative correlations put the
        relative floor near 1e-8; a budget of 1e-12 beside correlations near -1 puts it near
        1e-3). The stop test is therefore
        :math:`|y_i(\\Sigma y)_i - b_i| \\le \\text{tol}\\,b_i + 8\\epsilon\\,y_i(|\\Sigma| y)_i`
        for every asset, asked at every step: the risk shares then match the budgets to
        within the rounding of the shares themselves (about 1e-16 absolute, 1e-10 relative
        or better for budgets of ordinary size).
    max_iter : int
        Newton steps allowed (ES: four times this, over the whole barrier path).

    Returns
    -------
    Series or TailRiskBudget
        Variance: the weights by asset. ES: a :class:`TailRiskBudget` (its ``weights``, ``es``,
        ``var`` and ``contributions``).

    Raises
    ------
    SingularCovarianceError
        When the covariance is singular (a factor model without idiosyncratic
        variance, a constant asset, N > T sample covariance): risk shares of a
        zero-variance portfolio are undefined.
    InvalidParameterError
        ES: an asset whose stand-alone ES is not a loss, or fewer than one scenario in the tail.
    ConvergenceError
        When Newton's method has not met the stop test in ``max_iter`` steps.

    References
    ----------
    Spinu, F. (2013). An algorithm for computing risk parity weights. SSRN 2297383.
    Rockafellar, R. T. & Uryasev, S. (2002). Conditional value-at-risk for general loss distributions.
    Journal of Banking & Finance 26(7), 1443-1471.
    Bruder, B. & Roncalli, T. (2012). Managing risk exposures using the risk budgeting approach.
    Mausser, H. & Romanko, O. (2018). Long-only equal risk contribution portfolios for CVaR under
    discrete distributions. Quantitative Finance 18(11), 1927-1945.
    """
    from riskkit._core.validation import check_choice

    check_choice("risk_measure", risk_measure, ("variance", "es"))
    max_iter = check_int("max_iter", max_iter, minimum=1)
    if risk_measure == "es":
        return _es_budgeting(covariance_or_scenarios, budgets, level, max_iter)
    if level is not None:
        raise InvalidParameterError(f"level applies to risk_measure='es' only, got level={level!r}.")
    covariance = covariance_or_scenarios
    cov = check_covariance("covariance", covariance, lapack="scipy", nonsingular="risk_budgeting")
    b = _budgets(budgets, cov.index)
    tol = check_real("tol", tol, low=0.0, low_open=True)
    S = cov.to_numpy()
    sd = np.sqrt(np.diag(S))
    if (sd <= 0).any():
        raise InvalidParameterError(
            f"assets with zero variance cannot be risk-budgeted: {format_items(cov.index[sd <= 0])}."
        )
    # Work on the correlation scale (well conditioned) and map back at the end.
    C, _ = _correlation_scale(S, sd)
    y = _spinu_newton(C, b, tol, max_iter)
    w = y / sd
    return pd.Series(w / w.sum(), index=cov.index, name="weight")


def _es_budgeting(scenarios, budgets, level, max_iter: int) -> TailRiskBudget:
    """Checks for ES risk budgeting, then :func:`riskkit.allocation._tail_budget.es_risk_budgeting`."""
    from riskkit._core.validation import returns_matrix
    from riskkit.allocation._tail_budget import es_risk_budgeting

    if isinstance(scenarios, pd.DataFrame) and scenarios.index.equals(scenarios.columns):
        raise InvalidParameterError(
            "risk_measure='es' takes scenario returns (scenarios x assets), not a covariance: "
            "pass the returns the covariance was estimated from."
        )
    level = 0.95 if level is None else level
    level = check_real("level", level, low=0.5, high=1.0, low_open=True, high_open=True)
    X, index, columns = returns_matrix("scenarios", scenarios)
    b = _budgets(budgets, columns)
    return es_risk_budgeting(X, index, columns, b, level, 4 * max_iter)


def _budgets(budgets: Mapping | pd.Series | None, assets: pd.Index) -> np.ndarray:
    """Risk budgets in the order of ``assets``: positive, summing to 1, one per asset (equal when None)."""
    if budgets is None:
        return np.full(len(assets), 1.0 / len(assets))
    bs = pd.Series(budgets, dtype=float)
    missing = assets.difference(bs.index)
    extra = bs.index.difference(assets)
    if len(missing) or len(extra):
        raise InvalidParameterError(
            f"budgets must cover the covariance's assets; missing: {format_items(missing) or 'none'}; "
            f"unknown: {format_items(extra) or 'none'}."
        )
    b = bs.reindex(assets).to_numpy()
    if not np.isfinite(b).all() or (b <= 0).any():
        raise InvalidParameterError(f"budgets must be positive; not for {format_items(assets[~(b > 0)])}.")
    check_weights_sum("budgets", bs.reindex(assets))
    return b


def _spinu_newton(C: np.ndarray, b: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Newton's method on Spinu's convex problem for the correlation ``C`` (see :func:`risk_budgeting`):
    the positive ``y`` with :math:`y_i (C y)_i = b_i`.

    Every BLAS/LAPACK call of the loop goes to scipy's OpenBLAS (dsymv, Cholesky): mixing it with
    numpy's, which ships a separate OpenBLAS, leaves one pool's threads spinning while the other works.
    """
    from scipy.linalg import blas, cho_factor, cho_solve

    n = len(b)
    y = b / np.sqrt(b @ blas.dsymv(1.0, C, b, lower=1))  # positive start on the right scale
    y = _jacobi_warm_start(C, b, y)
    H = np.empty_like(C, order="F")
    factor, chord, absC = None, False, None
    best, best_err, stalls = y, np.inf, 0
    for _ in range(max_iter):
        Cy = blas.dsymv(1.0, C, y, lower=1)
        grad = Cy - b / y
        res = np.abs(y * Cy - b)
        err = float(np.max(res / b))
        if err < tol:
            break
        # is what is left below the rounding floor of y_i (Cy)_i? Asked at every step, not only
        # near: a budget of 1e-12 whose (Cy)_i cancels O(1) terms has a relative floor of 1e-3
        if absC is None:
            absC = np.abs(C)
        floor = _FLOOR * y * blas.dsymv(1.0, absC, y, lower=1)
        if (res <= tol * b + floor).all():
            break
        if err < best_err:
            stalls = 0 if err < 0.5 * best_err else stalls + 1
            best, best_err = y, err
        else:
            stalls += 1
        if stalls >= 3 and best_err < 1e-9:  # at the rounding floor of this problem: keep the best
            y = best
            break
        # Near the solution one step may reuse the last Newton factorisation (a chord step: the
        # Hessian changed by O(err), so the step is still accurate to O(err^2)); never two in a row.
        chord = factor is not None and err < 1e-6 and not chord
        if not chord:
            np.copyto(H, C)  # one buffer for every Hessian: no fresh pages to fault in
            H.flat[:: n + 1] += b / y**2
            factor = cho_factor(H, lower=True, overwrite_a=True, check_finite=False)  # H is SPD
        step = cho_solve(factor, grad, check_finite=False)
        t = 1.0
        neg = step > 0
        if neg.any():
            t = min(1.0, 0.95 * float(np.min(y[neg] / step[neg])))
        y = y - t * step
    else:
        raise ConvergenceError(
            f"risk budgeting did not converge in max_iter={max_iter} Newton steps: the largest relative "
            f"error of the risk contributions is {best_err:.3g} (tol={tol:g}); raise max_iter."
        )
    return y


_FLOOR = 8.0 * np.finfo(float).eps  # rounding of a dot product, with room for the solution's own


def _jacobi_warm_start(C: np.ndarray, b: np.ndarray, y: np.ndarray, sweeps: int = 2) -> np.ndarray:
    """Two Jacobi sweeps of the coordinate-wise equations :math:`y_i (Cy)_i = b_i`
    (each solves :math:`c_{ii} y_i^2 + a_i y_i - b_i = 0` with the others fixed,
    a positive root): O(N^2) each, they halve Newton's iterations. Kept only if
    they brought the risk shares closer to the budgets."""
    from scipy.linalg import blas

    def error(v: np.ndarray) -> float:
        return float(np.max(np.abs(v * blas.dsymv(1.0, C, v, lower=1) - b) / b))

    d = np.diag(C).copy()
    z = y
    for _ in range(sweeps):
        a = blas.dsymv(1.0, C, z, lower=1) - d * z
        root = np.sqrt(a * a + 4.0 * d * b)
        with np.errstate(divide="ignore"):  # np.where evaluates both roots: the other may be 0 / 0
            z = np.where(a > 0, 2.0 * b / (root + a), (root - a) / (2.0 * d))  # no cancellation either way
    return z if error(z) < error(y) else y


def group_risk_budgeting(
    covariance: pd.DataFrame,
    groups: Mapping | pd.Series,
    /,
    *,
    group_budgets: Mapping | pd.Series | None = None,
    risk_measure: Literal["variance", "es"] = "variance",
    level: float | None = None,
) -> pd.Series | TailRiskBudget:
    """Each group's share of risk fixed, equal risk inside each group.

    ``group_budgets``: group -> share of risk (summing to 1; equal by default).
    Every asset gets the budget ``B_g / n_g``; :func:`risk_budgeting` then makes
    group g carry exactly ``B_g`` of the risk, shared equally by its members.
    ``risk_measure`` and ``level`` are :func:`risk_budgeting`'s: with ``"es"`` the first argument
    is the scenario returns and the result a :class:`TailRiskBudget` (the groups' ES shares are
    the sums of its ``contributions["share"]``).
    """
    from riskkit._core.validation import check_choice, returns_matrix

    check_choice("risk_measure", risk_measure, ("variance", "es"))
    if risk_measure == "es":
        _, _, assets = returns_matrix("scenarios", covariance)
    else:
        assets = check_covariance("covariance", covariance, nonsingular="group_risk_budgeting").index
    g = check_groups("groups", groups, assets)
    names = list(dict.fromkeys(g.tolist()))
    if group_budgets is None:
        gb = pd.Series(1.0 / len(names), index=names)
    else:
        gb = pd.Series(group_budgets, dtype=float)
        unknown = set(gb.index) ^ set(names)
        if unknown:
            raise InvalidParameterError(
                f"group_budgets must name exactly the groups {format_items(names)}; "
                f"mismatch: {format_items(sorted(map(str, unknown)))}."
            )
    counts = g.value_counts()
    budgets = {a: gb[g[a]] / counts[g[a]] for a in assets}
    return risk_budgeting(covariance, budgets=budgets, risk_measure=risk_measure, level=level)


def hierarchical_risk_parity(
    covariance: pd.DataFrame,
    /,
    *,
    linkage: str = "single",
) -> pd.Series:
    """Hierarchical risk parity (Lopez de Prado 2016).

    1. Cluster the assets on the correlation distance :math:`\\sqrt{(1-\\rho)/2}`
       (``linkage``, single by default as in the paper);
    2. order them by the dendrogram's leaves (quasi-diagonalisation);
    3. split the ordered list in halves recursively, giving each half
       :math:`1 - V_1/(V_1+V_2)` of the parent's weight, where V is the variance of
       the half's inverse-variance portfolio.

    Assets are sorted by label before clustering so the weights do not depend on
    the column order.
    """
    from scipy.cluster.hierarchy import leaves_list
    from scipy.cluster.hierarchy import linkage as scipy_linkage
    from scipy.spatial.distance import squareform

    cov = check_covariance("covariance", covariance)
    positive_volatilities("covariance", cov, "hierarchical_risk_parity")
    labels = sorted(cov.index, key=str)
    S = cov.loc[labels, labels].to_numpy()
    n = len(labels)
    if n == 1:
        return pd.Series([1.0], index=cov.index, name="weight")
    D = correlation_distance(cov_to_corr(S))
    np.fill_diagonal(D, 0.0)
    order = list(leaves_list(scipy_linkage(squareform((D + D.T) / 2.0, checks=False), method=linkage)))
    w = np.ones(n)
    stack = [order]
    while stack:
        items = stack.pop()
        if len(items) < 2:
            continue
        half = len(items) // 2
        left, right = items[:half], items[half:]
        v_left, v_right = _ivp_variance(S, left), _ivp_variance(S, right)
        alpha = 1.0 - v_left / (v_left + v_right)
        w[left] *= alpha
        w[right] *= 1.0 - alpha
        stack += [left, right]
    return pd.Series(w, index=labels, name="weight").reindex(cov.index)


def _ivp_variance(S: np.ndarray, items: list[int]) -> float:
    sub = S[np.ix_(items, items)]
    ivp = 1.0 / np.diag(sub)
    ivp /= ivp.sum()
    return float(ivp @ sub @ ivp)


def volatility_target(
    weights: pd.Series,
    covariance: pd.DataFrame,
    /,
    *,
    target: float,
    leverage_cap: float = 1.0,
    periods_per_year: float | None = None,
    cash: str = "CASH",
    on_cap: Literal["raise", "clip"] = "raise",
) -> pd.Series:
    """Scale ``weights`` so the portfolio's volatility is ``target``.

    ``target`` is annual when ``periods_per_year`` is given; a covariance carries no
    dates, so without it the target is in the covariance's own units, per period
    (:func:`riskkit.data.calendar.resolve_periods_per_year`).

    The risky weights are multiplied by :math:`s = \\text{target} / \\sigma`, and a
    cash (or stablecoin) leg named ``cash`` takes :math:`1 - \\sum_i s w_i`
    (negative: borrowing).

    ``leverage_cap`` caps the *gross exposure* of the risky positions,
    :math:`\\sum_i |s w_i| \\le` ``leverage_cap``, which is what a broker's or a
    mandate's leverage limit counts: a long/short book with gross 1.4 per unit of
    net is capped at scale ``cap / 1.4``, not ``cap``. For long-only weights
    gross equals net and the cap is simply :math:`s \\le` ``leverage_cap``.
    When the target needs more than the cap allows, it is not reachable: an
    error, unless ``on_cap="clip"`` accepts the capped scale.
    """
    from riskkit._core.validation import check_same_assets, check_weights
    from riskkit.data.calendar import annualise, resolve_periods_per_year

    w = check_weights("weights", weights, shares=True)
    cov = check_covariance("covariance", covariance)
    check_same_assets("weights", w.index, "covariance", cov.index)
    target = check_real("target", target, low=0.0, low_open=True)
    cap = check_real("leverage_cap", leverage_cap, low=0.0, low_open=True)
    ppy = resolve_periods_per_year(None, periods_per_year)
    if cash in cov.index:
        raise InvalidParameterError(f"cash={cash!r} is also a risky asset; name the cash leg differently.")
    x = w.reindex(cov.index).to_numpy()
    sigma = annualise(euler_contributions(x, cov.to_numpy())[0], ppy, power=0.5)
    if not sigma > 0:
        raise InvalidParameterError(
            "weights have zero volatility under covariance; no scale reaches a volatility target."
        )
    scale = target / sigma
    gross = float(np.abs(x).sum())
    if scale * gross > cap * (1.0 + 1e-12):
        if on_cap != "clip":
            raise InvalidParameterError(
                f"a {target:.1%} volatility needs {scale * gross:.2f}x gross exposure "
                f"(portfolio volatility {sigma:.1%}), above "
                f"leverage_cap={cap:g}; raise the cap, lower the target, or pass on_cap='clip'."
            )
        scale = cap / gross
    out = pd.Series(x * scale, index=cov.index, name="weight")
    out[cash] = 1.0 - float(out.sum())
    return out


_METHODS = {
    "equal_weight": equal_weight,
    "inverse_volatility": inverse_volatility,
    "min_variance": min_variance,
    "max_diversification": max_diversification,
    "risk_budgeting": risk_budgeting,
    "hierarchical_risk_parity": hierarchical_risk_parity,
}


def target_weights(
    covariance: pd.DataFrame,
    method: str | Mapping | pd.Series,
    /,
    *,
    budgets: Mapping | pd.Series | None = None,
) -> pd.Series:
    """Target weights by ``method`` name (equal_weight, inverse_volatility, min_variance,
    max_diversification, risk_budgeting with optional ``budgets``,
    hierarchical_risk_parity), or the given weights (a mapping asset -> weight,
    summing to 1, on exactly the covariance's assets) checked and aligned.

    ``method`` is the word used for the choice of target rule throughout the
    package (as in :func:`rolling_targets`)."""
    from riskkit._core.validation import check_choice, check_same_assets, check_weights

    if isinstance(method, str):
        check_choice("method", method, tuple(_METHODS))
        if budgets is not None and method != "risk_budgeting":
            raise InvalidParameterError(f"budgets apply to method='risk_budgeting' only, not {method!r}.")
        return (
            risk_budgeting(covariance, budgets=budgets)
            if method == "risk_budgeting"
            else _METHODS[method](covariance)
        )
    cov = check_covariance("covariance", covariance)
    w = check_weights("method", dict(method) if isinstance(method, Mapping) else method)
    check_same_assets("method", w.index, "covariance", cov.index)
    check_weights_sum("target weights (method)", w)
    return w.reindex(cov.index).rename("weight")


def rolling_targets(
    returns,
    /,
    *,
    method: str = "risk_budgeting",
    window: int | None = None,
    step: int | None = None,
    shrinkage: str | Mapping | None = None,
    budgets: Mapping | None = None,
) -> pd.DataFrame:
    """Target weights recomputed every ``step`` observations from
    :func:`riskkit.shrinkage.rolling_shrink` estimates over ``window``.

    Parameters
    ----------
    returns : DataFrame or RollingShrinkage
        Period returns, estimated here with ``window``, ``step`` and ``shrinkage``
        (read by :func:`riskkit.shrinkage.shrinkage_options`); or the
        :class:`riskkit.shrinkage.RollingShrinkage` already made from them, so a
        report that needs the rolling estimates elsewhere (a backtest's
        ``covariance=``) computes them once. With a RollingShrinkage, ``window``,
        ``step`` and ``shrinkage`` are its own: pass none of them.
    method : str, default="risk_budgeting"
        One of equal_weight, inverse_volatility, min_variance, max_diversification,
        risk_budgeting (``budgets`` optional), hierarchical_risk_parity.

    Each row is dated by the last observation its estimate used, so as a target
    table for :func:`riskkit.rebalancing.backtest` it never looks ahead.
    """
    from riskkit._core.validation import check_choice
    from riskkit.shrinkage import RollingShrinkage, rolling_shrink, shrinkage_options

    check_choice("method", method, tuple(_METHODS))
    if isinstance(returns, RollingShrinkage):
        own = {"window": window, "step": step, "shrinkage": shrinkage}
        given = [k for k, v in own.items() if v is not None]
        if given:
            raise InvalidParameterError(
                f"rolling_targets got a RollingShrinkage and {format_items(given)}: the estimates already "
                "have their window, step and shrinkage; pass the returns instead to choose them."
            )
        roll = returns
    else:
        if window is None or step is None:
            raise InvalidParameterError(
                "rolling_targets(returns) needs window= and step= (or a RollingShrinkage)."
            )
        roll = rolling_shrink(returns, window=window, step=step, **shrinkage_options(shrinkage, rolling=True))
    rows = [target_weights(cov, method, budgets=budgets).to_numpy() for _, cov in roll]
    out = pd.DataFrame(rows, index=roll.dates, columns=roll.assets)
    out.index.name = "date"
    return out


def volatility_target_table(
    weights: pd.Series,
    returns: pd.DataFrame,
    /,
    *,
    target: float,
    band: float = 0.2,
    leverage_cap: float = 1.0,
    window: int,
    step: int,
    shrinkage: str | Mapping | None = None,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Date-indexed risky weights that keep a portfolio near a target volatility.

    ``target`` is annual under :func:`riskkit.data.calendar.resolve_periods_per_year`
    (``periods_per_year``, else the returns' dates), per period for returns without
    dates; ``shrinkage`` is read by :func:`riskkit.shrinkage.shrinkage_options`.

    On each estimation date (:func:`riskkit.shrinkage.rolling_shrink`) the
    forecast volatility of the currently scaled portfolio is compared with
    ``target * (1 ± band)``; only when it leaves the band is the scale reset to
    ``min(target / sigma, leverage_cap / gross)``, ``gross`` the weights'
    :math:`\\sum |w_i|` (the cap is a gross-exposure cap, as in :func:`volatility_target`).
    The rows hold the risky weights; the remainder ``1 - sum`` is the cash (or stablecoin) leg, which
    :func:`riskkit.rebalancing.backtest` keeps at zero return (pass
    ``allow_leverage=True``). Rows are emitted only when the scale changes: while the cap
    binds (the forecast stays out of the band at the capped scale), the dates that would reset
    the scale to the same capped value write no row, so a backtest given the table trades only
    when the target does change.
    """
    from riskkit._core.validation import check_same_assets, check_weights
    from riskkit.data.calendar import annualise, resolve_periods_per_year
    from riskkit.shrinkage import rolling_shrink, shrinkage_options

    w = check_weights("weights", weights, shares=True)
    check_same_assets("weights", w.index, "returns", returns.columns)
    target = check_real("target", target, low=0.0, low_open=True)
    band = check_real("band", band, low=0.0, high=1.0, low_open=True, high_open=True)
    cap = check_real("leverage_cap", leverage_cap, low=0.0, low_open=True)
    ppy = resolve_periods_per_year(returns, periods_per_year)
    roll = rolling_shrink(returns, window=window, step=step, **shrinkage_options(shrinkage, rolling=True))
    x = w.reindex(roll.assets).to_numpy()
    gross = float(np.abs(x).sum())
    scale = None
    rows, dates = [], []
    for date, cov in roll:
        sigma = annualise(euler_contributions(x, cov.to_numpy())[0], ppy, power=0.5)
        if scale is None or abs(scale * sigma / target - 1.0) > band:
            new = min(target / sigma, cap / gross)
            if scale is not None and abs(new - scale) <= 1e-12 * scale:
                continue  # still at the cap: the same scale, no new row
            scale = new
            rows.append(x * scale)
            dates.append(date)
    out = pd.DataFrame(rows, index=pd.DatetimeIndex(dates, name="date"), columns=roll.assets)
    return out
