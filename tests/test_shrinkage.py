"""riskkit.shrinkage against scikit-learn and naive transcriptions of the papers.

The naive implementations below follow the papers' formulas with explicit
loops over assets and observations; they are slow and obviously correct.
Conventions: data demeaned per asset, S = Xc'Xc / T (ddof = 0) for the
linear shrinkage estimators, as in the papers' code and in scikit-learn.
"""

import dataclasses
import math

import mpmath
import numpy as np
import pandas as pd
import pytest
from sklearn.covariance import ledoit_wolf, oas

import riskkit as rk
from riskkit.exceptions import (
    DataError,
    DataQualityWarning,
    InvalidParameterError,
    MissingDataError,
    NonFiniteError,
    NonNumericError,
)
from riskkit.shrinkage import METHODS, rolling_shrink, shrink

SHAPES = [(60, 8), (250, 40), (30, 60), (15, 90), (500, 5)]


def frame(seed, T, N, *, scale=0.02, mean=0.001, corr=0.4):
    g = np.random.default_rng(seed)
    common = g.standard_normal((T, 1))
    x = (
        (np.sqrt(corr) * common + np.sqrt(1 - corr) * g.standard_normal((T, N)))
        * scale
        * g.uniform(0.5, 2, N)
    )
    x += mean * g.standard_normal(N)
    return pd.DataFrame(x, index=pd.date_range("2020-01-01", periods=T), columns=[f"A{i}" for i in range(N)])


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a), np.asarray(b)
    assert np.max(np.abs(a - b)) <= rtol * np.max(np.abs(b)), np.max(np.abs(a - b)) / np.max(np.abs(b))


# ----------------------------------------------------------------------------- naive references


def naive_sample(x):
    T, N = x.shape
    m = [sum(x[t, i] for t in range(T)) / T for i in range(N)]
    y = np.array([[x[t, i] - m[i] for i in range(N)] for t in range(T)])
    s = np.array([[sum(y[t, i] * y[t, j] for t in range(T)) / T for j in range(N)] for i in range(N)])
    return y, s


def naive_constant_correlation(x):
    """Ledoit & Wolf (2003), 'Honey, I shrunk the sample covariance matrix', section 2-3."""
    y, s = naive_sample(x)
    T, N = y.shape
    r = [[s[i, j] / math.sqrt(s[i, i] * s[j, j]) for j in range(N)] for i in range(N)]
    rbar = 2.0 / ((N - 1) * N) * sum(r[i][j] for i in range(N) for j in range(i + 1, N))
    f = np.array(
        [[s[i, i] if i == j else rbar * math.sqrt(s[i, i] * s[j, j]) for j in range(N)] for i in range(N)]
    )
    pi = np.zeros((N, N))
    for i in range(N):
        for j in range(N):
            pi[i, j] = sum((y[t, i] * y[t, j] - s[i, j]) ** 2 for t in range(T)) / T

    def theta(k, i, j):  # theta_{kk,ij}
        return sum((y[t, k] ** 2 - s[k, k]) * (y[t, i] * y[t, j] - s[i, j]) for t in range(T)) / T

    rho = sum(pi[i, i] for i in range(N))
    for i in range(N):
        for j in range(N):
            if i != j:
                rho += (
                    rbar
                    / 2
                    * (
                        math.sqrt(s[j, j] / s[i, i]) * theta(i, i, j)
                        + math.sqrt(s[i, i] / s[j, j]) * theta(j, i, j)
                    )
                )
    gamma = sum((f[i, j] - s[i, j]) ** 2 for i in range(N) for j in range(N))
    delta = max(0.0, min(1.0, (pi.sum() - rho) / gamma / T))
    return delta * f + (1 - delta) * s, delta


def naive_single_index(x, market=None):
    """Ledoit & Wolf (2003), 'Improved estimation of the covariance matrix of stock returns',
    section 2 and appendix."""
    y, s = naive_sample(x)
    T, N = y.shape
    if market is None:
        y0 = [sum(y[t, i] for i in range(N)) / N for t in range(T)]
    else:
        mm = sum(market) / T
        y0 = [market[t] - mm for t in range(T)]
    s00 = sum(v * v for v in y0) / T
    s0 = [sum(y[t, i] * y0[t] for t in range(T)) / T for i in range(N)]
    f = np.array([[s[i, i] if i == j else s0[i] * s0[j] / s00 for j in range(N)] for i in range(N)])
    pi = sum((y[t, i] * y[t, j] - s[i, j]) ** 2 for i in range(N) for j in range(N) for t in range(T)) / T
    rho = sum((y[t, i] ** 2 - s[i, i]) ** 2 for i in range(N) for t in range(T)) / T
    for i in range(N):
        for j in range(N):
            if i == j:
                continue
            acc = 0.0
            for t in range(T):
                acc += (s0[j] * s00 * y[t, i] + s0[i] * s00 * y[t, j] - s0[i] * s0[j] * y0[t]) * y0[t] * y[
                    t, i
                ] * y[t, j] / s00**2 - f[i, j] * s[i, j]
            rho += acc / T
    gamma = sum((f[i, j] - s[i, j]) ** 2 for i in range(N) for j in range(N))
    delta = max(0.0, min(1.0, (pi - rho) / gamma / T))
    return delta * f + (1 - delta) * s, delta


def naive_nonlinear(x):
    """Ledoit & Wolf (2020), 'Analytical nonlinear shrinkage...', eqs (4.3), (4.7)-(4.9), (C.4)-(C.8).

    Demeaned data, effective sample size n = T - 1.
    """
    T, p = x.shape
    n = T - 1
    y = x - x.mean(axis=0)
    S = y.T @ y / n
    lam_all, u = np.linalg.eigh(S)
    lam = lam_all[max(0, p - n) :]
    k = len(lam)
    h = n ** (-1 / 3)
    r5 = math.sqrt(5)

    def kern(z):
        return 3 / (4 * r5) * max(1 - z * z / 5, 0.0)

    def hilbert(z):
        # evaluated with 50 digits: in float64 the two terms cancel for |z| >> sqrt(5)
        # (relative error eps * z^2), and near T = N z reaches 1e9
        with mpmath.workdps(50):
            z, r5m = mpmath.mpf(z), mpmath.sqrt(5)
            if abs(z) == r5m:
                return float(-3 * z / (10 * mpmath.pi))
            return float(
                -3 * z / (10 * mpmath.pi)
                + 3 / (4 * r5m * mpmath.pi) * (1 - z * z / 5) * mpmath.log(abs((r5m - z) / (r5m + z)))
            )

    f, hf = [], []
    for i in range(k):
        f.append(sum(kern((lam[i] - lam[j]) / (h * lam[j])) / (h * lam[j]) for j in range(k)) / k)
        hf.append(sum(hilbert((lam[i] - lam[j]) / (h * lam[j])) / (h * lam[j]) for j in range(k)) / k)
    if p <= n:
        c = p / n
        d = [
            lam[i] / ((math.pi * c * lam[i] * f[i]) ** 2 + (1 - c - math.pi * c * lam[i] * hf[i]) ** 2)
            for i in range(k)
        ]
    else:
        with mpmath.workdps(50):
            hm = mpmath.mpf(h)
            hf0 = float(
                (1 / mpmath.pi)
                * (
                    3 / (10 * hm * hm)
                    + 3
                    / (4 * mpmath.sqrt(5) * hm)
                    * (1 - 1 / (5 * hm * hm))
                    * mpmath.log((1 + mpmath.sqrt(5) * hm) / (1 - mpmath.sqrt(5) * hm))
                )
            )
        hf0 *= sum(1 / v for v in lam) / k
        d0 = 1 / (math.pi * (p - n) / n * hf0)
        d = [d0] * (p - n) + [
            lam[i] / (math.pi**2 * lam[i] ** 2 * (f[i] ** 2 + hf[i] ** 2)) for i in range(k)
        ]
    return sum(d[i] * np.outer(u[:, i], u[:, i]) for i in range(p))


# ----------------------------------------------------------------------------- against scikit-learn


@pytest.mark.parametrize(("T", "N"), SHAPES)
@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_identity_and_oas_equal_scikit_learn(T, N, centered, seed):
    r = frame(seed, T, N)
    for ours, theirs in (("ledoit_wolf", ledoit_wolf), ("oas", oas)):
        res = shrink(r, method=ours, assume_centered=centered)
        cov, s = theirs(r.to_numpy(), assume_centered=centered)
        close(res.covariance, cov)
        assert res.intensity == pytest.approx(s, rel=1e-12, abs=1e-15)


def test_large_means_are_centred_exactly():
    r = frame(0, 200, 10) + 50.0  # mean far above the spread: the raw cross-product would cancel
    cov, s = ledoit_wolf(r.to_numpy())
    with pytest.warns(DataQualityWarning, match="look like prices"):  # levels, as prices would be
        res = shrink(r)
    close(res.covariance, cov)
    assert res.intensity == pytest.approx(s, rel=1e-12)


# ----------------------------------------------------------------------------- against the papers


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("T", "N"), [(40, 6), (12, 9)])
def test_constant_correlation_equals_the_paper(seed, T, N):
    r = frame(seed, T, N)
    expected, delta = naive_constant_correlation(r.to_numpy())
    res = shrink(r, target="constant_correlation")
    assert res.intensity == pytest.approx(delta, rel=1e-10, abs=1e-14)
    close(res.covariance, expected)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("T", "N"), [(40, 6), (12, 9)])
def test_single_index_equals_the_paper(seed, T, N):
    r = frame(seed, T, N)
    expected, delta = naive_single_index(r.to_numpy())
    res = shrink(r, target="single_index")
    assert res.intensity == pytest.approx(delta, rel=1e-10, abs=1e-14)
    close(res.covariance, expected)
    mkt = pd.Series(np.random.default_rng(seed + 50).normal(0, 0.01, T), index=r.index)
    expected, delta = naive_single_index(r.to_numpy(), mkt.to_numpy())
    res = shrink(r, target="single_index", market=mkt)
    assert res.intensity == pytest.approx(delta, rel=1e-10, abs=1e-14)
    close(res.covariance, expected)


@pytest.mark.parametrize(("T", "N"), [(60, 10), (40, 25), (20, 30)])
@pytest.mark.parametrize("seed", range(3))
def test_nonlinear_equals_the_paper(T, N, seed):
    r = frame(seed, T, N)
    # p/n near 1 makes the formula ill-conditioned: rounding differences in S grow to ~1e-10
    close(shrink(r, method="nonlinear").covariance, naive_nonlinear(r.to_numpy()), rtol=1e-9)


def test_epanechnikov_hilbert_is_exact_over_the_whole_line():
    # the closed form cancels catastrophically for |x| >> sqrt(5); the kernel must not
    from riskkit.shrinkage._kernels import epanechnikov_hilbert

    mags = np.concatenate([np.geomspace(1e-3, 1e12, 301), [math.sqrt(5), 2.2, 2.3, 3.99, 4.0, 4.01]])
    x = np.concatenate([mags, -mags])
    got = epanechnikov_hilbert(x)
    with mpmath.workdps(60):
        r5 = mpmath.sqrt(5)
        want = []
        for v in x:
            z = mpmath.mpf(float(v))
            if abs(z) == r5:
                want.append(float(-3 * z / (10 * mpmath.pi)))
            else:
                want.append(
                    float(
                        -3 * z / (10 * mpmath.pi)
                        + 3 / (4 * r5 * mpmath.pi) * (1 - z * z / 5) * mpmath.log(abs((r5 - z) / (r5 + z)))
                    )
                )
    want = np.array(want)
    rel = np.abs(got - want) / np.abs(want)
    assert rel.max() < 4e-15, (x[rel.argmax()], rel.max())
    # odd function, and -1/(pi x) far out
    np.testing.assert_array_equal(got[: len(mags)], -got[len(mags) :])
    assert got[300] * math.pi * 1e12 == pytest.approx(-1.0, rel=1e-15)


@pytest.mark.parametrize("ratio", [0.9, 1.0, 1.04, 1.1])
@pytest.mark.parametrize("seed", range(3))
def test_nonlinear_is_stable_near_t_equals_n(ratio, seed):
    """A 1e-15 relative perturbation of the data moves the loss by far less than
    1e-9 relative: near T = N the smallest eigenvalues go to 0 and the kernel
    is evaluated at |x| up to 1e9, where a cancelling formula returns noise."""
    N = 100
    T = round(ratio * N)
    g = np.random.default_rng(seed)
    true_sd = np.linspace(0.5, 2.0, N)
    x = g.standard_normal((T, N)) * true_sd
    truth = np.diag(true_sd**2)
    noisy = x * (1.0 + 1e-15 * g.standard_normal(x.shape))
    loss = [
        np.linalg.norm(shrink(pd.DataFrame(d), method="nonlinear").covariance.to_numpy() - truth)
        for d in (x, noisy)
    ]
    assert abs(loss[1] / loss[0] - 1.0) < 1e-9
    # and the estimate is an improvement on the sample covariance, as the paper promises
    sample = np.linalg.norm(np.cov(x, rowvar=False) - truth)
    assert loss[0] < sample


def test_nonlinear_beats_the_sample_on_a_known_truth():
    g = np.random.default_rng(7)
    N, T = 100, 200
    true = np.diag(np.linspace(0.5, 5.0, N))
    x = g.multivariate_normal(np.zeros(N), true, T)
    err = {
        m: np.linalg.norm(shrink(pd.DataFrame(x), method=m).covariance.to_numpy() - true)
        for m in ("sample", "nonlinear")
    }
    assert err["nonlinear"] < 0.6 * err["sample"]


def test_sample_ewma_and_riskmetrics():
    r = frame(1, 80, 5)
    np.testing.assert_allclose(
        shrink(r, method="sample").covariance, np.cov(r.to_numpy(), rowvar=False), rtol=1e-13
    )
    np.testing.assert_allclose(
        shrink(r, method="sample", ddof=0).covariance, np.cov(r.to_numpy(), rowvar=False, ddof=0), rtol=1e-13
    )
    lam = 0.9
    pandas_ewm = r.ewm(alpha=1 - lam, adjust=True).cov(bias=True).loc[r.index[-1]]
    res = shrink(r, method="ewma", lam=lam)
    np.testing.assert_allclose(res.covariance, pandas_ewm, rtol=1e-10)
    half = shrink(r, method="ewma", halflife=math.log(0.5) / math.log(lam))
    np.testing.assert_allclose(half.covariance, res.covariance, rtol=1e-12)
    # RiskMetrics: lambda 0.94, zero mean, normalised weights
    x = r.to_numpy()
    w = np.array([0.94 ** (len(x) - 1 - t) for t in range(len(x))])
    w /= w.sum()
    expected = sum(w[t] * np.outer(x[t], x[t]) for t in range(len(x)))
    np.testing.assert_allclose(shrink(r, method="riskmetrics").covariance, expected, rtol=1e-12)
    assert shrink(r, method="riskmetrics").info["lambda"] == 0.94


def test_fixed_intensity_limits_and_consistency():
    r = frame(2, 100, 7)
    for target in ("identity", "constant_correlation", "single_index"):
        est = shrink(r, target=target)
        again = shrink(r, target=target, intensity=est.intensity)
        close(again.covariance, est.covariance, rtol=1e-14)
        close(
            shrink(r, target=target, intensity=0.0).covariance, shrink(r, method="sample", ddof=0).covariance
        )
        close(shrink(r, target=target, intensity=1.0).covariance, est.target_covariance)


def test_denoise_finds_the_factors_and_beats_the_sample():
    """A market factor and three equal-sized sectors with equal loadings: the
    noise part of the correlation is isotropic, the case clipping is made for."""
    g = np.random.default_rng(3)
    N, T, k = 120, 480, 3
    B = np.zeros((N, 1 + k))
    B[:, 0] = 0.5
    B[np.arange(N), 1 + np.arange(N) % k] = 0.4
    true = B @ B.T
    np.fill_diagonal(true, 1.0)
    x = g.multivariate_normal(np.zeros(N), true, T)
    res = shrink(pd.DataFrame(x), method="denoise")
    assert res.info["n_signal"] == k  # market + 3 sectors span 3 dimensions (the sectors sum to the market)
    true_corr = true
    sample_corr = shrink(pd.DataFrame(x), method="sample").correlation.to_numpy()
    assert np.linalg.norm(res.correlation.to_numpy() - true_corr) < 0.8 * np.linalg.norm(
        sample_corr - true_corr
    )
    np.testing.assert_allclose(
        np.diag(res.covariance), np.diag(shrink(pd.DataFrame(x), method="sample").covariance)
    )
    detoned = shrink(pd.DataFrame(x), method="denoise", detone=True)
    np.testing.assert_allclose(np.diag(detoned.correlation), 1.0)
    assert detoned.info["detoned_components"] == 1
    assert abs(detoned.correlation.to_numpy()[np.triu_indices(N, 1)].mean()) < abs(
        res.correlation.to_numpy()[np.triu_indices(N, 1)].mean()
    )


# ----------------------------------------------------------------------------- properties over many seeds

ALL = [
    ("sample", {}),
    ("ewma", {"halflife": 20}),
    ("riskmetrics", {}),
    ("ledoit_wolf", {}),
    ("ledoit_wolf", {"target": "constant_correlation"}),
    ("ledoit_wolf", {"target": "single_index"}),
    ("ledoit_wolf", {"target": "constant_correlation", "intensity": 0.3}),
    ("oas", {}),
    ("nonlinear", {}),
    ("denoise", {}),
]
SHRUNK = [c for c in ALL if c[0] not in ("sample", "ewma", "riskmetrics")]


def ids(case):
    return case[0] + "".join(f"-{v}" for v in case[1].values())


@pytest.mark.parametrize("case", ALL, ids=ids)
@pytest.mark.parametrize("seed", range(10))
def test_properties(case, seed):
    method, kw = case
    g = np.random.default_rng(seed)
    T, N = int(g.integers(20, 120)), int(g.integers(2, 15))
    r = frame(seed, T, N)
    res = shrink(r, method=method, **kw)
    cov, corr = res.covariance.to_numpy(), res.correlation.to_numpy()
    assert list(res.covariance.index) == list(r.columns)
    np.testing.assert_array_equal(cov, cov.T)
    np.testing.assert_array_equal(corr, corr.T)
    np.testing.assert_array_equal(np.diag(corr), 1.0)
    assert np.linalg.eigvalsh(cov).min() >= -1e-12 * np.abs(cov).max()
    assert np.linalg.eigvalsh(corr).min() >= -1e-10
    if res.intensity is not None:
        assert 0.0 <= res.intensity <= 1.0
    perm = g.permutation(N)
    permuted = shrink(r.iloc[:, perm], method=method, **kw)
    pd.testing.assert_frame_equal(permuted.covariance, res.covariance.iloc[perm, perm], rtol=1e-9, atol=1e-18)
    c = float(g.uniform(0.1, 10))
    scaled = shrink(r * c, method=method, **kw)
    np.testing.assert_allclose(scaled.covariance, cov * c * c, rtol=1e-9, atol=1e-18 * c * c)
    if res.intensity is not None:
        assert scaled.intensity == pytest.approx(res.intensity, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", SHRUNK, ids=ids)
@pytest.mark.parametrize("seed", range(5))
def test_fewer_observations_than_assets_gives_positive_definite(case, seed):
    method, kw = case
    r = frame(seed, 25, 60)
    res = shrink(r, method=method, **kw)
    assert res.condition_number_sample == math.inf
    assert np.linalg.eigvalsh(res.covariance.to_numpy()).min() > 0
    assert np.isfinite(res.condition_number)


def test_result_summary_and_annualisation():
    r = frame(0, 100, 4)
    res = shrink(r, target="constant_correlation")
    s = res.summary()
    assert s.index[0] == "ledoit_wolf" and s.loc["ledoit_wolf", "target"] == "constant_correlation"
    assert s.loc["ledoit_wolf", "T/N"] == 25.0
    assert res.periods_per_year == 365.0
    pd.testing.assert_frame_equal(res.annualised_covariance, res.covariance * 365)
    assert shrink(r, periods_per_year=252).periods_per_year == 252
    assert shrink(r.to_numpy()).periods_per_year is None
    assert s.loc["ledoit_wolf", "units"] == "annual"


def test_annualisation_follows_the_one_rule():
    """resolve_periods_per_year: the value passed wins, else the dates, else per period."""
    r = frame(0, 100, 4)
    sd = np.sqrt(np.diag(shrink(r).covariance.to_numpy()))
    daily = shrink(r)  # 7-day calendar: 365
    np.testing.assert_allclose(daily.volatility.to_numpy(), sd * np.sqrt(365.0), rtol=1e-15)
    weekly = shrink(r, periods_per_year=52)
    np.testing.assert_allclose(weekly.volatility.to_numpy(), sd * np.sqrt(52.0), rtol=1e-15)
    pd.testing.assert_frame_equal(weekly.annualised_covariance, weekly.covariance * 52)
    # no dates: per period, no error (was a CalendarError)
    bare = shrink(r.reset_index(drop=True))
    assert bare.periods_per_year is None
    np.testing.assert_allclose(bare.volatility.to_numpy(), sd, rtol=1e-15)
    pd.testing.assert_frame_equal(bare.annualised_covariance, bare.covariance)
    assert bare.summary()["units"].tolist() == ["per period"]
    with pytest.raises(InvalidParameterError, match="periods_per_year must lie in"):
        shrink(r, periods_per_year=0)
    # intraday dates: 100 hours from a Monday, no weekend, read as 24x5 (260 x 24 = 6240 a year)
    hourly = r.set_axis(pd.date_range("2024-01-01", periods=100, freq="h"))
    assert shrink(hourly).volatility.iloc[0] == pytest.approx(sd[0] * np.sqrt(6240))
    hourly_vol = shrink(hourly, periods_per_year=24 * 365).volatility
    assert hourly_vol.iloc[0] == pytest.approx(sd[0] * np.sqrt(8760))


def test_rolling_annualisation_follows_the_one_rule():
    r = frame(1, 100, 3)
    naive = _naive_summary_stats(rolling_shrink(r, window=30, step=10).covariances)[:, 0]
    for data, ppy, factor, unit in (
        (r, None, np.sqrt(365.0), "annual"),
        (r, 12, np.sqrt(12.0), "annual"),
        (r.reset_index(drop=True), None, 1.0, "per period"),
    ):
        roll = rolling_shrink(data, window=30, step=10, periods_per_year=ppy)
        summ = roll.summary()
        np.testing.assert_allclose(summ["mean_volatility"].to_numpy(), naive * factor, rtol=1e-12)
        assert set(summ["units"]) == {unit}
    with pytest.raises(InvalidParameterError, match="periods_per_year must lie in"):
        rolling_shrink(r, window=30, periods_per_year=-1)


def test_inputs_are_not_modified():
    r = frame(0, 60, 5)
    snap = r.copy()
    mkt = r.mean(axis=1)
    for method, kw in ALL:
        shrink(r, method=method, **kw)
    shrink(r, target="single_index", market=mkt)
    rolling_shrink(r, window=20, step=5)
    pd.testing.assert_frame_equal(r, snap)


# ----------------------------------------------------------------------------- bad input


def test_nan_and_inf_name_assets_and_dates():
    r = frame(0, 30, 3)
    bad = r.copy()
    bad.iloc[4, 1] = np.nan
    with pytest.raises(MissingDataError, match=r"'A1' on 1 date\(s\): 2020-01-05"):
        shrink(bad)
    bad = r.copy()
    bad.iloc[7, 2] = -np.inf
    with pytest.raises(NonFiniteError, match=r"'A2' on 1 date\(s\): 2020-01-08"):
        shrink(bad)


def test_zero_variance_asset_named():
    r = frame(0, 30, 3)
    for value in (0.0, 0.0123):
        bad = r.assign(A1=value)
        for method in ("ledoit_wolf", "ewma", "oas"):
            with pytest.raises(DataError, match=r"returns of 'A1' are constant"):
                shrink(bad, method=method, **({"lam": 0.9} if method == "ewma" else {}))


def test_other_bad_input():
    r = frame(0, 30, 3)
    with pytest.raises(DataError, match="at least 2 observations, got 1"):
        shrink(r.iloc[:1])
    with pytest.raises(NonNumericError, match="non-numeric column\\(s\\): 'name'"):
        shrink(r.assign(name="x"))
    with pytest.raises(
        InvalidParameterError, match="method='lw' is not a valid choice; expected one of 'sample', 'ewma'"
    ):
        shrink(r, method="lw")
    with pytest.raises(InvalidParameterError, match="target='market'"):
        shrink(r, target="market")
    with pytest.raises(InvalidParameterError, match="ddof applies to method='sample' or 'denoise'"):
        shrink(r, ddof=1)
    with pytest.raises(InvalidParameterError, match="exactly one of halflife= or lam="):
        shrink(r, method="ewma")
    with pytest.raises(InvalidParameterError, match=r"intensity must lie in \[0, 1\]"):
        shrink(r, intensity=1.5)
    with pytest.raises(InvalidParameterError, match="market must have the same dates"):
        shrink(r, target="single_index", market=r.mean(axis=1).iloc[1:])
    with pytest.raises(DataError, match="effective sample size of at least 12"):
        shrink(r.iloc[:10], method="nonlinear")
    assert set(METHODS) >= {"sample", "ewma", "ledoit_wolf", "oas", "nonlinear", "denoise"}


# ----------------------------------------------------------------------------- rolling


@pytest.mark.parametrize(
    ("method", "kw"),
    [
        ("ledoit_wolf", {}),
        ("ledoit_wolf", {"target": "constant_correlation"}),
        ("ledoit_wolf", {"target": "single_index"}),
        ("oas", {}),
        ("sample", {}),
        ("nonlinear", {}),
        ("denoise", {}),
    ],
)
@pytest.mark.parametrize(("window", "step"), [(40, 7), (30, 1), (20, 25)])
def test_rolling_equals_refitting_every_window(method, kw, window, step):
    r = frame(5, 200, 6)
    roll = rolling_shrink(r, window=window, step=step, method=method, refresh=5, **kw)
    ends = range(window - 1, len(r), step)
    assert list(roll.dates) == [r.index[e] for e in ends]
    for k, e in enumerate(ends):
        ref = shrink(r.iloc[e - window + 1 : e + 1], method=method, **kw)
        close(roll.covariances[k], ref.covariance, rtol=1e-11)
        if ref.intensity is not None:
            assert roll.intensity.iloc[k] == pytest.approx(ref.intensity, rel=1e-9, abs=1e-12)


def _naive_summary_stats(covs):
    out = []
    for c in covs:
        sd = np.sqrt(np.diag(c))
        corr = c / np.outer(sd, sd)
        n = len(sd)
        out.append((sd.mean(), (corr.sum() - n) / (n * (n - 1))))
    return np.array(out)


def test_rolling_summary_takes_o_k_n_memory():
    """Issue 15.6: summary() built two K x N x N temporaries (9.9 GiB at N = 2000)."""
    import tracemalloc

    r = frame(2, 400, 150)
    roll = rolling_shrink(r, window=60, step=10)
    K, N = roll.covariances.shape[:2]
    stack = K * N * N * 8
    tracemalloc.start()
    summ = roll.summary()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < stack / 20  # the old summary peaked at two stacks
    # daily dates: 365 periods a year, the mean volatility annualised by sqrt(365)
    np.testing.assert_allclose(
        summ[["mean_volatility", "mean_correlation"]].to_numpy(),
        _naive_summary_stats(roll.covariances) * [np.sqrt(365.0), 1.0],
        rtol=1e-12,
    )
    assert roll.periods_per_year == 365.0 and set(summ["units"]) == {"annual"}
    # computed on demand, window by window, for a result made without them
    bare = dataclasses.replace(roll, stats=None)
    tracemalloc.start()
    again = bare.summary()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < stack / 20
    pd.testing.assert_frame_equal(again, summ, rtol=1e-12)


def test_rolling_keeps_only_what_is_asked():
    """Issue 15.6: only given dates, float32 storage, or a callback per window and nothing stored."""
    r = frame(3, 300, 8)
    full = rolling_shrink(r, window=50, step=10)
    some = full.dates[[0, 3, 7]]
    sub = rolling_shrink(r, window=50, step=10, dates=some)
    assert list(sub.dates) == list(some) and sub.covariances.shape == (3, 8, 8)
    np.testing.assert_allclose(sub.covariances, full.covariances[[0, 3, 7]], rtol=1e-11)
    pd.testing.assert_frame_equal(sub.summary(), full.summary().loc[some], rtol=1e-11)
    with pytest.raises(InvalidParameterError, match="must be window ends"):
        rolling_shrink(r, window=50, step=10, dates=[r.index[50]])
    f32 = rolling_shrink(r, window=50, step=10, dtype="float32")
    assert f32.covariances.dtype == np.float32 and f32.covariances.nbytes == full.covariances.nbytes // 2
    np.testing.assert_allclose(f32.covariances, full.covariances, rtol=1e-6)
    assert f32.covariance(some[1]).dtypes.eq(np.float64).all()
    pd.testing.assert_frame_equal(f32.summary(), full.summary(), rtol=1e-12)  # from the float64 estimates
    seen = {}
    none = rolling_shrink(r, window=50, step=10, store=False, on_estimate=lambda d, c: seen.setdefault(d, c))
    assert none.covariances is None and list(seen) == list(full.dates)
    np.testing.assert_array_equal(np.stack(list(seen.values())), full.covariances)
    pd.testing.assert_frame_equal(none.summary(), full.summary())
    with pytest.raises(InvalidParameterError, match="not stored"):
        none.at(some[1])


def test_rolling_lookup_without_lookahead():
    r = frame(1, 100, 4)
    roll = rolling_shrink(r, window=30, step=10)
    first = roll.dates[0]
    assert first == r.index[29]
    pd.testing.assert_frame_equal(roll.at(first + pd.Timedelta(days=5)), roll.covariance(first))
    with pytest.raises(InvalidParameterError, match="no estimate is available"):
        roll.at(r.index[10])
    with pytest.raises(InvalidParameterError, match="has no estimate"):
        roll.covariance(r.index[31])
    assert roll.summary().shape == (len(roll), 4)
    assert len(list(roll)) == len(roll)
    with pytest.raises(InvalidParameterError, match="weights the whole history"):
        rolling_shrink(r, window=30, method="ewma")
    with pytest.raises(InvalidParameterError, match="window=200 is longer"):
        rolling_shrink(r, window=200)


def test_near_constant_column_gives_no_negative_intensity_or_variance():
    """Found by the property suite (issue 15): rounding made the Ledoit-Wolf intensity -1.7e-16,
    and the near-constant column's variance (1e-25) came out negative."""
    g = np.random.default_rng(0)
    X = np.column_stack([g.normal(size=3) * 1e-4, 0.001 + 1e-12 * g.normal(size=3)])
    r = pd.DataFrame(X, index=pd.date_range("2020-01-01", periods=3))
    for k in range(2):
        res = shrink(r.iloc[k : k + 2])
        assert res.intensity >= 0.0 and (np.diag(res.covariance.to_numpy()) > 0).all()
    roll = rolling_shrink(r, window=2, step=1)
    assert (roll.intensity >= 0).all() and (np.einsum("kii->ki", roll.covariances) > 0).all()
    assert np.isfinite(roll.summary().drop(columns="units").to_numpy()).all()


def test_shrinkage_means_the_same_everywhere():
    """shrinkage= is a method name or a mapping of shrink()'s options, parsed by one function."""
    from riskkit.shrinkage import shrinkage_options

    assert shrinkage_options(None) == {"method": "ledoit_wolf"}
    assert shrinkage_options("oas") == {"method": "oas"}
    assert shrinkage_options({"target": "constant_correlation"}) == {
        "method": "ledoit_wolf",
        "target": "constant_correlation",
    }
    with pytest.raises(InvalidParameterError, match="'lw' is not a method"):
        shrinkage_options("lw")
    with pytest.raises(InvalidParameterError, match="must be a method name or a mapping"):
        shrinkage_options(0.5)
    # a rolling estimate refuses what it cannot do, with a riskkit error (not a TypeError)
    r = rk.data.to_returns(rk.datasets.load("crypto_sim")).iloc[:300, :4]
    with pytest.raises(InvalidParameterError, match="'halflife' does not apply to a moving-window"):
        rk.allocation.rolling_targets(
            r, method="risk_budgeting", window=100, step=50, shrinkage={"method": "ewma", "halflife": 20}
        )
    # the same options give the same estimate through shrink() and through shrinkage=
    a = rk.decomposition.decompose(pd.Series(0.25, index=r.columns), returns=r, shrinkage="oas")
    b = rk.shrinkage.shrink(r, method="oas")
    assert np.array_equal(a.covariance.to_numpy(), b.covariance.to_numpy())


def test_ewma_without_its_decay_is_refused_with_the_options_that_give_it():
    """``shrinkage="ewma"`` cannot say its half-life: the error names the mapping that
    does (decompose has no halflife= keyword to point at), and the windowed functions
    refuse EWMA and unknown names alike with the methods they take."""
    from riskkit.shrinkage import rolling_shrink, shrinkage_options

    with pytest.raises(InvalidParameterError, match=r"shrinkage=\{'method': 'ewma', 'halflife': 60\}"):
        shrinkage_options("ewma")
    with pytest.raises(InvalidParameterError, match="exactly one of its decay options"):
        shrinkage_options({"method": "ewma", "halflife": 60, "lam": 0.9})
    assert shrinkage_options({"method": "ewma", "lam": 0.97}) == {"method": "ewma", "lam": 0.97}
    assert shrinkage_options("riskmetrics") == {"method": "riskmetrics"}
    with pytest.raises(InvalidParameterError, match="'riskmetrics' weights the whole history"):
        shrinkage_options("riskmetrics", rolling=True)
    r = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 3)), columns=list("abc"))
    with pytest.raises(InvalidParameterError, match=r"'foo' is not a method; rolling_shrink takes ") as err:
        rolling_shrink(r, window=20, method="foo")
    assert str(err.value).endswith("'denoise'.") and "'ewma'" not in str(err.value)


def test_every_method_has_a_readers_name():
    from riskkit.shrinkage import METHOD_NAMES, METHODS

    assert set(METHOD_NAMES) == set(METHODS) and METHOD_NAMES["ledoit_wolf"] == "Ledoit-Wolf"
