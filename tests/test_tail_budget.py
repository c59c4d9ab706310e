"""Expected-shortfall risk budgets: hand cases, a naive ES by sorting kept here, finite differences,
many seeds, groups, the decomposition's own ES contributions, and the peers when installed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskkit.allocation import TailRiskBudget, group_risk_budgeting, risk_budgeting
from riskkit.decomposition.tail import tail_risk
from riskkit.exceptions import InvalidParameterError


def naive_es(port_returns: np.ndarray, level: float) -> float:
    """Rockafellar-Uryasev ES of equally likely scenarios, written out from the definition: the mean
    of the worst m = T (1 - level) losses, the (floor(m) + 1)-th worst counted for the fraction left."""
    losses = np.sort(-np.asarray(port_returns))[::-1]
    m = len(losses) * (1.0 - level)
    k = math.floor(m + 1e-12)
    total = losses[:k].sum() + ((m - k) * losses[k] if m - k > 1e-12 else 0.0)
    return total / m


def _hand_scenarios() -> pd.DataFrame:
    # scenario 1 is the worst for every long-only portfolio; scenario 2 the second worst near the answers
    return pd.DataFrame(
        {"A": [-0.10, 0.02, -0.01, 0.03], "B": [-0.05, -0.01, 0.03, 0.02]},
        index=pd.RangeIndex(4, name="scenario"),
    )


def test_erc_by_hand_one_scenario_tail():
    # level 0.75 of 4 scenarios: the tail is scenario 1 alone, ES(w) = 0.10 w_A + 0.05 w_B;
    # equal contributions 0.10 w_A = 0.05 w_B give w = (1/3, 2/3), ES = 1/15
    res = risk_budgeting(_hand_scenarios(), risk_measure="es", level=0.75)
    assert isinstance(res, TailRiskBudget)
    np.testing.assert_allclose(res.weights.to_numpy(), [1 / 3, 2 / 3], rtol=1e-13)
    assert res.es == pytest.approx(1 / 15, rel=1e-13)
    np.testing.assert_allclose(res.contributions["es"].to_numpy(), [1 / 30, 1 / 30], rtol=1e-12)
    assert res.var == pytest.approx(1 / 15, rel=1e-13)  # one scenario: VaR = ES
    np.testing.assert_allclose(res.tail_weights.to_numpy(), [1, 0, 0, 0], atol=1e-15)


def test_budgets_by_hand():
    # budgets (1/4, 3/4): 0.10 w_A * 3 = 0.05 w_B, so w = (1/7, 6/7)
    res = risk_budgeting(_hand_scenarios(), risk_measure="es", level=0.75, budgets={"A": 0.25, "B": 0.75})
    np.testing.assert_allclose(res.weights.to_numpy(), [1 / 7, 6 / 7], rtol=1e-13)
    np.testing.assert_allclose(res.contributions["share"].to_numpy(), [0.25, 0.75], rtol=1e-12)


def test_fractional_tail_by_hand():
    # level 0.625: m = 1.5 scenarios, ES = (loss_1 + 0.5 loss_2) / 1.5 with gradient
    # ((0.10 - 0.5 * 0.02) / 1.5, (0.05 + 0.5 * 0.01) / 1.5) = (0.06, 0.11 / 3): w = (11/29, 18/29),
    # ES = 1.98 / 43.5; scenario 2's loss at w is -0.02 * 11/29 + 0.01 * 18/29 < 0 but still second
    res = risk_budgeting(_hand_scenarios(), risk_measure="es", level=0.625)
    np.testing.assert_allclose(res.weights.to_numpy(), [11 / 29, 18 / 29], rtol=1e-13)
    assert res.es == pytest.approx(1.98 / 43.5, rel=1e-13)
    np.testing.assert_allclose(res.tail_weights.to_numpy(), [2 / 3, 1 / 3, 0, 0], atol=1e-15)
    assert res.es == pytest.approx(naive_es(_hand_scenarios().to_numpy() @ res.weights.to_numpy(), 0.625))


@pytest.mark.parametrize("level", [0.75, 0.625])
def test_contributions_are_central_differences_where_es_is_smooth(level):
    r = _hand_scenarios()
    res = risk_budgeting(r, risk_measure="es", level=level)
    w = res.weights.to_numpy()
    X = r.to_numpy()
    h = 1e-7
    grad = [
        (naive_es(X @ (w + h * e), level) - naive_es(X @ (w - h * e), level)) / (2 * h) for e in np.eye(2)
    ]
    np.testing.assert_allclose(w * np.array(grad), res.contributions["es"].to_numpy(), rtol=1e-8)


def _fat_tailed(T: int, N: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    market = rng.standard_t(4, size=(T, 1))
    X = 0.01 * (0.5 + rng.random(N)) * (rng.standard_t(4, size=(T, N)) + (0.3 + rng.random(N)) * market)
    return pd.DataFrame(X, columns=[f"S{i}" for i in range(N)])


@pytest.mark.parametrize("seed", range(12))
def test_shares_equal_budgets_on_many_seeds(seed):
    rng = np.random.default_rng(100 + seed)
    N, T = int(rng.integers(3, 15)), int(rng.integers(150, 800))
    level = float(rng.choice([0.9, 0.95, 0.975, 0.99]))
    r = _fat_tailed(T, N, seed)
    b = rng.random(N) + 0.1
    budgets = pd.Series(b / b.sum(), index=r.columns)
    res = risk_budgeting(r, risk_measure="es", level=level, budgets=budgets)
    w = res.weights.to_numpy()
    es = naive_es(r.to_numpy() @ w, level)
    assert res.es == pytest.approx(es, rel=1e-12)  # contributions sum to the ES by sorting
    np.testing.assert_allclose(res.contributions["share"].to_numpy(), budgets.to_numpy(), rtol=1e-8)
    assert (w > 0).all() and w.sum() == pytest.approx(1.0, abs=1e-14)
    # the tail weights are the naive tail: 1/m on every loss above the VaR, nothing below it
    q, loss = res.tail_weights.to_numpy(), -(r.to_numpy() @ w)
    m = T * (1 - level)
    assert q.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(q[loss > res.var * (1 + 1e-12)], 1 / m, rtol=1e-12)
    assert (q[loss < res.var * (1 - 1e-12)] == 0).all()
    assert ((q >= 0) & (q <= 1 / m * (1 + 1e-12))).all()


def test_kinked_optimum_contributions_lie_between_one_sided_derivatives():
    # ES is piecewise linear; the solution sits where scenarios tie at the VaR. The contributions use
    # the tail weights the optimum fixes, which one-sided differences of the same ES bracket.
    r = _fat_tailed(1000, 8, 7)
    res = risk_budgeting(r, risk_measure="es", level=0.95)
    assert res.info["tied"] >= 2
    X, w = r.to_numpy(), res.weights.to_numpy()
    g = res.contributions["es"].to_numpy() / w
    h = 1e-9
    base = naive_es(X @ w, 0.95)
    for i, e in enumerate(np.eye(8)):
        right = (naive_es(X @ (w + h * e), 0.95) - base) / h
        left = (base - naive_es(X @ (w - h * e), 0.95)) / h
        assert left - 1e-6 * abs(g[i]) <= g[i] <= right + 1e-6 * abs(g[i])


def test_group_budgets_by_es():
    r = _fat_tailed(600, 6, 3)
    groups = {"S0": "x", "S1": "x", "S2": "y", "S3": "y", "S4": "y", "S5": "z"}
    res = group_risk_budgeting(r, groups, group_budgets={"x": 0.5, "y": 0.3, "z": 0.2}, risk_measure="es")
    share = res.contributions["share"].groupby(pd.Series(groups)).sum()
    np.testing.assert_allclose(share[["x", "y", "z"]].to_numpy(), [0.5, 0.3, 0.2], rtol=1e-10)
    np.testing.assert_allclose(res.contributions["share"][["S2", "S3", "S4"]].to_numpy(), 0.1, rtol=1e-10)


def test_matches_the_decomposition_es_contributions():
    # integer tail with no tie at the VaR: the historical ES contributions of riskkit.decomposition.tail
    r = _hand_scenarios()
    res = risk_budgeting(r, risk_measure="es", level=0.75)
    tail = tail_risk(res.weights, r, level=0.75)
    np.testing.assert_allclose(tail.contributions["es"].to_numpy(), res.contributions["es"].to_numpy())
    assert tail.es == pytest.approx(res.es)


def test_variance_default_is_unchanged():
    r = _fat_tailed(500, 5, 1)
    cov = r.cov()
    w = risk_budgeting(cov)
    assert isinstance(w, pd.Series)
    rc = w * (cov @ w)
    np.testing.assert_allclose(rc / rc.sum(), 0.2, rtol=1e-10)


def test_errors_name_the_argument():
    r = _hand_scenarios()
    with pytest.raises(InvalidParameterError, match="not a covariance"):
        risk_budgeting(r.cov(), risk_measure="es")
    with pytest.raises(InvalidParameterError, match="level applies to risk_measure='es' only"):
        risk_budgeting(r.cov(), level=0.9)
    with pytest.raises(InvalidParameterError, match="risk_measure"):
        risk_budgeting(r.cov(), risk_measure="cvar")
    gains = r.assign(C=[0.01, 0.02, 0.03, 0.04])
    with pytest.raises(InvalidParameterError, match=r"stand-alone ES.*C"):
        risk_budgeting(gains, risk_measure="es", level=0.75)
    with pytest.raises(InvalidParameterError, match="tail"):
        risk_budgeting(r, risk_measure="es", level=0.9)  # 0.4 of a scenario


def test_input_not_modified():
    r = _fat_tailed(300, 4, 2)
    before = r.copy()
    risk_budgeting(r, risk_measure="es")
    pd.testing.assert_frame_equal(r, before)


def test_skfolio_cvar_risk_budgeting():
    skfolio = pytest.importorskip("skfolio")
    from skfolio.optimization import RiskBudgeting

    r = _fat_tailed(1000, 20, 11)
    ours = risk_budgeting(r, risk_measure="es", level=0.95)
    model = RiskBudgeting(risk_measure=skfolio.RiskMeasure.CVAR, cvar_beta=0.95).fit(r.to_numpy())
    np.testing.assert_allclose(model.weights_, ours.weights.to_numpy(), atol=1e-4)


def test_riskfolio_cvar_risk_parity():
    rp = pytest.importorskip("riskfolio")
    r = _fat_tailed(1000, 20, 11)
    ours = risk_budgeting(r, risk_measure="es", level=0.95)
    port = rp.Portfolio(returns=r)
    port.alpha = 0.05
    port.assets_stats(method_mu="hist", method_cov="hist")
    w = port.rp_optimization(model="Classic", rm="CVaR", rf=0, b=None, hist=True)
    np.testing.assert_allclose(w.to_numpy().ravel(), ours.weights.to_numpy(), atol=1e-4)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.975, 0.99])
def test_min_scenarios_is_the_fewest_the_es_budget_takes(level):
    from riskkit.decomposition.tail import min_scenarios

    n = min_scenarios(level)
    assert n == round(1 / (1 - level))  # 10, 20, 40, 100: one whole period in the tail
    r = pd.DataFrame(np.random.default_rng(3).normal(0.0, 0.02, (n, 2)), columns=["A", "B"])
    assert risk_budgeting(r, risk_measure="es", level=level).weights.sum() == pytest.approx(1.0)
    with pytest.raises(InvalidParameterError, match=f"pass at least {n} scenarios"):
        risk_budgeting(r.iloc[1:], risk_measure="es", level=level)
