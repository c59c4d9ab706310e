"""riskkit.decomposition, riskkit.tail, riskkit.stress, riskkit.factors."""

import math

import numpy as np
import pandas as pd
import pytest
from riskkit.tail import tail_risk
from scipy.stats import norm

from riskkit import decomposition as D
from riskkit import factors as F
from riskkit import stress as ST
from riskkit.exceptions import CalendarError, InvalidParameterError, NonFiniteError
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
    a = D.decompose(w, returns=r, cluster_threshold=0.6)
    b = D.decompose(w.iloc[perm], returns=r.iloc[:, perm], cluster_threshold=0.6)
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
    clusters = D.correlation_clusters(corr, threshold=0.5)
    for block in (m.groups[m.groups == k].index for k in "abc"):
        assert clusters[block].nunique() == 1
    assert clusters.nunique() == 3


def test_bad_input():
    w, cov = published()
    with pytest.raises(InvalidParameterError, match=r"in covariance only: 'C'; in weights only: 'D'"):
        D.risk_contributions(w.rename({"C": "D"}), cov, periods_per_year=1)
    with pytest.raises(InvalidParameterError, match="sum to zero"):
        D.risk_contributions(pd.Series([0.5, -0.5, 0.0], index=list("ABC")), cov, periods_per_year=1)
    with pytest.raises(NonFiniteError, match="missing or infinite weights for 'B'"):
        D.risk_contributions(pd.Series([0.5, np.nan, 0.5], index=list("ABC")), cov, periods_per_year=1)
    bad = cov.copy()
    bad.loc["A", "B"] = bad.loc["B", "A"] = 0.2  # correlation above one: not PSD
    with pytest.raises(InvalidParameterError, match=r"not positive semi-definite.*repair='clip'"):
        D.risk_contributions(w, bad, periods_per_year=1)
    fixed = D.risk_contributions(w, bad, repair="clip", periods_per_year=1)
    assert fixed.assets["percent"].sum() == pytest.approx(1.0)
    with pytest.raises(CalendarError, match=r"a covariance carries no dates.*or 1 for per-period figures"):
        D.risk_contributions(w, cov)


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


def test_concentration_by_hand():
    w, cov = published()
    c = D.concentration(w, cov)
    assert c["hhi_weights"] == pytest.approx(0.25 + 0.04 + 0.09)
    rc = D.risk_contributions(w, cov, periods_per_year=1).assets
    assert c["hhi_risk"] == pytest.approx((rc["percent"] ** 2).sum())
    assert c["diversification_ratio"] == pytest.approx((0.5 * 0.3 + 0.2 * 0.2 + 0.3 * 0.15) / 0.2086983469)
    assert c["largest_risk_asset"] == "A"


# ----------------------------------------------------------------------------- tail


def test_historical_es_contributions_are_conditional_mean_losses():
    m = simulate_market(n_assets=4, n_periods=1000, seed=2)
    r = np.expm1(m.returns)
    w = pd.Series([0.4, 0.3, 0.2, 0.1], index=r.columns)
    res = tail_risk(w, r, alpha=0.95)
    port = r.to_numpy() @ w.to_numpy()
    worst = np.sort(port)[:50]
    assert res.es == pytest.approx(-worst.mean(), rel=1e-12)
    assert res.var == pytest.approx(-worst[-1], rel=1e-12)
    tail_rows = np.argsort(port, kind="stable")[:50]
    expected = -(r.to_numpy()[tail_rows] * w.to_numpy()).mean(axis=0)
    np.testing.assert_allclose(res.contributions["es"], expected, rtol=1e-12)
    assert res.contributions["es"].sum() == pytest.approx(res.es)
    assert res.contributions["var"].sum() == pytest.approx(res.var)


@pytest.mark.filterwarnings("ignore::riskkit.exceptions.ModelValidityWarning")  # heavy tails: CF non-monotone
def test_gaussian_and_cornish_fisher_by_hand():
    m = simulate_market(n_assets=3, n_periods=2000, seed=5)
    r = np.expm1(m.returns)
    w = pd.Series([0.5, 0.3, 0.2], index=r.columns)
    port = r.to_numpy() @ w.to_numpy()
    mu, sd = port.mean(), port.std(ddof=1)
    g = tail_risk(w, r, alpha=0.99, method="gaussian")
    z = norm.ppf(0.99)
    assert g.var == pytest.approx(-mu + z * sd, rel=1e-10)
    assert g.es == pytest.approx(-mu + norm.pdf(z) / 0.01 * sd, rel=1e-10)
    assert g.contributions["var"].sum() == pytest.approx(g.var)
    cf = tail_risk(w, r, alpha=0.99, method="cornish_fisher")
    c = port - mu
    s = np.mean(c**3) / np.mean(c**2) ** 1.5
    k = np.mean(c**4) / np.mean(c**2) ** 2 - 3
    zq = norm.ppf(0.01)
    zcf = zq + (zq**2 - 1) * s / 6 + (zq**3 - 3 * zq) * k / 24 - (2 * zq**3 - 5 * zq) * s**2 / 36
    assert cf.var == pytest.approx(-(mu + zcf * sd), rel=1e-10)
    assert cf.es > cf.var


def test_cornish_fisher_equals_gaussian_without_skew_or_kurtosis():
    g = np.random.default_rng(0)
    x = g.standard_normal(20000)
    x = np.concatenate([x, -x])  # symmetric: zero skewness
    r = pd.DataFrame({"a": x * 0.01})
    r.index = pd.date_range("2000-01-01", periods=len(r))
    w = pd.Series({"a": 1.0})
    cf, gs = tail_risk(w, r, method="cornish_fisher"), tail_risk(w, r, method="gaussian")
    assert cf.var == pytest.approx(gs.var, rel=2e-2)
    assert cf.es == pytest.approx(gs.es, rel=2e-2)


@pytest.mark.parametrize("seed", range(6))
def test_cornish_fisher_es_is_the_exact_tail_mean_of_its_quantile(seed):
    """Issue 15.4: the closed form against an adaptive integral of the CF quantile over
    the tail (the 64-point Gauss-Legendre rule was 1e-4 to 2.5e-4 off)."""
    from scipy.integrate import quad

    g = np.random.default_rng(seed)
    x = g.standard_t(df=5 + seed, size=1500) * 0.01 - 0.002 * g.exponential(size=1500)
    r = pd.DataFrame({"a": x, "b": g.standard_normal(1500) * 0.01})
    w = pd.Series({"a": 0.7, "b": 0.3})
    alpha = (0.95, 0.99, 0.975)[seed % 3]
    cf = tail_risk(w, r, alpha=alpha, method="cornish_fisher")
    port = r.to_numpy() @ w.to_numpy()
    mu, sd = port.mean(), port.std(ddof=1)
    c = port - mu
    s = np.mean(c**3) / np.mean(c**2) ** 1.5
    k = np.mean(c**4) / np.mean(c**2) ** 2 - 3

    def q(u):
        z = norm.ppf(u)
        return z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36

    p = 1 - alpha
    integral, err = quad(q, 0.0, p, epsabs=0.0, epsrel=1e-13, limit=500)
    assert abs(err) < 1e-12 * abs(integral)
    assert cf.es == pytest.approx(-(mu + sd * integral / p), rel=1e-12)
    assert cf.info["monotone"]


def test_cornish_fisher_warns_outside_its_monotone_region():
    """Issue 15.4: skewness -5 / excess kurtosis 300 gave a 99% VaR of 403% silently."""
    from riskkit.tail import _cf_monotone

    from riskkit.exceptions import ModelValidityWarning

    assert not _cf_monotone(-5.0, 300.0)
    assert _cf_monotone(0.0, 0.0) and _cf_monotone(-0.5, 3.0) and _cf_monotone(0.0, -0.1)
    g = np.random.default_rng(1)
    x = g.standard_normal(1000) * 0.01
    x[500] = -0.6  # one crash: skewness about -25, excess kurtosis about 700
    r = pd.DataFrame({"a": x})
    with pytest.warns(ModelValidityWarning, match="not monotone"):
        cf = tail_risk(pd.Series({"a": 1.0}), r, alpha=0.99, method="cornish_fisher")
    assert not cf.info["monotone"]


# ----------------------------------------------------------------------------- stress


def test_scenarios_and_correlation_stress():
    w, cov = published()
    sc = pd.DataFrame({"A": [-0.5, 0.1], "B": [-0.3, 0.0], "C": [-0.1, 0.2]}, index=["crash", "rally"])
    out = ST.scenario_loss(w, sc)
    assert out.loc["crash", "loss"] == pytest.approx(0.25 + 0.06 + 0.03)
    assert out.loc["crash", ["A", "B", "C"]].sum() == pytest.approx(out.loc["crash", "loss"])
    cs = ST.correlation_stress(w, cov, blends=(0.0, 1.0), alpha=0.99)
    assert cs.loc[0.0, "volatility"] == pytest.approx(0.2086983469)
    assert cs.loc[1.0, "volatility"] == pytest.approx(0.5 * 0.3 + 0.2 * 0.2 + 0.3 * 0.15)
    assert cs.loc[1.0, ["A", "B", "C"]].sum() == pytest.approx(cs.loc[1.0, "VaR"])


def test_worst_windows_buy_and_hold():
    r = pd.DataFrame(
        {"A": [0.1, -0.2, -0.1, 0.05, 0.3, -0.4], "B": [0.0, -0.1, 0.2, 0.0, -0.1, -0.3]},
        index=pd.date_range("2024-01-01", periods=6),
    )
    w = pd.Series({"A": 0.6, "B": 0.4})
    out = ST.worst_windows(w, r, window=2, n=2)
    first = out.iloc[0]
    assert first.name == pd.Timestamp("2024-01-06")
    expected = -(0.6 * (1.3 * 0.6 - 1) + 0.4 * (0.9 * 0.7 - 1))
    assert first["loss"] == pytest.approx(expected)
    assert first[["A", "B"]].sum() == pytest.approx(first["loss"])
    starts = list(out.index)
    assert abs((starts[0] - starts[1]).days) >= 2  # windows do not overlap
    # fields and assets side by side: no axis name that would call "loss" an asset
    assert list(out.columns) == ["window_start", "loss", "A", "B"] and out.columns.name is None
    assert ST.worst_windows(w, r.rename_axis(columns="asset"), window=2, n=2).columns.name is None


# ----------------------------------------------------------------------------- factors


def test_factor_exposures_match_least_squares_and_split_variance():
    m = simulate_market(n_assets=5, n_periods=800, seed=6)
    r = m.returns
    factors = r[["A01"]].rename(columns={"A01": "MKT"})
    model = F.factor_exposures(r, factors)
    design = np.column_stack([np.ones(len(r)), factors.to_numpy()])
    coef, *_ = np.linalg.lstsq(design, r.to_numpy(), rcond=None)
    np.testing.assert_allclose(model.betas["MKT"], coef[1], rtol=1e-10)
    assert model.betas.loc["A01", "MKT"] == pytest.approx(1.0)
    assert model.residual_variance["A01"] < 1e-25
    resid = r.to_numpy() - design @ coef
    r2 = 1 - resid.var(axis=0) / r.to_numpy().var(axis=0)
    np.testing.assert_allclose(model.rsquared, r2, rtol=1e-10)
    w = pd.Series(0.2, index=r.columns)
    fd = F.factor_decomposition(w, model)
    assert model.periods_per_year == 365  # the simulated market's 24/7 calendar: annualised by default
    per_period = F.factor_decomposition(w, model, periods_per_year=1)
    np.testing.assert_allclose(fd["variance"], per_period["variance"] * 365, rtol=1e-14)
    assert per_period.loc["total", "variance"] == pytest.approx(
        float(np.var(r.to_numpy() @ w, ddof=1)), rel=1e-12
    )
    given = F.FactorModel(model.betas, model.factor_covariance, model.residual_variance)
    with pytest.raises(CalendarError, match="the factor model carries no dates"):
        F.factor_decomposition(w, given)
    assert fd.loc["MKT", "variance"] + fd.loc["idiosyncratic", "variance"] == pytest.approx(
        fd.loc["total", "variance"]
    )
    assert fd.loc[["MKT", "idiosyncratic"], "volatility_contribution"].sum() == pytest.approx(
        np.sqrt(fd.loc["total", "variance"])
    )
    with pytest.raises(InvalidParameterError, match="exactly the dates of returns"):
        F.factor_exposures(r, factors.iloc[1:])


@pytest.mark.parametrize("seed", range(5))
def test_factor_split_adds_up_to_the_portfolio_variance_with_correlated_residuals(seed):
    """Issue 15.3: residuals sharing an unmodelled driver are correlated; treating them as
    uncorrelated gave notebook 02 a total volatility of 0.48 for a portfolio of 0.62."""
    from riskkit.shrinkage import shrink

    g = np.random.default_rng(seed)
    T, n = 600, 6
    mkt = g.normal(0.0, 0.02, T)
    sector = g.normal(0.0, 0.03, T)  # not a factor of the model: it correlates the residuals
    X = (
        np.outer(mkt, g.uniform(0.5, 1.5, n))
        + np.outer(sector, np.r_[np.ones(3), np.zeros(3)])
        + g.normal(0.0, 0.01, (T, n))
    )
    idx = pd.date_range("2020-01-01", periods=T)
    r = pd.DataFrame(X, index=idx, columns=[f"s{i}" for i in range(n)])
    model = F.factor_exposures(r, pd.DataFrame({"MKT": mkt}, index=idx))
    w = pd.Series(g.dirichlet(np.ones(n)) + 0.5, index=r.columns) / (1 + 0.5 * n)
    x = w.to_numpy()
    # naive: the portfolio's sample variance
    port_var = float(np.var(X @ x, ddof=1))
    fd = F.factor_decomposition(w, model, periods_per_year=1)
    assert fd.loc["total", "variance"] == pytest.approx(port_var, rel=1e-12)
    assert fd.loc[["MKT", "idiosyncratic"], "variance"].sum() == pytest.approx(port_var, rel=1e-12)
    assert fd.loc[["MKT", "idiosyncratic"], "share"].sum() == pytest.approx(1.0, rel=1e-12)
    # the residual covariance is the sample covariance of the OLS residuals
    design = np.column_stack([np.ones(T), mkt])
    resid = X - design @ np.linalg.lstsq(design, X, rcond=None)[0]
    np.testing.assert_allclose(model.residual_covariance, np.cov(resid, rowvar=False), rtol=1e-9, atol=1e-14)
    # diagonal residuals: an explicit option, and the gap it leaves is reported
    diag = F.factor_decomposition(w, model, residuals="diagonal", periods_per_year=1)
    assert diag.loc["idiosyncratic", "variance"] == pytest.approx(
        float(np.sum(x**2 * resid.var(axis=0, ddof=1))), rel=1e-9
    )
    gap = diag.loc["residual correlation", "variance"]
    assert gap == pytest.approx(port_var - diag.loc[["MKT", "idiosyncratic"], "variance"].sum(), rel=1e-9)
    assert gap > 0.05 * port_var  # the sector's correlation is real
    assert diag.loc["total", "variance"] == pytest.approx(port_var, rel=1e-12)
    # a shrunk covariance: the rows add up to w' Sigma w of that estimate
    cov = shrink(r, method="ledoit_wolf").covariance
    fs = F.factor_decomposition(w, model, covariance=cov, periods_per_year=252)
    assert fs.loc["total", "variance"] == pytest.approx(252 * float(x @ cov.to_numpy() @ x), rel=1e-12)
    assert fs.loc[["MKT", "idiosyncratic"], "volatility_contribution"].sum() == pytest.approx(
        np.sqrt(252 * float(x @ cov.to_numpy() @ x)), rel=1e-12
    )
    # and decompose reports the same volatility in its factor split as for the portfolio
    d = D.decompose(w, returns=r, factors=pd.DataFrame({"MKT": mkt}, index=idx), alpha=0.9)
    assert np.sqrt(d.factors.loc["total", "variance"]) == pytest.approx(d.volatility, rel=1e-12)


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
        alert_threshold=0.3,
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
    """One decompose call checks each input once; tail, stress and factors run on the checked arrays."""
    import riskkit.shrinkage  # noqa: F401  (imported before patching, like the others)

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
    expected = D.decompose(w, returns=r, covariance=cov, **kwargs)
    counts = _count_calls(monkeypatch, ["returns_matrix", "check_weights", "check_covariance"])
    got = D.decompose(w, returns=r, covariance=cov, **kwargs)
    # returns twice: the returns, and the factor returns (a second input)
    assert counts == {"returns_matrix": 2, "check_weights": 1, "check_covariance": 1}
    assert got.volatility == expected.volatility
    # estimating the covariance (shrinkage) reads the returns no second time
    counts.update(dict.fromkeys(counts, 0))
    est = D.decompose(w, returns=r, **kwargs)
    assert counts == {"returns_matrix": 2, "check_weights": 1, "check_covariance": 0}
    assert (
        est.volatility
        == D.decompose(w, covariance=riskkit_shrink(r).covariance, periods_per_year=365).volatility
    )
    # the cores give what the public functions give
    pd.testing.assert_frame_equal(got.stress["worst_5"], ST.worst_windows(w, r, window=5))
    pd.testing.assert_frame_equal(
        got.stress["correlation"], ST.correlation_stress(w, cov, blends=(0.0, 0.5, 1.0), alpha=0.95)
    )
    pd.testing.assert_frame_equal(got.stress["scenarios"], ST.scenario_loss(w, r.iloc[:3]))
    assert got.tail.loc["historical", "ES"] == tail_risk(w, r, alpha=0.95).es
    fd = F.factor_decomposition(w, F.factor_exposures(r, kwargs["factors"]), covariance=cov)
    pd.testing.assert_frame_equal(got.factors, fd)


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
        w, covariance=cov, groups={"A": "g1", "B": "g1", "C": "g2"}, alert_threshold=0.5, periods_per_year=1
    )
    text = D.verdict(d)
    assert "20.9% per period" in text
    assert "A: 70.4% of the risk for 50.0% of the weight" in text
    assert "g1 (2 assets), carries 86.4%" in text
    assert "A (70%)" in text and "g1 (86%)" in text
    quiet = D.verdict(
        D.decompose(w, covariance=cov, alert_threshold=0.99, group_alert_threshold=0.99, periods_per_year=1)
    )
    assert "a year" in D.verdict(D.decompose(w, covariance=cov, periods_per_year=252))
    with pytest.raises(CalendarError, match="a covariance without returns= carries no dates"):
        D.decompose(w, covariance=cov)
    assert "No asset or group exceeds the alert threshold" in quiet


def test_gaussian_tail_of_a_constant_portfolio_is_its_mean_loss():
    """Found by the property suite (issue 15): constant returns gave NaN VaR and ES."""
    r = pd.DataFrame({"a": [0.001] * 5}, index=pd.date_range("2020-01-01", periods=5))
    for method in ("gaussian", "cornish_fisher", "historical"):
        res = tail_risk(pd.Series({"a": 1.0}), r, alpha=0.95, method=method)
        assert res.var == pytest.approx(-0.001) and res.es == pytest.approx(-0.001)


def test_correlation_stress_names_zero_variance_assets():
    """Found by the property suite (issue 15): a zero-variance asset gave NaN rows."""
    from riskkit.exceptions import SingularCovarianceError

    cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.0]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(SingularCovarianceError, match="zero variance for 'b'"):
        ST.correlation_stress(pd.Series({"a": 0.5, "b": 0.5}), cov)
    # a book hedged exactly once correlations reach one: zero risk to split, not 0 / 0
    cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["a", "b"], columns=["a", "b"])
    hedged = ST.correlation_stress(pd.Series({"a": 1.0, "b": -2.0}), cov, blends=(0.0, 1.0))
    assert np.isfinite(hedged.to_numpy()).all() and hedged.loc[1.0, "VaR"] == 0.0


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
        d = D.decompose(pd.Series({"a": 0.5, "b": 0.5}), returns=r, alpha=0.99)
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
        InvalidParameterError, match=r"unknown shrinkage option 'metod'; the options are 'method'"
    ):
        D.decompose(w, returns=m.returns, shrinkage={"metod": "oas"})


def test_groups_have_their_own_alert_threshold_and_a_group_of_one_is_its_asset():
    # published(): A carries 70.4% of the risk, A + B 86.4% (the shares by hand below)
    w, cov = published()
    S = cov.to_numpy()
    share = w.to_numpy() * (S @ w.to_numpy()) / (w.to_numpy() @ S @ w.to_numpy())
    groups = {"A": "g1", "B": "g1", "C": "solo"}
    d = D.decompose(w, covariance=cov, groups=groups, alert_threshold=0.1, group_alert_threshold=0.9,
                    periods_per_year=1)  # fmt: skip
    # every asset is above 10%; g1 (A + B) is below 90%; "solo" is C alone: alerted once, as C
    assert list(zip(d.alerts["kind"], d.alerts["name"], strict=True)) == [("asset", "A"), ("asset", "B"),
                                                                          ("asset", "C")]  # fmt: skip
    assert d.alerts["risk_share"].to_numpy() == pytest.approx(share, rel=1e-12)
    d = D.decompose(w, covariance=cov, groups=groups, alert_threshold=0.99, group_alert_threshold=0.8,
                    periods_per_year=1)  # fmt: skip
    assert d.alerts.to_dict("records") == [
        {"kind": "group", "name": "g1", "risk_share": pytest.approx(share[0] + share[1], rel=1e-12),
         "threshold": 0.8}
    ]  # fmt: skip
    assert "Above the alert thresholds (80% for groups): g1 (86%)" in D.verdict(d)
    with pytest.raises(InvalidParameterError, match="group_alert_threshold"):
        D.decompose(w, covariance=cov, group_alert_threshold=0.0, periods_per_year=1)


def test_equal_risk_shares_at_the_threshold_do_not_alert():
    """Four equal risk contributions are 25% each; rounding made them 25.000000000000004%
    and every asset of a balanced portfolio alerted at the 25% default."""
    cov = pd.DataFrame(np.diag([0.04, 0.09, 0.01, 0.16]), index=list("ABCD"), columns=list("ABCD"))
    vol = np.sqrt(np.diag(cov))
    w = pd.Series((1 / vol) / (1 / vol).sum(), index=cov.index)  # inverse volatility: equal risk
    d = D.decompose(w, covariance=cov, groups={"A": "x", "B": "x", "C": "y", "D": "y"}, periods_per_year=1)
    assert d.assets["percent"].to_numpy() == pytest.approx([0.25] * 4, rel=1e-12)
    assert d.groups["percent"].to_numpy() == pytest.approx([0.5, 0.5], rel=1e-12)  # at the 50% default
    assert d.alerts.empty
    assert len(D.decompose(w, covariance=cov, alert_threshold=0.2499, periods_per_year=1).alerts) == 4


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
    one = t.loc["1-period"]
    assert list(one.index[:2]) == [1, 2] and one["loss"].iloc[:2].tolist() == pytest.approx([0.1, 0.05])
    assert one["from"].iloc[0] == one["to"].iloc[0] == idx[5]
    two = t.loc["2-period"].iloc[0]
    assert two["to"] - two["from"] == pd.Timedelta(days=1) and two["loss"] == pytest.approx(0.1)
    assert list(d.worst_windows(contributions=True).columns) == ["from", "to", "loss", "A", "B"]
    assert (
        D.decompose(w, returns=r, covariance=r.cov() + np.eye(2) * 1e-4, periods_per_year=365)
        .worst_windows()
        .empty
    )
