"""riskkit.decomposition: contributions, groups, clusters, bets, decompose (tail, stress and factors have
their own test files)."""

import math

import numpy as np
import pandas as pd
import pytest
from riskkit.tail import tail_risk

from riskkit import decomposition as D
from riskkit import factors as F
from riskkit import stress as ST
from riskkit.exceptions import InvalidParameterError, NonFiniteError
from riskkit.simulation import simulate_market


def published():
    vols = np.array([0.30, 0.20, 0.15])
    C = np.array([[1.0, 0.8, 0.5], [0.8, 1.0, 0.3], [0.5, 0.3, 1.0]])
    cov = pd.DataFrame(C * np.outer(vols, vols), index=list("ABC"), columns=list("ABC"))
    return pd.Series([0.5, 0.2, 0.3], index=list("ABC")), cov


def random_case(seed, n=6):
    g = np.random.default_rng(seed)
    A = g.normal(size=(n, n))
    cov = pd.DataFrame(
        A @ A.T / n + np.eye(n) * 0.1, index=[f"X{i}" for i in range(n)], columns=[f"X{i}" for i in range(n)]
    )
    w = pd.Series(g.uniform(-0.2, 1.0, n), index=cov.index)
    return w, cov


def test_published_example():
    w, cov = published()
    res = D.risk_contributions(w, cov, periods_per_year=1)
    assert round(res.volatility * 100, 2) == 20.87
    assert list((res.assets["percent"] * 100).round(2)) == [70.43, 15.93, 13.64]
    assert res.periods_per_year == 1.0
    assert res.summary().loc["portfolio", "largest_asset"] == "A"


@pytest.mark.parametrize("seed", range(8))
def test_euler_sums_and_marginals_are_derivatives(seed):
    w, cov = random_case(seed)
    res = D.risk_contributions(w, cov, periods_per_year=1)
    rc, sigma = res.assets, res.volatility
    assert rc["component"].sum() == pytest.approx(sigma, rel=1e-12)
    assert rc["percent"].sum() == pytest.approx(1.0, rel=1e-12)
    S, wv, h = cov.to_numpy(), w.to_numpy(), 1e-6
    for i in range(len(wv)):
        up, dn = wv.copy(), wv.copy()
        up[i] += h
        dn[i] -= h
        fd = (np.sqrt(up @ S @ up) - np.sqrt(dn @ S @ dn)) / (2 * h)
        assert rc["marginal"].iloc[i] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    ann = D.risk_contributions(w, cov, periods_per_year=365)
    assert ann.volatility == pytest.approx(sigma * math.sqrt(365))
    np.testing.assert_allclose(ann.assets["percent"], rc["percent"])
    np.testing.assert_allclose(ann.assets["component"], rc["component"] * math.sqrt(365))


def test_groups_sum_their_members_and_must_cover_every_asset():
    w, cov = random_case(1)
    rc = D.risk_contributions(w, cov, periods_per_year=1).assets
    groups = {"X0": "a", "X1": "a", "X2": "b", "X3": "b", "X4": "b", "X5": "c"}
    g = D.group_contributions(rc, groups)
    assert g.loc["a", "component"] == pytest.approx(rc.loc[["X0", "X1"], "component"].sum())
    assert g["percent"].sum() == pytest.approx(1.0)
    assert g.loc["b", "members"] == "X2, X3, X4"
    with pytest.raises(InvalidParameterError, match="groups leave out assets: 'X5'"):
        D.group_contributions(rc, {k: v for k, v in groups.items() if k != "X5"})


@pytest.mark.parametrize("seed", range(5))
def test_permuting_assets_permutes_every_output(seed):
    m = simulate_market(n_assets=8, n_periods=400, seed=seed)
    r = m.returns
    w = pd.Series(np.random.default_rng(seed).uniform(0.05, 0.2, 8), index=r.columns)
    perm = np.random.default_rng(seed + 1).permutation(8)
    a = D.decompose(w, returns=r, cluster_min_correlation=0.6)
    b = D.decompose(w.iloc[perm], returns=r.iloc[:, perm], cluster_min_correlation=0.6)
    assert a.volatility == pytest.approx(b.volatility, rel=1e-12)
    cols = ["weight", "volatility", "marginal", "component", "percent"]
    pd.testing.assert_frame_equal(a.assets[cols].loc[b.assets.index], b.assets[cols], rtol=1e-10)
    assert (a.assets["group"].loc[b.assets.index] == b.assets["group"]).all()  # clusters ignore column order
    pd.testing.assert_frame_equal(a.tail, b.tail, rtol=1e-10)


def test_clusters_find_the_correlated_block():
    m = simulate_market(
        n_assets=9,
        n_periods=3000,
        seed=3,
        groups=["a"] * 3 + ["b"] * 3 + ["c"] * 3,
        market_loading=(0.2, 0.3),
        group_loading=(0.85, 0.9),
        crash_probability=0.0,
    )
    corr = m.returns.corr()
    clusters = D.correlation_clusters(corr, min_correlation=0.5)
    for block in (m.groups[m.groups == k].index for k in "abc"):
        assert clusters[block].nunique() == 1
    assert clusters.nunique() == 3


def test_bad_input():
    w, cov = published()
    with pytest.raises(InvalidParameterError, match=r"in covariance only: 'C'; in weights only: 'D'"):
        D.risk_contributions(w.rename({"C": "D"}), cov, periods_per_year=1)
    # a dollar-neutral book is defined (issue 25): its shares are of its volatility
    neutral = D.risk_contributions(pd.Series([0.5, -0.5, 0.0], index=list("ABC")), cov, periods_per_year=1)
    assert neutral.assets["percent"].sum() == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(NonFiniteError, match="missing or infinite weights for 'B'"):
        D.risk_contributions(pd.Series([0.5, np.nan, 0.5], index=list("ABC")), cov, periods_per_year=1)
    bad = cov.copy()
    bad.loc["A", "B"] = bad.loc["B", "A"] = 0.2  # correlation above one: not PSD
    with pytest.raises(InvalidParameterError, match=r"not positive semi-definite.*repair='clip'"):
        D.risk_contributions(w, bad, periods_per_year=1)
    fixed = D.risk_contributions(w, bad, repair="clip", periods_per_year=1)
    assert fixed.assets["percent"].sum() == pytest.approx(1.0)

    # the annualisation rule: a bare covariance gives figures in its own units, per period
    res = D.risk_contributions(w, cov)
    S, wv = cov.to_numpy(), w.to_numpy()
    sigma = np.sqrt(wv @ S @ wv)  # PyPortfolioOpt-style naive formula
    assert res.volatility == pytest.approx(sigma, rel=1e-15) and res.periods_per_year is None
    np.testing.assert_allclose(res.assets["component"], wv * (S @ wv) / sigma, rtol=1e-15)
    assert res.summary()["units"].tolist() == ["per period"]
    ann = D.risk_contributions(w, cov, periods_per_year=252)
    assert ann.volatility == pytest.approx(sigma * math.sqrt(252), rel=1e-15)
    assert ann.summary()["units"].tolist() == ["annual"]


def test_effective_number_of_bets():
    cov = pd.DataFrame(np.diag([4.0, 1.0, 0.25]), index=list("abc"), columns=list("abc"))
    w = pd.Series([1.0, 2.0, 4.0], index=list("abc"))  # equal risk: w_i sigma_i = 2
    bets = D.effective_number_of_bets(w, cov)
    assert bets.effective_bets == pytest.approx(3.0) and bets.method == "pca"
    mt = D.effective_number_of_bets(w, cov, method="minimum_torsion")
    assert mt.effective_bets == pytest.approx(3.0, rel=1e-8)
    np.testing.assert_allclose(mt.distribution, 1 / 3, rtol=1e-8)
    assert list(mt.distribution.index) == list("abc")
    assert mt.summary().loc["portfolio", "n_bets"] == 3
    w2, cov2 = random_case(4)
    for method in ("pca", "minimum_torsion"):
        p2 = D.effective_number_of_bets(w2, cov2, method=method).distribution
        assert p2.sum() == pytest.approx(1.0, rel=1e-9)
    t = D._minimum_torsion(cov2.to_numpy())
    tst = t @ cov2.to_numpy() @ t.T
    assert np.max(np.abs(tst - np.diag(np.diag(tst)))) < 1e-8 * np.max(np.abs(tst))  # uncorrelated factors


def naive_minimum_torsion(S, *, starts=3, seed=0):
    """Meucci, Santangelo & Deguest (2015), section 3, as the optimisation it is: among the
    maps t whose factors t r are uncorrelated, the one whose factors track the assets best,
    min (1/N) sum_n Var((t_n r - r_n) / sigma_n). In standardised units (correlation C, its
    symmetric root c) a map x has uncorrelated factors iff x c = diag(d) Q with Q orthogonal,
    and the tracking error is ||diag(d) Q - c||_F^2, best at d_n = (Q c)_nn: so minimise
    ||c||^2 - sum_n (Q c)_nn^2 over rotations Q = expm(A - A'), by BFGS from several starts
    (not the paper's fixed-point iteration, which riskkit runs)."""
    from scipy.linalg import expm, sqrtm
    from scipy.optimize import minimize

    n = len(S)
    sigma = np.sqrt(np.diag(S))
    c = np.real(sqrtm(S / np.outer(sigma, sigma)))
    iu = np.triu_indices(n, 1)

    def rotation(a):
        A = np.zeros((n, n))
        A[iu] = a
        return expm(A - A.T)

    def torsion(a):
        return float(np.sum(c * c) - np.sum(np.diag(rotation(a) @ c) ** 2))

    x0s = [np.zeros(len(iu[0])), *np.random.default_rng(seed).normal(scale=0.5, size=(starts, len(iu[0])))]
    best = min(
        (minimize(torsion, x0, method="BFGS", options={"gtol": 1e-12}) for x0 in x0s), key=lambda r: r.fun
    )
    Q = rotation(best.x)
    x = (np.diag(Q @ c)[:, None] * Q) @ np.linalg.inv(c)
    return (sigma[:, None] * x) / sigma[None, :], best.fun, c


@pytest.mark.parametrize("seed", range(3))
def test_minimum_torsion_is_the_papers_optimum(seed):
    """riskkit's fixed-point iteration (the paper's appendix) against the definition solved
    by a general optimiser: the same tracking error at the optimum, the same risk shares."""
    w, cov = random_case(seed, n=4)
    S, wv = cov.to_numpy(), w.to_numpy()
    t_naive, best, c = naive_minimum_torsion(S)
    t = D._minimum_torsion(S)
    sigma = np.sqrt(np.diag(S))
    x = (t / sigma[:, None]) * sigma[None, :]  # riskkit's map in standardised units
    assert np.sum((x @ c - c) ** 2) == pytest.approx(best, rel=1e-8)  # the same (smallest) torsion
    tst = t @ S @ t.T
    assert np.max(np.abs(tst - np.diag(np.diag(tst)))) < 1e-8 * np.max(np.abs(tst))  # uncorrelated factors

    def shares(t):  # p_k = (t^-T w)_k (t S w)_k / w'Sw, Meucci et al. eq. (25)
        return np.linalg.solve(t.T, wv) * (t @ S @ wv) / (wv @ S @ wv)

    mt = D.effective_number_of_bets(w, cov, method="minimum_torsion")
    np.testing.assert_allclose(mt.distribution.to_numpy(), shares(t_naive), atol=2e-5)
    p = shares(t_naive)
    assert mt.effective_bets == pytest.approx(np.exp(-np.sum(p * np.log(p))), rel=1e-4)


def test_minimum_torsion_with_one_common_factor_by_hand():
    """Equal correlations rho and equal volatilities: by symmetry the minimum-torsion factors
    share the risk of an equal-weight book equally, N bets, while principal components see
    one: the first carries (1 + (N - 1) rho) / N of the correlation's variance and all of
    this book's risk (the equal-weight book is that eigenvector)."""
    n, rho = 5, 0.6
    C = np.full((n, n), rho) + (1 - rho) * np.eye(n)
    cov = pd.DataFrame(C * 0.04, index=list("abcde"), columns=list("abcde"))
    w = pd.Series(0.2, index=cov.index)
    mt = D.effective_number_of_bets(w, cov, method="minimum_torsion")
    assert mt.effective_bets == pytest.approx(5.0, rel=1e-9)
    pca = D.effective_number_of_bets(w, cov, method="pca")
    assert pca.effective_bets == pytest.approx(1.0, rel=1e-9) and pca.distribution.iloc[0] == pytest.approx(
        1.0
    )
    d = D.decompose(w, covariance=cov, periods_per_year=1)
    assert d.bets().effective_bets == pytest.approx(5.0, rel=1e-9) and d.bets(
        "pca"
    ).effective_bets == pytest.approx(1.0)
    text = D.verdict(d)
    assert "behaves like 5.0 equally risky assets (it holds 5)" in text
    assert "5.0 minimum-torsion bets" in text and "1.0 principal-component bets" in text
    assert "first principal component carries 100.0% of the risk" in text


def test_concentration_by_hand():
    w, cov = published()
    c = D.concentration(w, cov)
    assert c["hhi_weights"] == pytest.approx(0.25 + 0.04 + 0.09)
    rc = D.risk_contributions(w, cov, periods_per_year=1).assets
    assert c["hhi_risk"] == pytest.approx((rc["percent"] ** 2).sum())
    assert c["diversification_ratio"] == pytest.approx((0.5 * 0.3 + 0.2 * 0.2 + 0.3 * 0.15) / 0.2086983469)
    assert c["largest_risk_asset"] == "A"


# ----------------------------------------------------------------------------- one call, rolling


def test_decompose_one_call_and_alerts():
    m = simulate_market(n_assets=6, n_periods=700, seed=8)
    r = np.expm1(m.returns)
    w = pd.Series([0.5, 0.1, 0.1, 0.1, 0.1, 0.1], index=r.columns)
    d = D.decompose(
        w,
        returns=r,
        groups=m.groups,
        stress_windows=(1, 5),
        correlation_blends=(0.0, 1.0),
        factors=r[["A01"]].rename(columns={"A01": "MKT"}),
        alert_share=0.3,
    )
    assert d.group_source == "groups" and d.periods_per_year == 365
    assert d.assets["component"].sum() == pytest.approx(d.volatility)
    assert set(d.alerts["name"]) >= {"A01"}
    assert set(d.stress) == {"worst_1", "worst_5", "correlation"}
    assert list(d.tail.index) == ["historical", "gaussian", "cornish_fisher"]
    assert d.tail_contributions["historical ES"].sum() == pytest.approx(d.tail.loc["historical", "ES"])
    assert d.factors.loc["total", "variance"] > 0
    assert d.summary().shape[0] == 1
    with pytest.raises(InvalidParameterError, match="needs returns= or covariance="):
        D.decompose(w)


def test_rolling_decompose_matches_pointwise():
    m = simulate_market(n_assets=4, n_periods=300, seed=9)
    r = m.returns
    w = pd.Series([0.4, 0.3, 0.2, 0.1], index=r.columns)
    roll = D.rolling_decompose(w, r, window=100, step=50)
    from riskkit.shrinkage import shrink

    last = roll.index[-1]
    est = shrink(r.loc[:last].iloc[-100:], method="ledoit_wolf")
    rc = D.risk_contributions(w, est.covariance, periods_per_year=365)
    assert roll.loc[last, "volatility"] == pytest.approx(rc.volatility, rel=1e-9)
    np.testing.assert_allclose(
        roll.loc[last, r.columns].to_numpy(dtype=float), rc.assets["percent"], rtol=1e-9
    )


def riskkit_shrink(r):
    from riskkit.shrinkage import shrink

    return shrink(r, method="ledoit_wolf")


def _every_part():
    """Returns, weights, their sample covariance and decompose keywords that ask for every part."""
    m = simulate_market(n_assets=4, n_periods=300, seed=3)
    r = m.returns
    w = pd.Series([0.4, 0.3, 0.2, 0.1], index=r.columns)
    cov = r.cov()
    kwargs = dict(
        stress_windows=(1, 5, 20),
        correlation_blends=(0.0, 0.5, 1.0),
        scenarios=r.iloc[:3],
        factors=r[["A01"]].rename(columns={"A01": "MKT"}),
    )
    return r, w, cov, kwargs


def test_decompose_is_the_public_functions_composed():
    """decompose's tables are those of the public function of each part (issue 23): it checks the
    inputs once and calls their cores."""
    r, w, cov, kwargs = _every_part()
    got = D.decompose(w, returns=r, covariance=cov, **kwargs)
    assert got.volatility == D.risk_contributions(w, cov, periods_per_year=365).volatility
    est = D.decompose(w, returns=r, **kwargs)
    assert (
        est.volatility
        == D.decompose(w, covariance=riskkit_shrink(r).covariance, periods_per_year=365).volatility
    )
    # the cores give what the public functions give
    pd.testing.assert_frame_equal(got.stress["worst_5"], ST.worst_windows(w, r, window=5))
    pd.testing.assert_frame_equal(
        got.stress["correlation"], ST.correlation_stress(w, cov, blends=(0.0, 0.5, 1.0), level=0.95)
    )
    pd.testing.assert_frame_equal(got.stress["scenarios"], ST.scenario_loss(w, r.iloc[:3]))
    assert got.tail.loc["historical", "ES"] == tail_risk(w, r, level=0.95).es
    fd = F.factor_decomposition(w, F.factor_exposures(r, kwargs["factors"]), covariance=cov)
    pd.testing.assert_frame_equal(got.factors, fd)


def _count_calls(monkeypatch, names):
    """Wrap riskkit._core.validation functions wherever a riskkit module imported them; count the calls."""
    import sys

    from riskkit._core import validation as _validation

    counts = dict.fromkeys(names, 0)
    for name in names:
        original = getattr(_validation, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        for module in list(sys.modules.values()):
            if (
                getattr(module, "__name__", "").startswith("riskkit")
                and getattr(module, name, None) is original
            ):
                monkeypatch.setattr(module, name, counted)
    return counts


def test_decompose_validates_each_input_once(monkeypatch):
    """One decompose call checks each input once (DESIGN: validate once, then call the core); tail,
    stress and factors run on the checked arrays through their public cores."""
    import riskkit.shrinkage  # noqa: F401  (imported before patching, like the others)

    r, w, cov, kwargs = _every_part()
    expected = D.decompose(w, returns=r, covariance=cov, **kwargs)
    expected_est = D.decompose(w, returns=r, **kwargs)
    names = ["returns_matrix", "check_weights", "check_covariance", "check_groups"]
    counts = _count_calls(monkeypatch, names)
    scenario_checks = []
    original = ST.scenario_matrix
    monkeypatch.setattr(ST, "scenario_matrix", lambda s: scenario_checks.append(1) or original(s))
    got = D.decompose(w, returns=r, covariance=cov, **kwargs)
    # returns twice: the returns, and the factor returns (a second input); clusters need no group check
    assert counts == {"returns_matrix": 2, "check_weights": 1, "check_covariance": 1, "check_groups": 0}
    assert scenario_checks == [1]
    assert got.volatility == expected.volatility
    pd.testing.assert_frame_equal(got.factors, expected.factors)
    # estimating the covariance (shrinkage) reads the returns no second time
    counts.update(dict.fromkeys(counts, 0))
    est = D.decompose(w, returns=r, **kwargs)
    assert counts == {"returns_matrix": 2, "check_weights": 1, "check_covariance": 0, "check_groups": 0}
    pd.testing.assert_frame_equal(est.covariance, expected_est.covariance)
    pd.testing.assert_frame_equal(est.tail, expected_est.tail)
    # groups given: checked once (not again by group_contributions)
    counts.update(dict.fromkeys(counts, 0))
    groups = dict(zip(r.columns, ["x", "x", "y", "y"], strict=True))
    grouped = D.decompose(w, covariance=cov, groups=groups)
    assert counts == {"returns_matrix": 0, "check_weights": 1, "check_covariance": 1, "check_groups": 1}
    pd.testing.assert_frame_equal(
        grouped.groups, D.group_contributions(D.risk_contributions(w, cov).assets, groups)
    )


@pytest.mark.parametrize(
    "module, name",
    [
        ("riskkit.decomposition.tail", "tail_risk"),
        ("riskkit.decomposition.stress", "scenario_loss"),
        ("riskkit.decomposition.stress", "correlation_stress"),
        ("riskkit.decomposition.stress", "worst_windows"),
        ("riskkit.decomposition.factors", "factor_exposures"),
        ("riskkit.decomposition.factors", "factor_decomposition"),
    ],
)
def test_each_public_function_has_a_documented_core(module, name):
    """The cores decompose calls are importable, documented functions of their module."""
    import importlib

    mod = importlib.import_module(module)
    core = getattr(mod, f"{name}_core")
    assert f"already checked by :func:`{name}`" in " ".join(core.__doc__.split())
    assert f"{name}_core" in mod.__doc__


def test_inputs_not_modified():
    m = simulate_market(n_assets=4, n_periods=200, seed=1)
    r = m.returns.copy()
    w = pd.Series([0.4, 0.3, 0.2, 0.1], index=r.columns)
    snap_r, snap_w = r.copy(), w.copy()
    D.decompose(w, returns=r, stress_windows=(3,), correlation_blends=(0.5,))
    pd.testing.assert_frame_equal(r, snap_r)
    pd.testing.assert_series_equal(w, snap_w)


def test_verdict_reads_the_numbers():
    w, cov = published()
    d = D.decompose(
        w, covariance=cov, groups={"A": "g1", "B": "g1", "C": "g2"}, alert_share=0.5, periods_per_year=1
    )
    text = D.verdict(d)
    assert "20.9% per period" in text
    assert "A: 70.4% of the risk for 50.0% of the weight" in text
    assert "g1 (2 assets), carries 86.4%" in text
    assert "A (70%)" in text and "g1 (86%)" in text
    quiet = D.verdict(
        D.decompose(w, covariance=cov, alert_share=0.99, group_alert_share=0.99, periods_per_year=1)
    )
    assert "a year" in D.verdict(D.decompose(w, covariance=cov, periods_per_year=252))
    bare = D.decompose(w, covariance=cov)  # no dates: per period, as the text says
    assert bare.periods_per_year is None and bare.summary().loc["portfolio", "units"] == "per period"
    assert "20.9% per period" in D.verdict(bare)
    assert "No asset or group exceeds the alert threshold" in quiet


def test_decompose_marks_an_unreliable_cornish_fisher_row_instead_of_warning():
    """Issue 15.4 in the one-call decomposition: the warning would print a file path into reports."""
    import warnings

    from riskkit.exceptions import ModelValidityWarning

    g = np.random.default_rng(1)
    x = g.standard_normal((1000, 2)) * 0.01
    x[500] = -0.6
    r = pd.DataFrame(x, columns=["a", "b"], index=pd.date_range("2020-01-01", periods=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelValidityWarning)
        d = D.decompose(pd.Series({"a": 0.5, "b": 0.5}), returns=r, level=0.99)
    assert d.tail.loc["cornish_fisher", "note"].startswith("unreliable: expansion not monotone")
    assert d.tail.loc["historical", "note"] == ""


def test_decompose_shrinkage_options_are_shrinks_and_misspellings_are_named():
    m = simulate_market(n_assets=4, n_periods=300, seed=3)
    w = pd.Series(0.25, index=m.returns.columns)
    from riskkit.shrinkage import shrink

    got = D.decompose(
        w, returns=m.returns, shrinkage={"method": "ledoit_wolf", "target": "constant_correlation"}
    )
    want = shrink(m.returns, method="ledoit_wolf", target="constant_correlation").covariance
    pd.testing.assert_frame_equal(got.covariance, want)
    with pytest.raises(
        InvalidParameterError, match=r"shrinkage has an unknown option 'metod'; the options are 'method'"
    ):
        D.decompose(w, returns=m.returns, shrinkage={"metod": "oas"})


def test_groups_have_their_own_alert_threshold_and_a_group_of_one_is_its_asset():
    # published(): A carries 70.4% of the risk, A + B 86.4% (the shares by hand below)
    w, cov = published()
    S = cov.to_numpy()
    share = w.to_numpy() * (S @ w.to_numpy()) / (w.to_numpy() @ S @ w.to_numpy())
    groups = {"A": "g1", "B": "g1", "C": "solo"}
    d = D.decompose(w, covariance=cov, groups=groups, alert_share=0.1, group_alert_share=0.9,
                    periods_per_year=1)  # fmt: skip
    # every asset is above 10%, only A above its equal third; g1 (A + B) is below 90%; "solo" is C
    # alone, a group of one: alerted as C when C is
    assert share[0] > 1 / 3 > share[1] and share[2] < 1 / 3
    assert list(zip(d.alerts["kind"], d.alerts["name"], strict=True)) == [("asset", "A")]
    assert d.alerts["risk_share"].to_numpy() == pytest.approx(share[:1], rel=1e-12)
    d = D.decompose(w, covariance=cov, groups=groups, alert_share=0.99, group_alert_share=0.8,
                    periods_per_year=1)  # fmt: skip
    assert d.alerts.to_dict("records") == [
        {"kind": "group", "name": "g1", "risk_share": pytest.approx(share[0] + share[1], rel=1e-12),
         "alert_share": 0.8, "equal_share": pytest.approx(2 / 3)}
    ]  # fmt: skip
    assert "Above the alert thresholds (80% for groups): g1 (86%)" in D.verdict(d)
    with pytest.raises(InvalidParameterError, match="group_alert_share"):
        D.decompose(w, covariance=cov, group_alert_share=0.0, periods_per_year=1)


def test_a_group_holding_every_asset_is_the_portfolio_not_a_concentration():
    """Issue 26: on a 3-coin file one correlation cluster held all three assets, carried 100% of
    the risk and raised a group alert. A group of every asset is never alerted; a group of two
    of the three is, above its limit."""
    w, cov = published()
    d = D.decompose(w, covariance=cov, groups=dict.fromkeys("ABC", "all"), alert_share=0.99,
                    group_alert_share=0.5, periods_per_year=1)  # fmt: skip
    assert d.groups.loc["all", "percent"] == pytest.approx(1.0, rel=1e-12)
    assert d.alerts.empty
    d = D.decompose(w, covariance=cov, groups={"A": "g", "B": "g", "C": "h"}, alert_share=0.99,
                    group_alert_share=0.5, periods_per_year=1)  # fmt: skip
    assert list(d.alerts["name"]) == ["g"]  # A + B: 86.4% of the risk, two of three assets


def test_one_alert_default_across_decompose_and_the_notebooks():
    """decompose's defaults are riskkit.decomposition's constants, and every notebook that
    declares an alert parameter starts it at the same value (02 said 40%, the report 50%)."""
    import ast
    import inspect
    import json
    from pathlib import Path

    defaults = inspect.signature(inspect.unwrap(D.decompose)).parameters
    assert defaults["alert_share"].default == D.ALERT_SHARE == 0.25
    assert defaults["group_alert_share"].default == D.GROUP_ALERT_SHARE == 0.4
    want = {"alert_share": D.ALERT_SHARE, "group_alert_share": D.GROUP_ALERT_SHARE}
    seen = {}
    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if "parameters" not in cell["metadata"].get("tags", []):
                continue
            for node in ast.parse("".join(cell["source"])).body:
                if isinstance(node, ast.AnnAssign) and node.target.id in want:
                    seen[(path.name, node.target.id)] = ast.literal_eval(node.value)
    assert {k for _, k in seen} == set(want)  # both parameters are declared somewhere
    assert {k: v for k, v in seen.items() if v != want[k[1]]} == {}


def test_equal_risk_shares_at_the_threshold_do_not_alert():
    """Four equal risk contributions are 25% each; rounding made them 25.000000000000004%
    and every asset of a balanced portfolio alerted at the 25% default."""
    cov = pd.DataFrame(np.diag([0.04, 0.09, 0.01, 0.16]), index=list("ABCD"), columns=list("ABCD"))
    vol = np.sqrt(np.diag(cov))
    w = pd.Series((1 / vol) / (1 / vol).sum(), index=cov.index)  # inverse volatility: equal risk
    d = D.decompose(w, covariance=cov, groups={"A": "x", "B": "x", "C": "y", "D": "y"}, group_alert_share=0.5,
                    periods_per_year=1)  # fmt: skip
    assert d.assets["percent"].to_numpy() == pytest.approx([0.25] * 4, rel=1e-12)  # at the 25% default
    assert d.groups["percent"].to_numpy() == pytest.approx([0.5, 0.5], rel=1e-12)  # at a 50% limit
    assert d.alerts.empty
    # below the limit, equal shares are still each asset's equal share: balanced, never alerted
    assert D.decompose(w, covariance=cov, alert_share=0.2499, periods_per_year=1).alerts.empty
    # one asset a little above its equal share and above the limit is
    tilted = (w * [1.2, 1, 1, 1]) / (w * [1.2, 1, 1, 1]).sum()
    alerts = D.decompose(tilted, covariance=cov, alert_share=0.2499, periods_per_year=1).alerts
    assert alerts["name"].tolist() == ["A"] and alerts["equal_share"].tolist() == [0.25]


def test_three_assets_at_a_third_of_the_risk_each_are_balanced_not_alerted():
    """A new user's three ETFs at exactly a third of the risk each raised three alerts at the
    25% default: the limit sits below every asset's equal share when there are fewer than four."""
    cov = pd.DataFrame(np.diag([0.04, 0.09, 0.01]), index=list("ABC"), columns=list("ABC"))
    vol = np.sqrt(np.diag(cov))
    w = pd.Series((1 / vol) / (1 / vol).sum(), index=cov.index)
    d = D.decompose(w, covariance=cov, periods_per_year=1)
    assert d.assets["percent"].to_numpy() == pytest.approx([1 / 3] * 3, rel=1e-12)
    assert d.alerts.empty and "No asset or group exceeds" in D.verdict(d)


def test_verdict_counts_held_assets_and_reads_principal_components_only_when_they_are_determined():
    idx = list("ABCD")
    # one common factor: every pair correlated 0.8, eigenvalues 3.4, 0.2, 0.2, 0.2 (gap 17)
    corr = np.full((4, 4), 0.8) + 0.2 * np.eye(4)
    vol = np.array([0.2, 0.25, 0.3, 0.35])
    common = pd.DataFrame(corr * np.outer(vol, vol), index=idx, columns=idx)
    w = pd.Series([0.4, 0.3, 0.3, 0.0], index=idx)
    d = D.decompose(w, covariance=common, periods_per_year=1)
    text = D.verdict(d)
    assert d.concentration["effective_bets"] < 1.5
    assert "(it holds 3)" in text  # D has no weight
    assert "one common factor" in text and "17.0 times the second" in text
    assert D._eigengap(common) == pytest.approx(3.4 / 0.2, rel=1e-12)
    # no common factor: correlations near zero, eigenvalues close; PCA aligns by chance
    near = pd.DataFrame(np.diag(vol**2), index=idx, columns=idx)
    near.loc["A", "B"] = near.loc["B", "A"] = 0.01 * vol[0] * vol[1]  # eigenvalues 1.01, 1, 1, 0.99
    assert D._eigengap(near) == pytest.approx(1.01, rel=1e-9)
    d = D.decompose(pd.Series([1, 1, 1, 1.0], index=idx) / 4, covariance=near, periods_per_year=1)
    text = D.verdict(d)
    assert "move together" not in text
    if d.concentration["effective_bets"] < 1.5:  # (numpy's choice of eigenvectors in a near-tie decides)
        assert "ill-determined" in text
    # one asset: no count of bets to read
    solo = D.verdict(D.decompose(pd.Series([1.0], index=["A"]), covariance=common.iloc[:1, :1],
                                 periods_per_year=1))  # fmt: skip
    assert "behaves like" not in solo and "(1 asset)" in solo


def test_worst_windows_read_from_first_to_last_date_by_rank():
    idx = pd.date_range("2024-01-01", periods=8, freq="D")
    # A loses 10% on day 3 and 20% on day 6; B nothing
    r = pd.DataFrame({"A": [0, 0, -0.1, 0, 0, -0.2, 0, 0.0], "B": [0.0] * 8}, index=idx)
    w = pd.Series({"A": 0.5, "B": 0.5})
    d = D.decompose(
        w, returns=r, covariance=r.cov() + np.eye(2) * 1e-4, stress_windows=(1, 2), periods_per_year=365
    )
    t = d.worst_windows()
    assert list(t.columns) == ["from", "to", "loss"] and t.index.names == ["window", "rank"]
    one = t.loc["1 day"]
    assert list(one.index[:2]) == [1, 2] and one["loss"].iloc[:2].tolist() == pytest.approx([0.1, 0.05])
    assert one["from"].iloc[0] == one["to"].iloc[0] == idx[5]
    two = t.loc["2 days"].iloc[0]
    assert two["to"] - two["from"] == pd.Timedelta(days=1) and two["loss"] == pytest.approx(0.1)
    assert list(d.worst_windows(contributions=True).columns) == ["from", "to", "loss", "A", "B"]
    # the windows' length in the data's own periods
    for ppy, labels in ((252, ["1 trading day", "2 trading days"]), (12, ["1 month", "2 months"])):
        other = D.decompose(w, returns=r, covariance=r.cov() + np.eye(2) * 1e-4, stress_windows=(1, 2),
                            periods_per_year=ppy)  # fmt: skip
        assert list(other.worst_windows().index.unique("window")) == labels
    assert (
        D.decompose(w, returns=r, covariance=r.cov() + np.eye(2) * 1e-4, periods_per_year=365)
        .worst_windows()
        .empty
    )


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("alpha", "level", 0.9),
        ("cluster_threshold", "cluster_min_correlation", 0.7),
        ("alert_threshold", "alert_share", 0.3),
        ("group_alert_threshold", "group_alert_share", 0.6),
    ],
)
def test_decompose_former_names_warn_and_give_the_same_result(old, new, value):
    m = simulate_market(n_assets=4, n_periods=200, seed=4)
    w = pd.Series(0.25, index=m.returns.columns)
    want = D.decompose(w, returns=m.returns, **{new: value})
    with pytest.warns(FutureWarning, match=rf"decompose\({old}=\) is now decompose\({new}=\)"):
        got = D.decompose(w, returns=m.returns, **{old: value})
    pd.testing.assert_frame_equal(got.summary(), want.summary())
    pd.testing.assert_frame_equal(got.assets, want.assets)
    pd.testing.assert_frame_equal(got.tail, want.tail)
    with pytest.raises(InvalidParameterError, match=f"pass {new}= only"):
        D.decompose(w, returns=m.returns, **{old: value, new: value})


def test_correlation_clusters_threshold_is_the_former_name_of_min_correlation():
    corr = pd.DataFrame(
        [[1.0, 0.8, 0.1], [0.8, 1.0, 0.2], [0.1, 0.2, 1.0]], index=list("abc"), columns=list("abc")
    )
    want = D.correlation_clusters(corr, min_correlation=0.5)
    assert want.tolist() == ["C1", "C1", "C2"]  # a-b linked at 0.8 > 0.5; c at most 0.2
    with pytest.warns(FutureWarning, match=r"correlation_clusters\(threshold=\) is now"):
        pd.testing.assert_series_equal(D.correlation_clusters(corr, threshold=0.5), want)


def test_decompose_shrinkage_is_read_by_shrinkage_options():
    from riskkit.shrinkage import shrink

    m = simulate_market(n_assets=4, n_periods=300, seed=3)
    w = pd.Series(0.25, index=m.returns.columns)
    by_name = D.decompose(w, returns=m.returns, shrinkage="oas")
    pd.testing.assert_frame_equal(by_name.covariance, shrink(m.returns, method="oas").covariance)
    roll = D.rolling_decompose(w, m.returns, window=100, step=50, shrinkage="oas")
    sub = m.returns.iloc[:100]
    S = shrink(sub, method="oas").covariance.to_numpy()
    assert roll["volatility"].iloc[0] == pytest.approx(
        np.sqrt(w.to_numpy() @ S @ w.to_numpy() * 365), rel=1e-12
    )
    assert roll.attrs["units"] == "annual"


def test_worst_windows_show_losses_only_and_say_which_lengths_have_none():
    idx = pd.date_range("2024-01-01", periods=10, freq="D")
    # A gains 1% a day except one 2% loss on day 4; B nothing: every 5-day window gains
    r = pd.DataFrame({"A": [0.01] * 3 + [-0.02] + [0.01] * 6, "B": [0.0] * 10}, index=idx)
    w = pd.Series({"A": 0.5, "B": 0.5})
    d = D.decompose(w, returns=r, covariance=r.cov() + np.eye(2) * 1e-4, stress_windows=(1, 5, 20),
                    periods_per_year=365)  # fmt: skip
    t = d.worst_windows()
    assert list(t.index.unique("window")) == ["1 day"] and t["loss"].tolist() == pytest.approx([0.01])
    # the least gain of a 5-day window: A's 1.01^4 * 0.98 - 1 on half the book
    least = 0.5 * (1.01**4 * 0.98 - 1)
    assert t.attrs["notes"] == [
        f"No window of 5 days lost money: the least gain was {least:.1%}.",
        "No window of 20 days: the returns are shorter.",
    ]
