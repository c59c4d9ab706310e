"""Regime monitors: values against naive formulas kept here and eigenvalues by hand, no look-ahead,
alert rules, and the detection study on the simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from riskkit.decomposition.regimes import absorption_ratio, average_correlation, regimes, turbulence
from riskkit.evaluation import regime_detection
from riskkit.exceptions import InvalidParameterError


def _returns(T=400, N=5, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = 0.01 * (rng.standard_normal((T, N)) + 0.5 * rng.standard_normal((T, 1)))
    return pd.DataFrame(X, index=pd.date_range("2020-01-01", periods=T, freq="D"), columns=list("ABCDE")[:N])


def test_absorption_ratio_of_a_known_covariance():
    # equicorrelation 0.5, N = 5, unit variances: eigenvalues 1 + 4 * 0.5 = 3 and 0.5 (four times);
    # the top n = ceil(5/5) = 1 absorbs 3 / 5 = 0.6. Returns drawn so their sample covariance is exact.
    N, T = 5, 60
    C = np.full((N, N), 0.5) + 0.5 * np.eye(N)
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((T, N))
    Z -= Z.mean(axis=0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False)).T)  # sample covariance = I
    X = Z @ np.linalg.cholesky(C).T
    r = pd.DataFrame(X, index=pd.date_range("2020-01-01", periods=T, freq="D"))
    mon = absorption_ratio(r, window=T, short=1, long=2)
    assert mon.table["absorption_ratio"].iloc[-1] == pytest.approx(0.6, rel=1e-12)
    assert mon.table["absorption_ratio"].iloc[:-1].isna().all()


def test_absorption_ratio_matches_a_naive_rolling_eigendecomposition():
    r = _returns()
    mon = absorption_ratio(r, window=50, n_components=2, short=5, long=100)
    X = r.to_numpy()
    for t in (49, 120, 399):
        lam = np.linalg.eigvalsh(np.cov(X[t - 49 : t + 1], rowvar=False))
        assert mon.table["absorption_ratio"].iloc[t] == pytest.approx(lam[-2:].sum() / lam.sum(), rel=1e-10)
    ar = mon.table["absorption_ratio"]
    t = 300
    shift = (ar.iloc[t - 4 : t + 1].mean() - ar.iloc[t - 99 : t + 1].mean()) / ar.iloc[t - 99 : t + 1].std()
    assert mon.table["shift"].iloc[t] == pytest.approx(shift, rel=1e-10)
    np.testing.assert_array_equal(mon.alert.to_numpy(), (mon.table["shift"] >= 1.0).to_numpy())


def test_ewma_absorption_ratio_matches_explicit_weights():
    r = _returns(T=200)
    mon = absorption_ratio(r, window=30, halflife=20, long=50)
    X = r.to_numpy()
    t = 150
    wts = 0.5 ** (np.arange(t, -1, -1) / 20)
    wts /= wts.sum()
    m = wts @ X[: t + 1]
    cov = (X[: t + 1] - m).T @ ((X[: t + 1] - m) * wts[:, None])
    lam = np.linalg.eigvalsh(cov)
    assert mon.table["absorption_ratio"].iloc[t] == pytest.approx(lam[-1] / lam.sum(), rel=1e-10)


def test_turbulence_is_the_mahalanobis_distance_from_the_previous_window():
    r = _returns()
    mon = turbulence(r, window=100, span=3, level=0.99, reference="chi2")
    X = r.to_numpy()
    t = 250
    past = X[t - 100 : t]
    e = X[t] - past.mean(axis=0)
    d = e @ np.linalg.solve(np.cov(past, rowvar=False), e)
    assert mon.table["turbulence"].iloc[t] == pytest.approx(d, rel=1e-9)
    assert mon.table["turbulence"].iloc[:100].isna().all()
    limit = chi2.ppf(0.99, 5 * 3) / 3
    assert mon.table["threshold"].iloc[-1] == pytest.approx(limit)
    np.testing.assert_array_equal(mon.alert.to_numpy(), (mon.table["smoothed"] > limit).to_numpy())


def test_turbulence_alert_against_its_own_history():
    # default rule: the 3-day mean turbulence against the 99% quantile (linear interpolation) of its
    # 120 previous 3-day means, the date itself excluded
    r = _returns()
    mon = turbulence(r, window=100, span=3, level=0.99, long=120)
    raw = mon.table["turbulence"].to_numpy()
    t = 300
    smooth = np.array([raw[u - 2 : u + 1].mean() for u in range(t - 120, t + 1)])
    assert mon.table["smoothed"].iloc[t] == pytest.approx(smooth[-1], rel=1e-12)
    assert mon.table["threshold"].iloc[t] == pytest.approx(np.quantile(smooth[:-1], 0.99), rel=1e-12)
    first = 100 + 2 + 120  # first reading at 100, first 3-day mean at 102, then 120 of them
    assert mon.table["threshold"].iloc[:first].isna().all()
    assert np.isfinite(mon.table["threshold"].iloc[first])
    expect = (mon.table["smoothed"] > mon.table["threshold"]).to_numpy()
    np.testing.assert_array_equal(mon.alert.to_numpy(), expect)
    assert not mon.alert.iloc[:first].any()
    with pytest.raises(InvalidParameterError, match="reference"):
        turbulence(r, window=100, reference="normal")


def test_average_correlation_and_its_band():
    r = _returns()
    mon = average_correlation(r, window=30, long=60, width=2.0)
    X = r.to_numpy()
    t = 200
    C = np.corrcoef(X[t - 29 : t + 1], rowvar=False)
    avg = C[~np.eye(5, dtype=bool)].mean()
    assert mon.table["average_correlation"].iloc[t] == pytest.approx(avg, rel=1e-10)
    hist = mon.table["average_correlation"].iloc[t - 60 : t]  # the 60 dates before t, not t itself
    assert mon.table["threshold"].iloc[t] == pytest.approx(hist.mean() + 2 * hist.std(), rel=1e-10)


def test_no_look_ahead():
    r = _returns()
    full = regimes(r, long=100, turbulence_options={"window": 100})
    cut = regimes(r.iloc[:300], long=100, turbulence_options={"window": 100})
    for name, mon in cut.monitors.items():
        pd.testing.assert_frame_equal(mon.table, full.monitors[name].table.iloc[:300], check_freq=False)


def test_crash_raises_the_readings():
    # the market factor's weight jumps in the second half: every monitor reads higher there
    rng = np.random.default_rng(5)
    calm = 0.01 * (rng.standard_normal((400, 6)) + 0.2 * rng.standard_normal((400, 1)))
    crash = 0.03 * (rng.standard_normal((60, 6)) + 2.0 * rng.standard_normal((60, 1)))
    r = pd.DataFrame(np.vstack([calm, crash]), index=pd.date_range("2020-01-01", periods=460, freq="D"))
    mon = regimes(r, long=200, turbulence_options={"window": 200}, correlation={"window": 20})
    assert mon.alerts["any"].iloc[400:].mean() > 0.5
    assert mon.alerts["any"].iloc[300:400].mean() < 0.2


def test_undated_returns_need_long():
    r = _returns().reset_index(drop=True)
    with pytest.raises(InvalidParameterError, match="long="):
        absorption_ratio(r)


def test_regime_detection_table():
    table = regime_detection(seed=[0, 1], market={"n_assets": 6, "n_periods": 1200})
    assert list(table.columns) == [
        "crashes",
        "caught_within",
        "caught",
        "median_delay",
        "false_alarms_per_calm_year",
    ]
    assert set(table.index) == {"absorption_ratio", "turbulence", "average_correlation", "any"}
    assert (table["caught_within"] <= table["caught"]).all()
    assert (table.loc["any", "caught"] >= table["caught"]).all()  # any fires whenever one does
