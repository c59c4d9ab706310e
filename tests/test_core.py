"""The shared rules of riskkit._core: validation (prices, weights' sum, groups) and
covariance algebra (correlation, correlation distance, Euler contributions).

Reference values are worked by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit._core.matrices import correlation_distance, cov_to_corr, euler_contributions
from riskkit._core.validation import check_groups, check_positive_prices, check_weights_sum
from riskkit.exceptions import (
    InvalidParameterError,
    MissingDataError,
    NonFiniteError,
    NonPositivePriceError,
)

IDX = pd.date_range("2024-01-01", periods=4, freq="D")


# ----------------------------------------------------------------------------- check_positive_prices


def test_positive_prices_pass_and_input_untouched():
    prices = pd.DataFrame({"A": [1.0, 2.0, 3.0, 4.0], "B": [10.0, 11.0, 12.0, 13.0]}, index=IDX)
    before = prices.copy()
    assert check_positive_prices("prices", prices) is None
    assert check_positive_prices("px", pd.Series({"A": 1.0, "B": 1e-300})) is None
    assert check_positive_prices("px", pd.Series([], dtype=float)) is None
    pd.testing.assert_frame_equal(prices, before)


@pytest.mark.parametrize(
    ("value", "error", "what"),
    [
        (np.nan, MissingDataError, "missing"),
        (np.inf, NonFiniteError, "infinite"),
        (-np.inf, NonFiniteError, "infinite"),
        (0.0, NonPositivePriceError, "zero or negative"),
        (-2.0, NonPositivePriceError, "zero or negative"),
    ],
)
def test_positive_prices_series_names_the_labels(value, error, what):
    s = pd.Series({"BTC": 60000.0, "ETH": value, "SOL": 150.0})
    with pytest.raises(error) as info:
        check_positive_prices("last", s)
    assert str(info.value) == f"last must be positive; {what} for 'ETH'."


def test_positive_prices_series_by_date_names_the_dates():
    s = pd.Series([1.0, 0.0, 2.0, -1.0], index=IDX)
    with pytest.raises(NonPositivePriceError) as info:
        check_positive_prices("values", s, advice="Fix the file.")
    assert str(info.value) == (
        "values must be positive; zero or negative for 2024-01-02, 2024-01-04. Fix the file."
    )


def test_positive_prices_frame_names_cells_and_gives_fixes():
    prices = pd.DataFrame({"A": [1.0, 2.0, -3.0, 4.0], "B": [10.0, 11.0, 12.0, 13.0]}, index=IDX)
    seen = []

    def fixes(bad, others):
        seen.append((list(bad), others))
        return [{"assets": others}]

    with pytest.raises(NonPositivePriceError) as info:
        check_positive_prices("prices", prices, advice="Nothing is repaired.", fixes=fixes)
    assert str(info.value) == (
        "prices must be positive; zero or negative at 'A' on 1 date(s): 2024-01-03. Nothing is repaired."
    )
    assert list(info.value.fixes) == [{"assets": ["B"]}]
    assert seen == [([IDX[2]], ["B"])]


def test_positive_prices_frame_missing_before_infinite_before_nonpositive():
    prices = pd.DataFrame({"A": [1.0, np.nan, -3.0, 4.0], "B": [10.0, 11.0, np.inf, 13.0]}, index=IDX)
    with pytest.raises(MissingDataError, match=r"missing at 'A' on 1 date\(s\): 2024-01-02\.$"):
        check_positive_prices("prices", prices)
    with pytest.raises(NonFiniteError, match=r"infinite at 'B' on 1 date\(s\): 2024-01-03\.$"):
        check_positive_prices("prices", prices.fillna(1.0))


# ----------------------------------------------------------------------------- check_weights_sum


def test_weights_sum_passes_within_tolerance():
    assert check_weights_sum("w", pd.Series({"A": 0.3, "B": 0.7 + 1e-12})) is None
    assert check_weights_sum("w", pd.Series({"A": 0.5, "B": 0.5}), total=1.0) is None
    assert check_weights_sum("w", pd.Series({"A": 0.5, "B": 0.0}), total=0.5) is None
    assert check_weights_sum("w", pd.Series({"A": 0.5, "B": 0.49}), tol=0.02) is None


def test_weights_sum_error_lists_the_weights():
    with pytest.raises(InvalidParameterError) as info:
        check_weights_sum("target", pd.Series({"BTC": 0.6, "ETH": 0.5}))
    assert str(info.value) == "target must sum to 1; it sums to 1.1 (BTC 0.6, ETH 0.5)."
    with pytest.raises(InvalidParameterError, match=r"budget must sum to 0\.5; it sums to 1 \("):
        check_weights_sum("budget", pd.Series({"A": 0.5, "B": 0.5}), total=0.5)
    many = pd.Series(np.full(10, 0.2), index=[f"a{i}" for i in range(10)])
    shown = r"it sums to 2 \(a0 0\.2, .*a7 0\.2, \.\.\. \(2 more\)\)"
    with pytest.raises(InvalidParameterError, match=shown):
        check_weights_sum("w", many)


def test_weights_sum_refuses_a_nan_sum():
    # pandas would skip the NaN and find 1.0: a missing weight must not pass as zero
    with pytest.raises(InvalidParameterError, match=r"it sums to nan \(A nan, B 1\)"):
        check_weights_sum("w", pd.Series({"A": np.nan, "B": 1.0}))
    with pytest.raises(InvalidParameterError, match="it sums to nan"):
        check_weights_sum("w", pd.Series({"A": np.nan, "B": 1.0}), tol=np.inf)


# ----------------------------------------------------------------------------- check_groups


def test_groups_in_asset_order():
    assets = pd.Index(["BTC", "ETH", "SOL"])
    g = check_groups("groups", {"SOL": "L1", "BTC": "store", "ETH": "L1", "XRP": "x"}, assets)
    assert list(g.index) == ["BTC", "ETH", "SOL"]
    assert list(g) == ["store", "L1", "L1"]
    g2 = check_groups("groups", pd.Series({"ETH": 1, "BTC": 2, "SOL": 1}), assets)
    assert list(g2) == [2, 1, 1]


def test_groups_errors_name_the_assets():
    assets = pd.Index(["BTC", "ETH", "SOL"])
    with pytest.raises(InvalidParameterError) as info:
        check_groups("groups", {"BTC": "L1"}, assets)
    assert str(info.value) == "groups leave out assets: 'ETH', 'SOL'; give every asset a group."
    with pytest.raises(InvalidParameterError) as info:
        check_groups("sectors", pd.Series({"BTC": "a", "ETH": None, "SOL": "b"}), assets)
    assert str(info.value) == "sectors has no group for 'ETH'."


# ----------------------------------------------------------------------------- matrices


def test_cov_to_corr_by_hand():
    # sd = (2, 3): rho = 2 / (2 * 3) = 1/3
    cov = np.array([[4.0, 2.0], [2.0, 9.0]])
    before = cov.copy()
    corr = cov_to_corr(cov)
    np.testing.assert_allclose(corr, [[1.0, 1 / 3], [1 / 3, 1.0]], rtol=1e-15)
    np.testing.assert_array_equal(cov, before)
    assert np.array_equal(corr, corr.T) and np.all(np.diag(corr) == 1.0)


def test_cov_to_corr_is_exactly_symmetric_with_unit_diagonal():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 6)) * np.array([1e-3, 1, 10, 1e3, 0.5, 2])
    corr = cov_to_corr(np.cov(X, rowvar=False))
    np.testing.assert_allclose(corr, np.corrcoef(X, rowvar=False), atol=1e-12)
    assert np.array_equal(corr, corr.T) and np.all(np.diag(corr) == 1.0)


def test_correlation_distance_by_hand():
    corr = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, -1.0], [0.0, -1.0, 1.0 + 1e-15]])
    d = correlation_distance(corr)
    # sqrt((1 - 0.5) / 2) = 0.5; sqrt(1/2); sqrt(2/2) = 1; a hair above 1 gives 0, not NaN
    np.testing.assert_allclose(d, [[0.0, 0.5, np.sqrt(0.5)], [0.5, 0.0, 1.0], [np.sqrt(0.5), 1.0, 0.0]])
    assert not np.isnan(d).any()


def test_euler_contributions_by_hand():
    # S w = (0.6*0.04 + 0.4*0.01, 0.6*0.01 + 0.4*0.09) = (0.028, 0.042); w'S w = 0.0336
    w = np.array([0.6, 0.4])
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    sigma, marginal, component = euler_contributions(w, cov)
    assert sigma == pytest.approx(np.sqrt(0.0336), rel=1e-15)
    np.testing.assert_allclose(marginal, np.array([0.028, 0.042]) / np.sqrt(0.0336), rtol=1e-14)
    np.testing.assert_allclose(component, [0.0168 / np.sqrt(0.0336)] * 2, rtol=1e-14)
    assert component.sum() == pytest.approx(sigma, rel=1e-14)


@pytest.mark.parametrize("seed", range(10))
def test_euler_components_add_up_to_sigma(seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((8, 5))
    cov = A.T @ A / 8
    w = rng.standard_normal(5)
    sigma, marginal, component = euler_contributions(w, cov)
    assert sigma == pytest.approx(float(np.sqrt(w @ cov @ w)), rel=1e-13)
    assert component.sum() == pytest.approx(sigma, rel=1e-12)
    np.testing.assert_allclose(component, w * marginal, rtol=1e-15)


def test_euler_contributions_without_variance_are_zero():
    sigma, marginal, component = euler_contributions(np.array([1.0, 0.0]), np.array([[0.0, 0.0], [0.0, 1.0]]))
    assert sigma == 0.0
    assert marginal.tolist() == [0.0, 0.0] and component.tolist() == [0.0, 0.0]


def test_positive_prices_allow_missing_checks_the_prices_present():
    prices = pd.DataFrame({"A": [1.0, np.nan, 3.0, 4.0], "B": [np.nan, 11.0, 12.0, 13.0]}, index=IDX)
    assert check_positive_prices("prices", prices, allow_missing=True) is None
    with pytest.raises(MissingDataError):
        check_positive_prices("prices", prices)
    with pytest.raises(NonPositivePriceError, match=r"zero or negative at 'B' on 1 date\(s\): 2024-01-04\.$"):
        check_positive_prices("prices", prices.assign(B=[np.nan, 11.0, 12.0, 0.0]), allow_missing=True)


def test_one_cov_to_corr_serves_shrinkage():
    from riskkit.shrinkage import _kernels, rolling_shrink, shrink

    assert _kernels.cov_to_corr is cov_to_corr  # the former path, for other areas until they move
    g = np.random.default_rng(0)
    r = pd.DataFrame(
        g.standard_normal((40, 3)) * [0.01, 0.02, 0.05], index=pd.date_range("2024-01-01", periods=40)
    )
    res = shrink(r)
    cov = res.covariance.to_numpy()
    naive = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    np.testing.assert_allclose(res.correlation.to_numpy(), naive, rtol=1e-14)
    roll = rolling_shrink(r, window=20, step=10)
    last = roll.dates[-1]
    c = roll.covariance(last).to_numpy()
    np.testing.assert_allclose(
        roll.correlation(last).to_numpy(), c / np.sqrt(np.outer(np.diag(c), np.diag(c)))
    )
