"""riskkit.decomposition.stress: scenario losses, correlation stress (the stressed covariance built by
hand here) and worst windows."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from riskkit.decomposition import stress as ST


def published():
    vols = np.array([0.30, 0.20, 0.15])
    C = np.array([[1.0, 0.8, 0.5], [0.8, 1.0, 0.3], [0.5, 0.3, 1.0]])
    cov = pd.DataFrame(C * np.outer(vols, vols), index=list("ABC"), columns=list("ABC"))
    return pd.Series([0.5, 0.2, 0.3], index=list("ABC")), cov


def test_scenarios_and_correlation_stress():
    w, cov = published()
    sc = pd.DataFrame({"A": [-0.5, 0.1], "B": [-0.3, 0.0], "C": [-0.1, 0.2]}, index=["crash", "rally"])
    out = ST.scenario_loss(w, sc)
    assert out.loc["crash", "loss"] == pytest.approx(0.25 + 0.06 + 0.03)
    assert out.loc["crash", ["A", "B", "C"]].sum() == pytest.approx(out.loc["crash", "loss"])
    cs = ST.correlation_stress(w, cov, blends=(0.0, 1.0), level=0.99)
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


@pytest.mark.parametrize("lam", [0.0, 0.3, 0.75, 1.0])
def test_correlation_stress_is_the_blended_covariance_by_hand(lam):
    w, cov = published()
    vols = np.array([0.30, 0.20, 0.15])
    C = np.array([[1.0, 0.8, 0.5], [0.8, 1.0, 0.3], [0.5, 0.3, 1.0]])
    blended = ((1 - lam) * C + lam * np.ones((3, 3))) * np.outer(vols, vols)  # volatilities kept
    wv = w.to_numpy()
    sigma = np.sqrt(wv @ blended @ wv)
    z = norm.ppf(0.975)
    out = ST.correlation_stress(w, cov, blends=[lam], level=0.975)
    assert out.loc[lam, "volatility"] == pytest.approx(sigma, rel=1e-13)
    assert out.loc[lam, "VaR"] == pytest.approx(z * sigma, rel=1e-13)
    np.testing.assert_allclose(
        out.loc[lam, list("ABC")].astype(float), wv * (blended @ wv) / sigma * z, rtol=1e-13
    )
    assert out.attrs["units"] == "per period"


def test_correlation_stress_alpha_is_the_former_name_of_level():
    w, cov = published()
    new = ST.correlation_stress(w, cov, blends=(0.5,), level=0.9)
    with pytest.warns(
        FutureWarning, match=r"correlation_stress\(alpha=\) is now correlation_stress\(level=\)"
    ):
        old = ST.correlation_stress(w, cov, blends=(0.5,), alpha=0.9)
    pd.testing.assert_frame_equal(old, new)


def test_scenario_loss_of_a_series_is_one_scenario():
    w, _ = published()
    shock = pd.Series({"A": -0.2, "B": 0.1, "C": -0.05}, name="mixed")
    out = ST.scenario_loss(w, shock)
    assert out.loc["mixed", "loss"] == pytest.approx(0.5 * 0.2 - 0.2 * 0.1 + 0.3 * 0.05, rel=1e-14)
