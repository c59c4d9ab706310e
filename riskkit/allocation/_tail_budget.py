"""Expected-shortfall risk budgets on equally likely scenarios (private).

Contents
--------
TailRiskBudget      the result of ``risk_budgeting(..., risk_measure="es")``: weights, ES, its contributions
es_risk_budgeting   the labelled computation behind it (on checked inputs)
scenario_es         ES of a portfolio on scenarios by sorting, with the fractional tail
es_budget_core      the positive ``y`` whose ES contributions are the budgets, and its tail weights

The expected shortfall of Rockafellar & Uryasev (2002) on T equally likely scenarios with
losses :math:`\\ell_t^\\top y` at confidence ``level`` (tail mass :math:`m = T(1 - \\text{level})`
scenarios, not necessarily a whole number) is the value of the linear programme

.. math::
   \\mathrm{ES}(y) = \\max_q \\; q^\\top L y \\quad\\text{s.t.}\\quad 0 \\le q_t \\le 1/m,\\;
   \\textstyle\\sum_t q_t = 1,

whose maximiser puts :math:`1/m` on the :math:`\\lfloor m \\rfloor` worst scenarios and
:math:`(m - \\lfloor m \\rfloor)/m` on the next (the fractional tail); scenarios tied at the
boundary (the VaR) share that remainder in any split, all giving the same ES. ES is convex and
positively homogeneous, so :math:`\\mathrm{ES}(y) = \\sum_i y_i g_i` for every :math:`g = L^\\top q`
with q a maximiser (Euler): these :math:`y_i g_i` are the contributions.

Risk budgets (Bruder & Roncalli 2012; for CVaR on scenarios Mausser & Romanko 2018): the unique
minimiser of the strictly convex :math:`F(y) = \\mathrm{ES}(y) - \\sum_i b_i \\ln y_i` over
:math:`y > 0` has a maximiser q with :math:`y_i (L^\\top q)_i = b_i`; then :math:`w = y / \\sum y`
has ES contributions :math:`w_i g_i` whose shares of ES are exactly the budgets. ES is piecewise
linear, so the minimiser usually sits on a kink where several scenarios tie at the VaR: the
budget-matching contributions then use the split of the boundary mass among them that the
optimality conditions fix (an element of the subdifferential), and the one-sided derivatives of
ES there differ from them.

Method: a log-barrier path on the LP form (Rockafellar & Uryasev's auxiliary losses
:math:`u_t \\ge \\ell_t^\\top y - \\zeta`, :math:`u_t \\ge 0`, eliminated in closed form per
scenario, which leaves a smooth convex function of :math:`(y, \\zeta)` minimised by Newton's method
with :math:`O(TN^2)` per step), then a crossover: the scenarios strictly inside the tail, tied at
the VaR and outside it are read off the barrier solution, and the optimality conditions on that
split (:math:`y_i g_i = b_i`, tied losses equal to :math:`\\zeta`, tail mass one) are solved exactly
by Newton's method on :math:`N + k + 1` unknowns. A split is accepted only when it satisfies every
optimality condition (tied weights in :math:`[0, 1/m]`, inside losses above :math:`\\zeta`, outside
below), which makes it the unique optimum; else the barrier path continues.

References
----------
Rockafellar, R. T. & Uryasev, S. (2002). Conditional value-at-risk for general loss distributions.
Journal of Banking & Finance 26(7), 1443-1471.
Bruder, B. & Roncalli, T. (2012). Managing risk exposures using the risk budgeting approach. SSRN 2009778.
Mausser, H. & Romanko, O. (2018). Long-only equal risk contribution portfolios for CVaR under discrete
distributions. Quantitative Finance 18(11), 1927-1945.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit._core import formats
from riskkit._core.matrices import TAIL_ROUNDING, min_scenarios, tail_weights
from riskkit._core.result import Result
from riskkit._core.validation import format_items
from riskkit.exceptions import ConvergenceError, InvalidParameterError

__all__ = ["TailRiskBudget", "es_budget_core", "es_risk_budgeting", "scenario_es"]


@dataclass(frozen=True, eq=False, repr=False)
class TailRiskBudget(Result):
    """Long-only weights whose expected-shortfall contributions equal the budgets.

    Attributes
    ----------
    weights : Series
        Weights by asset, positive, summing to 1.
    contributions : DataFrame
        By asset: ``weight``, ``budget``, ``es`` (the Euler contribution :math:`w_i g_i`, per period;
        they sum to :attr:`es`) and ``share`` (contribution / ES: equal to ``budget``).
    es, var : float
        ES and VaR of the weighted portfolio on the scenarios, per period, as positive losses.
    level : float
        Confidence level; the tail holds ``T (1 - level)`` scenarios (fractionally).
    tail_weights : Series
        The maximiser q of the ES programme by scenario (:math:`1/m` inside the tail, part of it on
        the scenarios tied at the VaR, 0 outside; summing to 1): the contributions are
        :math:`w_i \\sum_t q_t \\ell_{ti}`.
    info : dict
        ``newton_steps``, ``tied`` (scenarios tied at the VaR), ``max_share_error`` (largest
        :math:`|share_i - b_i| / b_i`).
    """

    weights: pd.Series = field(repr=False)
    contributions: pd.DataFrame = field(repr=False)
    es: float
    var: float
    level: float
    tail_weights: pd.Series = field(repr=False)
    info: dict = field(default_factory=dict, repr=False)

    def summary(self) -> pd.DataFrame:
        """By asset: weight, budget, ES contribution, share of ES, and ``units`` ("per period")."""
        out = self.contributions.copy()
        out["units"] = "per period"
        return out

    def _headline(self) -> str:
        return (
            f"{len(self.weights)} assets, ES {formats.percent(self.es, 2)} at level {self.level:g}, "
            f"shares within {self.info.get('max_share_error', float('nan')):.1e} of the budgets"
        )


def es_risk_budgeting(
    X: np.ndarray, index: pd.Index, columns: pd.Index, b: np.ndarray, level: float, max_iter: int
) -> TailRiskBudget:
    """:func:`riskkit.allocation.risk_budgeting` with ``risk_measure="es"`` on checked inputs: ``X`` the
    (T, N) scenario returns with their labels, ``b`` budgets aligned to ``columns``."""
    L = -X
    m = tail_mass(len(X), level)
    if m < 1.0 - TAIL_ROUNDING:
        raise InvalidParameterError(
            f"level={level:g} leaves {m:.3g} of {len(X)} scenarios in the tail; ES needs at least one: "
            f"lower level or pass at least {min_scenarios(level)} scenarios."
        )
    alone = np.array([scenario_es(L[:, i], m) for i in range(L.shape[1])])
    if not (alone > 0).all():
        raise InvalidParameterError(
            "risk budgeting by ES needs every asset's stand-alone ES to be a loss (positive); not for "
            f"{format_items(columns[~(alone > 0)])}: their tail scenarios are gains, so no weight "
            "balances them."
        )
    y, q, _, info = es_budget_core(L, b, m, max_iter=max_iter)
    w = y / y.sum()
    g = L.T @ q
    contrib = w * g
    es = float(contrib.sum())
    share = contrib / es
    info["max_share_error"] = float(np.max(np.abs(share - b) / b))
    var = float(np.min((L @ w)[q > 0]))  # the least loss in the tail: the VaR
    assets = columns.rename("asset")  # a new Index: the input's keeps its name
    table = pd.DataFrame({"weight": w, "budget": b, "es": contrib, "share": share}, index=assets)
    return TailRiskBudget(
        weights=pd.Series(w, index=columns, name="weight"),
        contributions=table,
        es=es,
        var=var,
        level=level,
        tail_weights=pd.Series(q, index=index, name="tail_weight"),
        info=info,
    )


def tail_mass(n_scenarios: int, level: float) -> float:
    """:math:`m = T (1 - \\text{level})`, the number of scenarios in the tail (fractional)."""
    return n_scenarios * (1.0 - level)


def scenario_es(losses: np.ndarray, m: float) -> float:
    """ES of the loss vector ``losses`` (one per scenario) with tail mass ``m`` scenarios, by sorting."""
    w = tail_weights(len(losses), 1.0 - m / len(losses))  # the one fractional-tail rule
    return float(np.sort(losses)[::-1][: len(w)] @ w)


def _phi(a: np.ndarray, c: float, mu: float, want_value: bool):
    """The barrier-smoothed :math:`c\\max(a, 0)`: :math:`\\min_u c u - \\mu\\ln(u - a) - \\mu\\ln u`.

    Returns its value (summed, when asked), first derivative q (the tail weight, in (0, c)) and second
    derivative, all in forms without cancellation."""
    ca = c * a
    r = np.sqrt(ca * ca + 4.0 * mu * mu)
    # r + ca and r - ca, each without cancellation: (r + |ca|)(r - |ca|) = 4 mu^2
    big = r + np.abs(ca)
    small = 4.0 * mu * mu / big
    plus = np.where(ca >= 0, big, small)
    minus = np.where(ca <= 0, big, small)
    u = (2.0 * mu + plus) / (2.0 * c)
    gap = (2.0 * mu + minus) / (2.0 * c)  # u - a
    q = mu / gap
    rest = mu / u  # c - q, without cancellation: c = mu / (u - a) + mu / u
    # a = mu / (c - q) - mu / q, so dq/da = 1 / (mu / (c - q)^2 + mu / q^2)
    d = 1.0 / (mu / (rest * rest) + mu / (q * q))
    value = None
    if want_value:
        value = float(np.sum(c * u - mu * np.log(gap) - mu * np.log(u)))
    return value, q, d


def _objective(A, z, zeta, b, c, mu):
    a = A @ z - zeta
    val, _, _ = _phi(a, c, mu, True)
    return zeta + val - float(b @ np.log(z))


def _newton_barrier(A, b, z, zeta, c, mu, precision, max_steps=50):
    """Minimise the barrier objective at ``mu`` by damped Newton; returns z, zeta, steps, a, q."""
    n = len(z)
    steps = 0
    for _ in range(max_steps):
        a = A @ z - zeta
        value, q, d = _phi(a, c, mu, True)
        f = zeta + value - float(b @ np.log(z))
        gz = A.T @ q - b / z
        gzeta = 1.0 - float(q.sum())
        # scenarios whose curvature is negligible (far inside or outside the tail) are left out
        keep = d > 1e-12 * float(d.max())
        Ak, dk = A[keep], d[keep]
        B = Ak * np.sqrt(dk)[:, None]
        H = np.empty((n + 1, n + 1))
        H[:n, :n] = B.T @ B
        H.flat[: n * (n + 1) : n + 2] += b / (z * z)
        col = -(Ak.T @ dk)
        H[:n, n] = col
        H[n, :n] = col
        H[n, n] = float(dk.sum())
        grad = np.append(gz, gzeta)
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, grad, rcond=None)[0]
        decrement = float(grad @ step)
        steps += 1
        if decrement < 1e-20:
            break
        t = 1.0
        dz = step[:n]
        pos = dz > 0
        if pos.any():
            t = min(1.0, 0.99 * float(np.min(z[pos] / dz[pos])))
        while True:
            zn, zetan = z - t * dz, zeta - t * step[n]
            fn = _objective(A, zn, zetan, b, c, mu)
            if fn <= f - 0.25 * t * decrement or t < 1e-12:
                break
            t *= 0.5
        z, zeta = zn, zetan
        if decrement < precision:
            break
    a = A @ z - zeta
    _, q, _ = _phi(a, c, mu, False)
    return z, zeta, steps, a, q


def _crossover(A, b, z, zeta, a, q, c, mu, cut):
    """Solve the optimality conditions exactly on the inside / tied / outside split that the barrier
    solution suggests; return (z, zeta, q) when every condition holds, else None.

    As mu falls, a tied scenario's excess loss ``a`` shrinks like mu / c while the others' stay of
    order one (losses are scaled to unit ES): the caller tries cuts up to their geometric mean,
    sqrt(mu / c)."""
    inside = a > cut
    tied = np.abs(a) <= cut
    n, k = len(z), int(tied.sum())
    base = c * A[inside].sum(axis=0)
    mass = 1.0 - c * int(inside.sum())
    At = A[tied]
    qt = q[tied].copy()
    if k == 0:
        if abs(mass) > 1e-12:
            return None
        g = base
        if (g <= 0).any():
            return None
        z = b / g
        losses = A @ z
        zeta = float(np.max(losses[~inside])) if (~inside).any() else 0.0
        if inside.any() and float(np.min(losses[inside])) < zeta:
            return None
        return z, zeta, np.where(inside, c, 0.0)
    for _ in range(30):
        g = base + At.T @ qt
        r1 = z * g - b
        r2 = At @ z - zeta
        r3 = float(qt.sum()) - mass
        res = max(float(np.max(np.abs(r1) / b)), float(np.max(np.abs(r2))), abs(r3))
        if res < 1e-15:
            break
        # unknowns (z, zeta, q_tied); equations (budgets, tied losses, tail mass)
        J = np.zeros((n + 1 + k, n + 1 + k))
        J[:n, :n] = np.diag(g)
        J[:n, n + 1 :] = z[:, None] * At.T
        J[n : n + k, :n] = At
        J[n : n + k, n] = -1.0
        J[n + k, n + 1 :] = 1.0
        try:
            step = np.linalg.solve(J, np.concatenate([r1, r2, [r3]]))
        except np.linalg.LinAlgError:
            return None
        z = z - step[:n]
        zeta = zeta - step[n]
        qt = qt - step[n + 1 :]
        if not np.isfinite(z).all() or (z <= 0).any():
            return None
    else:
        return None
    if res > 1e-12:
        return None
    tol = 1e-11 * c
    if (qt < -tol).any() or (qt > c + tol).any():
        return None
    losses = A @ z
    scale = float(np.max(np.abs(losses)))
    if inside.any() and float(np.min(losses[inside])) < zeta - 1e-12 * scale:
        return None
    out = ~(inside | tied)
    if out.any() and float(np.max(losses[out])) > zeta + 1e-12 * scale:
        return None
    full = np.where(inside, c, 0.0)
    full[tied] = np.clip(qt, 0.0, c)  # moves by at most 1e-11 c: rounding of the exact solve
    return z, zeta, full


def es_budget_core(L: np.ndarray, b: np.ndarray, m: float, *, max_iter: int = 400) -> tuple:
    """The positive y with ES contributions ``b`` for losses ``L`` (T, N), tail mass ``m``.

    Columns are scaled to unit stand-alone ES first (each must be positive: checked by the caller).
    Returns ``(y, q, zeta, info)``: y sums to nothing in particular (ES(y) = sum(b)), q the tail
    weights (a maximiser of the ES programme at y), zeta the VaR of y."""
    T, n = L.shape
    c = 1.0 / m
    scale = np.array([scenario_es(L[:, i], m) for i in range(n)])
    A = L / scale
    z = b / scenario_es(A @ b, m)
    zeta = float(np.quantile(A @ z, 1.0 - m / T))
    mu = 0.1 / T
    total_steps = 0
    while total_steps < max_iter:
        # each point on the path needs to be as good as its barrier's own gap, T mu, allows
        z, zeta, steps, a, q = _newton_barrier(A, b, z, zeta, c, mu, 1e-2 * mu * T)
        total_steps += steps
        for cut in (60.0 * mu / c, math.sqrt(mu / c)) if mu * T < 1e-1 else ():
            found = _crossover(A, b, z.copy(), zeta, a, q, c, mu, cut)
            if found is not None:
                zc, zeta_c, qc = found
                tied = int(((qc > 0) & (qc < c)).sum())
                info = {"newton_steps": total_steps, "barrier": mu * T, "tied": tied}
                return zc / scale, qc, zeta_c, info
        if mu * T < 1e-13:
            break
        mu *= 0.1
    raise ConvergenceError(
        f"ES risk budgeting did not find the exact optimum in {total_steps} Newton steps "
        f"(barrier {mu * T:.2g}); the scenarios may hold duplicated rows at the VaR: pass distinct scenarios."
    )
