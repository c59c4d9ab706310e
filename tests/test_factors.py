"""riskkit.decomposition.factors: OLS exposures against numpy least squares, and the factor split."""

import numpy as np
import pandas as pd
import pytest

from riskkit import decomposition as D
from riskkit.decomposition import factors as F
from riskkit.exceptions import InvalidParameterError
from riskkit.simulation import simulate_market


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
    # given exposures carry no dates: per-period figures (the diagonal residuals of the model)
    per_period_given = F.factor_decomposition(w, given)
    wv = w.to_numpy()
    b = model.betas.to_numpy().T @ wv
    naive = b @ model.factor_covariance.to_numpy() @ b + np.sum(wv**2 * model.residual_variance.to_numpy())
    assert per_period_given.loc["total", "variance"] == pytest.approx(naive, rel=1e-12)
    assert (per_period_given["units"] == "per period").all() and (fd["units"] == "annual").all()
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
    d = D.decompose(w, returns=r, factors=pd.DataFrame({"MKT": mkt}, index=idx), level=0.9)
    assert np.sqrt(d.factors.loc["total", "variance"]) == pytest.approx(d.volatility, rel=1e-12)


def test_factor_exposures_take_the_one_annualisation_rule():
    m = simulate_market(n_assets=3, n_periods=300, seed=2)
    r = m.returns
    f = r[["A01"]].rename(columns={"A01": "MKT"})
    assert F.factor_exposures(r, f).periods_per_year == 365.0  # the 24/7 calendar, inferred
    assert F.factor_exposures(r, f, periods_per_year=252).periods_per_year == 252.0  # given wins
    plain = F.factor_exposures(r.reset_index(drop=True), f.reset_index(drop=True))
    assert plain.periods_per_year is None  # no dates: per period
    w = pd.Series(1 / 3, index=r.columns)
    fd = F.factor_decomposition(w, plain)
    assert fd.loc["total", "variance"] == pytest.approx(float(np.var(r.to_numpy() @ w, ddof=1)), rel=1e-12)
    assert fd["units"].eq("per period").all()
