"""riskkit.simulation: the market simulator and its true covariance."""

import numpy as np
import pandas as pd
import pytest

from riskkit import calendar as cal
from riskkit.exceptions import InvalidParameterError
from riskkit.simulation import simulate_market


def _rel_err(m):
    s = np.cov(m.returns.to_numpy(), rowvar=False)
    t = m.true_covariance.to_numpy()
    return np.linalg.norm(s - t) / np.linalg.norm(t)


def test_sample_covariance_converges_to_truth():
    small = np.mean([_rel_err(simulate_market(n_assets=6, n_periods=2_000, seed=s)) for s in range(6)])
    large = np.mean([_rel_err(simulate_market(n_assets=6, n_periods=200_000, seed=s)) for s in range(6)])
    assert large < small / 3
    assert large < 0.05


def test_without_regimes_or_clustering_truth_is_d_c_d():
    """Gaussian-like, no crash, no GARCH: sample error shrinks like 1/sqrt(T)."""
    m = simulate_market(
        n_assets=5, n_periods=400_000, seed=3, dof=1e6, garch=(0.0, 0.0), crash_probability=0.0
    )
    assert m.stationary_crash_probability == 0.0
    np.testing.assert_allclose(m.true_covariance, m.regime_covariance["calm"], rtol=1e-15)
    assert _rel_err(m) < 0.01


def test_truth_formula_mixes_regimes_and_mean_shift():
    m = simulate_market(n_assets=3, n_periods=10, seed=0)
    p = m.stationary_crash_probability
    calm, crash = m.regime_covariance["calm"].to_numpy(), m.regime_covariance["crash"].to_numpy()
    mu = np.array([0.35, -3.0]) / 365
    shift = p * (1 - p) * (mu[0] - mu[1]) ** 2
    np.testing.assert_allclose(m.true_covariance, (1 - p) * calm + p * crash + shift, rtol=1e-14)
    assert p == pytest.approx(0.004 / (0.004 + 1 / 20))


def test_crash_regime_raises_correlation_and_volatility():
    m = simulate_market(n_assets=6, n_periods=60_000, seed=1)
    crash = (m.regimes == "crash").to_numpy()
    assert crash.mean() == pytest.approx(m.stationary_crash_probability, abs=0.02)
    c_calm = np.corrcoef(m.returns.to_numpy()[~crash], rowvar=False)
    c_crash = np.corrcoef(m.returns.to_numpy()[crash], rowvar=False)
    off = ~np.eye(6, dtype=bool)
    assert c_crash[off].mean() > c_calm[off].mean() + 0.1
    s = m.summary()
    assert (s["crash_vol"] > 1.5 * s["calm_vol"]).all()
    assert set(s["units"]) == {"annual"}
    np.testing.assert_allclose(s["true_vol"], np.sqrt(np.diag(m.true_covariance) * 365))


def test_fat_tails_and_volatility_clustering():
    m = simulate_market(n_assets=3, n_periods=50_000, seed=2, crash_probability=0.0)
    r = m.returns.iloc[:, 0].to_numpy()
    z = (r - r.mean()) / r.std()
    assert np.mean(z**4) > 4.0  # Gaussian: 3
    a = np.abs(z)
    assert np.corrcoef(a[1:], a[:-1])[0, 1] > 0.05  # absolute returns autocorrelate
    assert m.variance_multiplier.mean() == pytest.approx(1.0, abs=0.05)


def test_seeded_and_reproducible():
    a = simulate_market(n_assets=4, n_periods=300, seed=11)
    b = simulate_market(n_assets=4, n_periods=300, seed=11)
    c = simulate_market(n_assets=4, n_periods=300, seed=np.random.default_rng(11))
    pd.testing.assert_frame_equal(a.prices, b.prices)
    pd.testing.assert_frame_equal(a.prices, c.prices)
    assert not np.allclose(a.prices, simulate_market(n_assets=4, n_periods=300, seed=12).prices)


def test_calendar_and_prices_match_returns():
    m = simulate_market(n_assets=3, n_periods=500, seed=5, calendar="business")
    assert cal.infer_periods_per_year(m.prices) == 252 == m.periods_per_year
    np.testing.assert_allclose(np.log(m.prices).diff().iloc[1:], m.returns, atol=1e-12)
    crypto = simulate_market(n_assets=3, n_periods=500, seed=5)
    assert cal.infer_periods_per_year(crypto.prices) == 365
    vols = np.sqrt(np.diag(crypto.regime_covariance["calm"]) * 365)
    assert ((vols >= 0.4) & (vols <= 1.2)).all()


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="alpha \\+ beta must be < 1"):
        simulate_market(garch=(0.5, 0.6))
    with pytest.raises(InvalidParameterError, match="names and groups must be 3 entries"):
        simulate_market(n_assets=3, names=["a", "b"])
    with pytest.raises(InvalidParameterError, match="crash_correlation must lie in \\[0, 1\\]"):
        simulate_market(crash_correlation=1.5)


def test_crash_correlation_one_is_one_common_shock():
    """Found in the issue-15 audit: crash_correlation=1 leaked a raw LinAlgError from Cholesky."""
    from riskkit.simulation import simulate_market

    m = simulate_market(n_assets=3, n_periods=400, seed=0, crash_correlation=1.0, crash_probability=0.5)
    assert np.isfinite(m.returns.to_numpy()).all()
