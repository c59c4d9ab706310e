"""riskkit.decomposition.tail: VaR and ES against naive formulas kept here (sorting, scipy.stats.norm)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from riskkit.decomposition.tail import TailRisk, tail_risk
from riskkit.exceptions import ModelValidityWarning
from riskkit.simulation import simulate_market


def test_historical_es_contributions_are_conditional_mean_losses():
    m = simulate_market(n_assets=4, n_periods=1000, seed=2)
    r = np.expm1(m.returns)
    w = pd.Series([0.4, 0.3, 0.2, 0.1], index=r.columns)
    res = tail_risk(w, r, level=0.95)
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
    g = tail_risk(w, r, level=0.99, method="gaussian")
    z = norm.ppf(0.99)
    assert g.var == pytest.approx(-mu + z * sd, rel=1e-10)
    assert g.es == pytest.approx(-mu + norm.pdf(z) / 0.01 * sd, rel=1e-10)
    assert g.contributions["var"].sum() == pytest.approx(g.var)
    cf = tail_risk(w, r, level=0.99, method="cornish_fisher")
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
    level = (0.95, 0.99, 0.975)[seed % 3]
    cf = tail_risk(w, r, level=level, method="cornish_fisher")
    port = r.to_numpy() @ w.to_numpy()
    mu, sd = port.mean(), port.std(ddof=1)
    c = port - mu
    s = np.mean(c**3) / np.mean(c**2) ** 1.5
    k = np.mean(c**4) / np.mean(c**2) ** 2 - 3

    def q(u):
        z = norm.ppf(u)
        return z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36

    p = 1 - level
    integral, err = quad(q, 0.0, p, epsabs=0.0, epsrel=1e-13, limit=500)
    assert abs(err) < 1e-12 * abs(integral)
    assert cf.es == pytest.approx(-(mu + sd * integral / p), rel=1e-12)
    assert cf.info["monotone"]


def test_cornish_fisher_warns_outside_its_monotone_region():
    """Issue 15.4: skewness -5 / excess kurtosis 300 gave a 99% VaR of 403% silently."""
    from riskkit.decomposition.tail import _cf_monotone

    assert not _cf_monotone(-5.0, 300.0)
    assert _cf_monotone(0.0, 0.0) and _cf_monotone(-0.5, 3.0) and _cf_monotone(0.0, -0.1)
    g = np.random.default_rng(1)
    x = g.standard_normal(1000) * 0.01
    x[500] = -0.6  # one crash: skewness about -25, excess kurtosis about 700
    r = pd.DataFrame({"a": x})
    with pytest.warns(ModelValidityWarning, match="not monotone"):
        cf = tail_risk(pd.Series({"a": 1.0}), r, level=0.99, method="cornish_fisher")
    assert not cf.info["monotone"]


def test_gaussian_tail_of_a_constant_portfolio_is_its_mean_loss():
    """Found by the property suite (issue 15): constant returns gave NaN VaR and ES."""
    r = pd.DataFrame({"a": [0.001] * 5}, index=pd.date_range("2020-01-01", periods=5))
    for method in ("gaussian", "cornish_fisher", "historical"):
        res = tail_risk(pd.Series({"a": 1.0}), r, level=0.95, method=method)
        assert res.var == pytest.approx(-0.001) and res.es == pytest.approx(-0.001)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_historical_var_and_es_by_sorting(seed, level):
    """VaR is the k-th worst loss, k = ceil(m), m = T (1 - level); ES the mean over the fractional
    tail (Acerbi & Tasche 2002): the k - 1 worst fully, the k-th by the fraction m - (k - 1)."""
    g = np.random.default_rng(seed)
    r = pd.DataFrame(g.standard_t(4, size=(250, 3)) * 0.01, columns=list("abc"))
    w = pd.Series([0.5, 0.3, 0.2], index=list("abc"))
    losses = np.sort(-(r.to_numpy() @ w.to_numpy()))[::-1]  # largest loss first
    k = int(np.ceil(250 * (1 - level) - 1e-12))
    res = tail_risk(w, r, level=level)
    assert res.var == pytest.approx(losses[k - 1], rel=1e-12)
    m = 250 * (1 - level)
    assert res.es == pytest.approx((losses[: k - 1].sum() + (m - (k - 1)) * losses[k - 1]) / m, rel=1e-12)
    assert res.info["tail_periods"] == k


def test_gaussian_contributions_are_euler_by_hand():
    g = np.random.default_rng(3)
    r = pd.DataFrame(g.normal(0.001, 0.02, size=(400, 3)), columns=list("xyz"))
    w = pd.Series([0.2, 0.5, 0.3], index=list("xyz"))
    X, wv = r.to_numpy(), w.to_numpy()
    mu, S = X.mean(axis=0), np.cov(X, rowvar=False, ddof=1)
    sigma = np.sqrt(wv @ S @ wv)
    z = norm.ppf(0.975)
    res = tail_risk(w, r, level=0.975, method="gaussian")
    np.testing.assert_allclose(res.contributions["var"], wv * (-mu + z * (S @ wv) / sigma), rtol=1e-12)
    es = wv * (-mu + norm.pdf(z) / 0.025 * (S @ wv) / sigma)
    np.testing.assert_allclose(res.contributions["es"], es, rtol=1e-12)
    assert res.var == pytest.approx(-(mu @ wv) + z * sigma, rel=1e-12)


def test_summary_states_level_and_per_period_units():
    r = pd.DataFrame({"a": np.linspace(-0.05, 0.05, 40)})
    res = tail_risk(pd.Series({"a": 1.0}), r, level=0.9)
    row = res.summary().loc["historical"]
    assert row["level"] == 0.9 and row["units"] == "per period"
    assert row["VaR"] == res.var and row["ES"] == res.es


def test_alpha_is_the_former_name_of_level():
    r = pd.DataFrame({"a": np.linspace(-0.05, 0.05, 40)})
    w = pd.Series({"a": 1.0})
    new = tail_risk(w, r, level=0.9, method="gaussian")
    with pytest.warns(FutureWarning, match=r"tail_risk\(alpha=\) is now tail_risk\(level=\)"):
        old = tail_risk(w, r, alpha=0.9, method="gaussian")
    assert (old.var, old.es) == (new.var, new.es)
    with pytest.warns(FutureWarning, match="TailRisk.alpha is now TailRisk.level"):
        assert new.alpha == 0.9
    assert isinstance(new, TailRisk)
