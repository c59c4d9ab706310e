"""riskkit.allocation: published reference values and optimality conditions."""

import numpy as np
import pandas as pd
import pytest

from riskkit import allocation as A
from riskkit.exceptions import InvalidParameterError


def cov_from(vols, corr, names=None):
    vols = np.asarray(vols, dtype=float)
    names = names or [f"a{i}" for i in range(len(vols))]
    return pd.DataFrame(np.asarray(corr) * np.outer(vols, vols), index=names, columns=names)


def factor_covariance(g, n, *, vols, idio):
    """Three factors, one of them long-short (negative correlations), idiosyncratic variance drawn
    from ``idio`` on the correlation scale, volatilities log-uniform in ``vols``."""
    L = g.normal(size=(n, 3)) * [1.0, 0.8, 0.5]
    L[: n // 2, 1] *= -1
    corr_raw = L @ L.T + np.diag(g.uniform(*idio, n))
    d = np.sqrt(np.diag(corr_raw))
    sd = np.exp(g.uniform(np.log(vols[0]), np.log(vols[1]), n))
    return cov_from(sd, corr_raw / np.outer(d, d))


def shares(w, cov):
    S = cov.to_numpy()
    x = w.reindex(cov.index).to_numpy()
    rc = x * (S @ x)
    return rc / rc.sum()


def test_maillard_roncalli_teiletche_erc():
    corr = np.eye(4)
    corr[0, 1] = corr[1, 0] = 0.8
    corr[2, 3] = corr[3, 2] = -0.5
    cov = cov_from([0.10, 0.20, 0.30, 0.40], corr)
    w = A.risk_budgeting(cov)
    assert list((w * 100).round(1)) == [38.4, 19.2, 24.3, 18.2]
    np.testing.assert_allclose(shares(w, cov), 0.25, rtol=1e-10)


def test_bruder_roncalli_budgets():
    corr = np.full((3, 3), 0.8)
    np.fill_diagonal(corr, 1.0)
    cov = cov_from([0.20, 0.21, 0.10], corr)
    budgets = {"a0": 0.5, "a1": 0.25, "a2": 0.25}
    w = A.risk_budgeting(cov, budgets=budgets)
    assert list((w * 100).round(2)) == [39.12, 19.64, 41.24]
    np.testing.assert_allclose(shares(w, cov), [0.5, 0.25, 0.25], rtol=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_equal_correlations_give_inverse_volatility_and_budgets_hold(seed):
    g = np.random.default_rng(seed)
    n = int(g.integers(3, 30))
    rho = float(g.uniform(-0.9 / (n - 1), 0.9))
    corr = np.full((n, n), rho)
    np.fill_diagonal(corr, 1.0)
    cov = cov_from(g.uniform(0.1, 1.0, n), corr)
    np.testing.assert_allclose(A.risk_budgeting(cov), A.inverse_volatility(cov), rtol=1e-10)
    B = g.normal(size=(n, n))
    cov2 = pd.DataFrame(B @ B.T / n + np.eye(n) * 0.05, index=cov.index, columns=cov.index)
    b = g.uniform(0.2, 1.0, n)
    b /= b.sum()
    w = A.risk_budgeting(cov2, budgets=dict(zip(cov.index, b, strict=True)))
    assert (w > 0).all()
    np.testing.assert_allclose(shares(w, cov2), b, rtol=1e-10)
    perm = g.permutation(n)
    wp = A.risk_budgeting(cov2.iloc[perm, perm], budgets=dict(zip(cov.index, b, strict=True)))
    pd.testing.assert_series_equal(wp, w.iloc[perm], rtol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_hard_risk_budgets_converge_to_1e10(seed):
    """Large N, negative correlations (a long-short factor), budgets spread over three orders of
    magnitude, vols from 1% to 200%: the warm start and chord steps still end on the budgets."""
    g = np.random.default_rng(100 + seed)
    n = 300
    cov = factor_covariance(g, n, vols=(0.01, 2.0), idio=(0.05, 1.0))
    b = np.exp(g.uniform(np.log(1e-3), 0.0, n))
    b /= b.sum()
    w = A.risk_budgeting(cov, budgets=dict(zip(cov.index, b, strict=True)))
    assert (w > 0).all()
    np.testing.assert_allclose(shares(w, cov), b, rtol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_wide_budgets_stop_at_the_float64_floor(seed):
    """Issue 15.1: budgets down to 1e-6 with negative correlations put the relative floor of the
    risk shares near 1e-8 although their absolute error is 1e-15; the solver must stop there
    instead of raising "did not converge" (it did on 4 of these 5 seeds with one BLAS thread)."""
    from threadpoolctl import threadpool_limits

    g = np.random.default_rng(100 + seed)
    n = 1000
    cov = factor_covariance(g, n, vols=(0.01, 2.0), idio=(0.05, 1.0))
    b = np.exp(g.uniform(np.log(1e-6), 0.0, n))
    b /= b.sum()
    with threadpool_limits(1):
        w = A.risk_budgeting(cov, budgets=dict(zip(cov.index, b, strict=True)))
    assert (w > 0).all()
    rc = shares(w, cov)
    assert np.max(np.abs(rc - b)) < 1e-13  # absolute: at rounding
    # relative: within the rounding floor eps * w_i (|S| w)_i / w'Sw, computed naively here
    S, x = cov.to_numpy(), w.to_numpy()
    floor = np.finfo(float).eps * x * (np.abs(S) @ x) / (x @ S @ x)
    assert (np.abs(rc - b) <= 1e-10 * b + 64 * floor).all()


def singular_factor_covariance(seed, n=8, k=2):
    g = np.random.default_rng(seed)
    B = g.normal(size=(n, k))
    vols = np.exp(g.uniform(np.log(0.01), np.log(1.0), n))
    S = B @ B.T
    d = np.sqrt(np.diag(S))
    return cov_from(vols, S / np.outer(d, d))  # rank k: no idiosyncratic variance


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    "solve",
    [
        A.risk_budgeting,
        lambda c: A.group_risk_budgeting(c, {a: i % 2 for i, a in enumerate(c.index)}),
        A.min_variance,
        lambda c: A.min_variance(c, long_only=False),
        A.max_diversification,
    ],
    ids=["risk_budgeting", "group_risk_budgeting", "min_variance", "min_variance_free", "max_div"],
)
def test_singular_covariance_is_named_where_an_inverse_is_needed(seed, solve):
    """Issue 15.2: a PSD rank-deficient covariance passed check_covariance and then leaked a raw
    LinAlgError from risk_budgeting's Cholesky step (and gave arbitrary minimum-variance weights)."""
    from riskkit.exceptions import SingularCovarianceError

    cov = singular_factor_covariance(seed)
    with pytest.raises(
        SingularCovarianceError, match=r"singular.*smallest eigenvalue .*needs a non-singular"
    ) as e:
        solve(cov)
    assert abs(e.value.smallest_eigenvalue) < 1e-12 * np.trace(cov.to_numpy())
    flat = cov.copy()
    flat.iloc[3, :] = flat.iloc[:, 3] = 0.0  # a constant asset
    with pytest.raises(SingularCovarianceError, match="zero variance for 'a3'"):
        solve(flat + np.diag(np.r_[np.ones(3), 0.0, np.ones(4)]) * 1e-4)


@pytest.mark.parametrize("seed", range(3))
def test_singular_covariance_is_accepted_where_no_inverse_is_needed(seed):
    cov = singular_factor_covariance(seed)
    for solve in (A.equal_weight, A.inverse_volatility, A.hierarchical_risk_parity):
        w = solve(cov)
        assert np.isfinite(w).all() and w.sum() == pytest.approx(1.0) and (w > 0).all()
    w = A.inverse_volatility(cov)
    out = A.volatility_target(w, cov, target=0.1, periods_per_year=1, leverage_cap=100.0)
    x = out.drop("CASH").to_numpy()
    assert np.sqrt(x @ cov.to_numpy() @ x) == pytest.approx(0.1, rel=1e-12)


def test_min_variance_and_max_diversification():
    g = np.random.default_rng(1)
    B = g.normal(size=(8, 8))
    cov = pd.DataFrame(B @ B.T / 8 + np.eye(8) * 0.05, index=list("abcdefgh"), columns=list("abcdefgh"))
    S = cov.to_numpy()
    free = A.min_variance(cov, long_only=False)
    x = np.linalg.solve(S, np.ones(8))
    np.testing.assert_allclose(free, x / x.sum(), rtol=1e-12)
    lo = A.min_variance(cov)
    assert (lo >= 0).all() and lo.sum() == pytest.approx(1.0)
    grad = S @ lo.to_numpy()
    active = lo.to_numpy() > 1e-8
    assert np.ptp(grad[active]) < 1e-6 * grad[active].mean()  # KKT: equal marginal variance on held assets
    assert (grad[~active] >= grad[active].mean() - 1e-9).all()
    md = A.max_diversification(cov)
    sd = np.sqrt(np.diag(S))

    def dr(w):
        return (w @ sd) / np.sqrt(w @ S @ w)

    best = dr(md.to_numpy())
    for _ in range(200):
        r = g.dirichlet(np.ones(8))
        assert dr(r) <= best + 1e-9
    assert A.equal_weight(cov).sum() == pytest.approx(1.0)


def hostile_covariance(seed, n, vols=(1e-4, 10.0), idio=(1e-3, 1.0)):
    """A factor model with a long-short factor, vols from 1e-4 to 10 per period, condition ~1e6."""
    return factor_covariance(np.random.default_rng(seed), n, vols=vols, idio=idio)


def kkt_residual(w, S, a):
    """Naive KKT check of min w'Sw s.t. w >= 0, sum w = 1 after dividing the gradient by a
    (a = 1: minimum variance; a = sigma: maximum diversification, whose optimality conditions
    are that (S w)_i / sigma_i is equal on the held assets and no smaller elsewhere).
    Residuals are relative to the level, less what rounding of S @ w itself leaves
    (64 eps (|S| w)_i / a_i: a long-short factor makes (S w)_i a cancelling sum)."""
    g = (S @ w) / a
    floor = 64 * np.finfo(float).eps * (np.abs(S) @ w) / a
    held = w > 0
    level = np.mean(g[held])
    spread = np.max(np.maximum(np.abs(g[held] - level) - floor[held], 0.0)) / level
    below = max(0.0, float(np.max(level - g[~held] - floor[~held]) / level)) if (~held).any() else 0.0
    return spread, below


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", [5, 60, 200])
def test_long_only_min_variance_and_max_diversification_meet_kkt(seed, n):
    """Issue 15.8: an active-set solver ending on the exact KKT point, its residuals reported
    (SLSQP's success flag was never checked)."""
    cov = hostile_covariance(seed, n)
    S = cov.to_numpy()
    sd = np.sqrt(np.diag(S))
    for solve, a, scale in ((A.min_variance, np.ones(n), 1.0 / sd), (A.max_diversification, sd, np.ones(n))):
        w = solve(cov)
        x = w.to_numpy()
        assert not w.attrs  # named results, no hidden attributes
        assert (x >= 0).all() and x.sum() == pytest.approx(1.0, abs=1e-14)
        spread, below = kkt_residual(x, S, a)
        assert spread < 1e-9 and below < 1e-12
        core, info = A._long_only_qp(S, scale, sd)  # the solver's own KKT report
        np.testing.assert_allclose(core, x, rtol=1e-9, atol=1e-13)
        assert info["stationarity"] < 1e-10 and info["dual_infeasibility"] == 0.0
        # rounding level, whatever the CPU (1.8e-14 seen with AVX2 kernels)
        assert info["primal_infeasibility"] < 1e-12 and info["complementarity"] < 1e-12
        assert info["free"] == int((x > 0).sum())
    # permuting the assets permutes the weights
    perm = np.random.default_rng(seed).permutation(n)
    pd.testing.assert_series_equal(
        A.min_variance(cov.iloc[perm, perm]), A.min_variance(cov).iloc[perm], rtol=1e-9, atol=1e-13
    )


@pytest.mark.bench
@pytest.mark.parametrize("seed", range(3))
def test_long_only_qp_matches_a_tight_conic_solver(seed):
    """Against cvxpy + OSQP at 1e-12 tolerances with its active-set polishing (bench extra): weights
    within 1e-8. (Clarabel, an interior-point method, stops 1e-6 away on these flat objectives.)"""
    cp = pytest.importorskip("cvxpy")
    cov = hostile_covariance(seed, 120, vols=(0.01, 1.0), idio=(0.05, 1.0))
    S = cov.to_numpy()
    sd = np.sqrt(np.diag(S))
    C = S / np.outer(sd, sd)
    for solve, a in ((A.min_variance, 1.0 / sd), (A.max_diversification, np.ones(len(sd)))):
        x = cp.Variable(len(sd))
        prob = cp.Problem(cp.Minimize(cp.quad_form(x, cp.psd_wrap(C))), [a @ x == 1, x >= 0])
        prob.solve(solver="OSQP", eps_abs=1e-12, eps_rel=1e-12, max_iter=200_000, polishing=True)
        assert prob.status == "optimal"
        ref = np.maximum(x.value, 0.0) / sd
        np.testing.assert_allclose(solve(cov).to_numpy(), ref / ref.sum(), atol=1e-8, rtol=0)


def test_bad_budgets():
    cov = cov_from([0.1, 0.2], np.eye(2), names=["x", "y"])
    with pytest.raises(InvalidParameterError, match="must be positive; not for 'y'"):
        A.risk_budgeting(cov, budgets={"x": 1.2, "y": -0.2})
    with pytest.raises(InvalidParameterError, match=r"budgets must sum to 1; it sums to 0\.9"):
        A.risk_budgeting(cov, budgets={"x": 0.5, "y": 0.4})
    with pytest.raises(InvalidParameterError, match="missing: 'y'"):
        A.risk_budgeting(cov, budgets={"x": 1.0})
    bad = cov.copy()
    bad.loc["x", "y"] = bad.loc["y", "x"] = 0.5  # correlation 25: not PSD
    with pytest.raises(InvalidParameterError, match="not positive semi-definite"):
        A.risk_budgeting(bad)


def test_group_budgets_fix_group_shares_with_equal_risk_inside():
    g = np.random.default_rng(3)
    B = g.normal(size=(6, 6))
    names = list("abcdef")
    cov = pd.DataFrame(B @ B.T / 6 + np.eye(6) * 0.1, index=names, columns=names)
    groups = {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y", "f": "z"}
    w = A.group_risk_budgeting(cov, groups, group_budgets={"x": 0.5, "y": 0.3, "z": 0.2})
    s = pd.Series(shares(w, cov), index=names)
    assert s[["a", "b", "c"]].sum() == pytest.approx(0.5, rel=1e-10)
    assert s[["d", "e"]].sum() == pytest.approx(0.3, rel=1e-10)
    np.testing.assert_allclose(s[["a", "b", "c"]], 0.5 / 3, rtol=1e-10)
    with pytest.raises(InvalidParameterError, match="groups leave out assets: 'f'"):
        A.group_risk_budgeting(cov, {k: v for k, v in groups.items() if k != "f"})


def test_hrp_properties():
    cov = cov_from([0.1, 0.2, 0.3, 0.4], np.eye(4))
    hrp = A.hierarchical_risk_parity(cov)
    iv = 1 / np.array([0.01, 0.04, 0.09, 0.16])
    np.testing.assert_allclose(hrp, iv / iv.sum(), rtol=1e-12)  # uncorrelated: inverse variance
    g = np.random.default_rng(5)
    B = g.normal(size=(7, 7))
    names = [f"s{i}" for i in range(7)]
    cov2 = pd.DataFrame(B @ B.T / 7 + np.eye(7) * 0.1, index=names, columns=names)
    w = A.hierarchical_risk_parity(cov2)
    assert (w > 0).all() and w.sum() == pytest.approx(1.0)
    perm = g.permutation(7)
    pd.testing.assert_series_equal(
        A.hierarchical_risk_parity(cov2.iloc[perm, perm]), w.iloc[perm], rtol=1e-12
    )


def test_volatility_target_and_cap():
    cov = cov_from([0.3, 0.6], [[1.0, 0.5], [0.5, 1.0]], names=["a", "b"])
    w = pd.Series({"a": 0.5, "b": 0.5})
    out = A.volatility_target(w, cov / 365, target=0.2, periods_per_year=365)
    x = out[["a", "b"]].to_numpy()
    assert np.sqrt(x @ cov.to_numpy() @ x) == pytest.approx(0.2)
    assert out["CASH"] == pytest.approx(1 - x.sum())
    with pytest.raises(InvalidParameterError, match="above leverage_cap=1"):
        A.volatility_target(w, cov / 365, target=0.9, periods_per_year=365)
    capped = A.volatility_target(
        w, cov / 365, target=0.9, periods_per_year=365, leverage_cap=1.5, on_cap="clip"
    )
    assert capped[["a", "b"]].sum() == pytest.approx(1.5) and capped["CASH"] == pytest.approx(-0.5)


def test_leverage_cap_caps_gross_exposure():
    """Issue 15.7: a long/short book at cap 1 must not reach gross exposure 1.36."""
    cov = cov_from([0.3, 0.6], [[1.0, 0.5], [0.5, 1.0]], names=["a", "b"])
    w = pd.Series({"a": 1.18, "b": -0.18})  # net 1, gross 1.36
    with pytest.raises(InvalidParameterError, match="gross exposure"):
        A.volatility_target(w, cov / 365, target=0.5, periods_per_year=365)
    out = A.volatility_target(w, cov / 365, target=0.5, periods_per_year=365, on_cap="clip")
    x = out[["a", "b"]]
    assert x.abs().sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(x.to_numpy(), w.to_numpy() / 1.36, rtol=1e-15)
    assert out["CASH"] == pytest.approx(1 - 1 / 1.36)
    # under the cap: the target is met exactly, gross below the cap
    low = A.volatility_target(w, cov / 365, target=0.1, periods_per_year=365)
    xv = low[["a", "b"]].to_numpy()
    assert np.sqrt(xv @ cov.to_numpy() @ xv) == pytest.approx(0.1, rel=1e-14)
    assert np.abs(xv).sum() < 1.0


def test_rolling_and_volatility_target_tables():
    from riskkit.shrinkage import shrink
    from riskkit.simulation import simulate_market

    m = simulate_market(n_assets=4, n_periods=400, seed=2)
    r = m.returns
    table = A.rolling_targets(r, method="risk_budgeting", window=120, step=60)
    last = table.index[-1]
    ref = A.risk_budgeting(shrink(r.loc[:last].iloc[-120:]).covariance)
    np.testing.assert_allclose(table.loc[last], ref, rtol=1e-10)
    w = pd.Series(0.25, index=r.columns)
    vt = A.volatility_target_table(w, r, target=0.5, band=0.2, window=120, step=20)
    scales = vt.sum(axis=1)
    assert (scales <= 1.0 + 1e-12).all() and len(vt) >= 1
    assert vt.index[0] == r.index[119]
    # long/short: the cap holds on gross exposure (issue 15.7)
    ls = pd.Series([0.9, 0.6, -0.3, -0.2], index=r.columns)
    vt = A.volatility_target_table(ls, r, target=5.0, band=0.2, window=120, step=20, leverage_cap=1.5)
    np.testing.assert_allclose(vt.abs().sum(axis=1), 1.5, rtol=1e-14)  # target out of reach: at the cap


def test_target_tables_feed_the_backtest():
    from riskkit.rebalancing import Calendar, Config, backtest
    from riskkit.simulation import simulate_market

    m = simulate_market(n_assets=4, n_periods=400, seed=3)
    table = A.rolling_targets(m.returns, method="inverse_volatility", window=100, step=30)
    res = backtest(m.prices.loc[table.index[0] :], table, [Config("m", Calendar("M"))])
    assert res.values["m"].iloc[-1] > 0
    vt = A.volatility_target_table(
        pd.Series(0.25, index=m.prices.columns), m.returns, target=0.4, window=100, step=30
    )
    res = backtest(m.prices.loc[vt.index[0] :], vt, [Config("m", Calendar("M"))], allow_leverage=True)
    w = res.weights["m"]
    assert (w.sum(axis=1) <= 1.0 + 1e-9).all()  # the rest is the cash leg


@pytest.mark.parametrize("seed", range(6))
def test_primal_active_set_fallback_reaches_the_same_kkt_point(seed):
    """The fallback that finishes should the primal-dual iteration cycle, started from 1/N."""
    from riskkit.allocation._qp import _primal_active_set, simplex_qp

    cov = hostile_covariance(seed, 80, vols=(0.01, 1.0))
    S = cov.to_numpy()
    sd = np.sqrt(np.diag(S))
    C = S / np.outer(sd, sd)
    for a in (1.0 / sd, np.ones(len(sd))):
        x, _ = simplex_qp(C, a)
        y, t, mu, free, steps = _primal_active_set(C, a, np.full(len(a), 1.0 / len(a)), max_iter=1000)
        np.testing.assert_allclose(y, x, atol=1e-12 * x.max())
        assert (mu[~free] >= -1e-12 * t * a[~free]).all() and steps >= 1


def test_volatility_target_without_periods_per_year_is_per_period():
    """The annualisation rule: a covariance carries no dates, so the target is in its own units."""
    cov = cov_from([0.01, 0.02], [[1.0, 0.3], [0.3, 1.0]], names=["a", "b"])  # daily volatilities
    w = pd.Series({"a": 0.5, "b": 0.5})
    out = A.volatility_target(w, cov, target=0.005)
    x = out[["a", "b"]].to_numpy()
    assert np.sqrt(x @ cov.to_numpy() @ x) == pytest.approx(0.005, rel=1e-14)
    annual = A.volatility_target(w, cov, target=0.005 * np.sqrt(252), periods_per_year=252)
    pd.testing.assert_series_equal(annual, out, rtol=1e-14)


def test_rolling_targets_take_a_rolling_shrinkage_and_give_the_same_targets():
    from riskkit.shrinkage import rolling_shrink
    from riskkit.simulation import simulate_market

    r = simulate_market(n_assets=4, n_periods=400, seed=5).returns
    for method, shrinkage in (("risk_budgeting", None), ("hierarchical_risk_parity", "oas")):
        from_returns = A.rolling_targets(r, method=method, window=120, step=40, shrinkage=shrinkage)
        roll = rolling_shrink(r, window=120, step=40, method=shrinkage or "ledoit_wolf")
        pd.testing.assert_frame_equal(A.rolling_targets(roll, method=method), from_returns, rtol=0, atol=0)
    with pytest.raises(InvalidParameterError, match="got a RollingShrinkage and 'window'"):
        A.rolling_targets(roll, window=120)
    with pytest.raises(InvalidParameterError, match="needs window= and step="):
        A.rolling_targets(r, method="equal_weight")


def test_group_risk_budgeting_names_assets_without_a_group():
    cov = cov_from([0.1, 0.2, 0.3], np.eye(3), names=["x", "y", "z"])
    with pytest.raises(InvalidParameterError, match="groups has no group for 'z'"):
        A.group_risk_budgeting(cov, pd.Series({"x": "g", "y": "g", "z": None}))


def test_target_weights_must_sum_to_one():
    cov = cov_from([0.1, 0.2], np.eye(2), names=["x", "y"])
    with pytest.raises(
        InvalidParameterError, match=r"target weights \(method\) must sum to 1; it sums to 1\.1"
    ):
        A.target_weights(cov, {"x": 0.6, "y": 0.5})
