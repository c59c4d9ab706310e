"""riskkit.metrics: drawdowns, performance and backtest_summary, against hand calculations
and naive formulas kept here."""

from __future__ import annotations

import math
import pickle
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from riskkit import metrics
from riskkit.exceptions import (
    EmptyDataError,
    InvalidParameterError,
    InvalidTypeError,
    MissingDataError,
    NonFiniteError,
    NonPositivePriceError,
)

DAILY = pd.date_range("2024-01-01", periods=5, freq="D")  # Monday to Friday
PATH = [100.0, 110.0, 88.0, 99.0, 121.0]
R = np.array([0.1, -0.2, 0.125, 121 / 99 - 1])  # the path's simple returns


# ----------------------------------------------------------------------------- drawdowns


def test_drawdowns_by_hand():
    dd = metrics.drawdowns(pd.Series(PATH, index=DAILY))
    np.testing.assert_allclose(dd.path.to_numpy(), [0.0, 0.0, 88 / 110 - 1, 99 / 110 - 1, 0.0], rtol=1e-15)
    assert dd.path.name == "drawdown" and dd.path.index.equals(DAILY)
    assert dd.max_drawdown == pytest.approx(-0.2, rel=1e-15)
    assert (dd.peak, dd.trough, dd.recovery) == (DAILY[1], DAILY[2], DAILY[4])
    assert dd.duration == 3 and dd.recovery_periods == 2


def test_drawdowns_not_recovered_and_none():
    dd = metrics.drawdowns(pd.Series([1.0, 2.0, 1.0, 1.5], index=DAILY[:4]))
    assert dd.max_drawdown == -0.5 and dd.recovery is None and dd.recovery_periods is None
    assert dd.duration == 2  # peak (day 2) to the end (day 4)
    flat = metrics.drawdowns(pd.Series([1.0, 1.0, 2.0], index=DAILY[:3]))
    assert flat.max_drawdown == 0.0 and flat.duration == 0 and flat.recovery_periods == 0
    assert flat.peak == flat.trough == DAILY[0]


def test_drawdowns_result_contract():
    dd = metrics.drawdowns(pd.Series(PATH, index=DAILY))
    s = dd.summary()
    assert s.index.tolist() == ["worst"]
    assert s.loc["worst", "max_drawdown"] == pytest.approx(-0.2) and s.loc["worst", "duration"] == 3
    assert repr(dd).startswith("Drawdowns(") and "\n" not in repr(dd)
    assert "<strong>Drawdowns</strong>" in dd._repr_html_()
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(dd)).summary(), s)


@pytest.mark.parametrize(
    ("bad", "error", "what"),
    [
        (0.0, NonPositivePriceError, "zero or negative"),
        (-1.0, NonPositivePriceError, "zero or negative"),
        (np.nan, MissingDataError, "missing"),
        (np.inf, NonFiniteError, "infinite"),
    ],
)
def test_value_paths_are_positive_and_finite(bad, error, what):
    v = pd.Series([1.0, bad, 1.0], index=DAILY[:3])
    with pytest.raises(error) as info:
        metrics.drawdowns(v)
    assert str(info.value) == (
        f"values must be positive; {what} for 2024-01-02. "
        "A value path (a value by date) must be finite and positive."
    )
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, bad, 1.0]}, index=DAILY[:3])
    with pytest.raises(error, match=r"values\['b'\] must be positive"):
        metrics.performance(frame, periods_per_year=365)


def test_value_paths_must_be_a_nonempty_series():
    with pytest.raises(InvalidTypeError, match="must be a pandas Series of values by date, got list"):
        metrics.drawdowns([1.0, 2.0])
    with pytest.raises(EmptyDataError, match="values is empty"):
        metrics.drawdowns(pd.Series([], dtype=float))
    with pytest.raises(EmptyDataError, match="at least 2 dates, got 1"):
        metrics.performance(pd.Series([1.0], index=DAILY[:1]), periods_per_year=12)


# ----------------------------------------------------------------------------- performance


def test_performance_by_hand_annual():
    perf = metrics.performance(pd.Series(PATH, index=DAILY), periods_per_year=365).iloc[0]
    vol = np.std(R, ddof=1)
    assert perf["cagr"] == pytest.approx(1.21 ** (365 / 4) - 1, rel=1e-12)
    assert perf["volatility"] == pytest.approx(vol * np.sqrt(365), rel=1e-14)
    assert perf["sharpe"] == pytest.approx(R.mean() * 365 / (vol * np.sqrt(365)), rel=1e-14)
    # downside deviation: only -0.2 is negative, sqrt(0.04 / 4) = 0.1 a period
    assert perf["sortino"] == pytest.approx(R.mean() * 365 / (0.1 * np.sqrt(365)), rel=1e-14)
    assert perf["max_drawdown"] == pytest.approx(-0.2)
    assert perf["drawdown_duration"] == 3 and perf["recovery_periods"] == 2
    assert perf["calmar"] == pytest.approx((1.21 ** (365 / 4) - 1) / 0.2, rel=1e-12)
    # k = ceil(4 * 0.05) = 1: the worst return, -0.2
    assert perf["VaR 95%"] == pytest.approx(0.2) and perf["ES 95%"] == pytest.approx(0.2)
    assert perf["units"] == "annual"


def test_performance_level_picks_the_tail():
    perf = metrics.performance(pd.Series(PATH, index=DAILY), periods_per_year=365, level=0.6).iloc[0]
    # m = 4 * 0.4 = 1.6, k = 2: the two worst returns are -0.2 (weight 1) and 0.1 (weight 0.6, the
    # fractional tail): ES = (0.2 - 0.6 * 0.1) / 1.6
    assert perf["VaR 60%"] == pytest.approx(-0.1) and perf["ES 60%"] == pytest.approx(0.14 / 1.6)
    for level in (0.5, 1.0, 0.3):
        with pytest.raises(InvalidParameterError, match=r"level must lie in \(0\.5, 1\)"):
            metrics.performance(pd.Series(PATH, index=DAILY), level=level)


def test_performance_alpha_is_now_level():
    v = pd.Series(PATH, index=DAILY)
    with pytest.warns(FutureWarning, match=r"performance\(alpha=\) is now performance\(level=\)"):
        old = metrics.performance(v, periods_per_year=365, alpha=0.6)
    pd.testing.assert_frame_equal(old, metrics.performance(v, periods_per_year=365, level=0.6))
    with pytest.raises(InvalidParameterError, match="pass level= only"):
        metrics.performance(v, alpha=0.6, level=0.6)


def test_performance_risk_free_is_an_annual_rate():
    perf = metrics.performance(pd.Series(PATH, index=DAILY), periods_per_year=365, risk_free=0.0365)
    e = R - 0.0001
    vol = np.std(R, ddof=1) * np.sqrt(365)
    assert perf["sharpe"].iloc[0] == pytest.approx(e.mean() * 365 / vol, rel=1e-13)
    down = np.sqrt(np.mean(np.minimum(e, 0) ** 2)) * np.sqrt(365)
    assert perf["sortino"].iloc[0] == pytest.approx(e.mean() * 365 / down, rel=1e-13)


def test_performance_follows_the_one_annualisation_rule():
    weekdays = metrics.performance(pd.Series(PATH, index=DAILY))  # Mon-Fri: 252 a year
    assert weekdays["cagr"].iloc[0] == pytest.approx(1.21 ** (252 / 4) - 1, rel=1e-12)
    passed = metrics.performance(pd.Series(PATH, index=DAILY), periods_per_year=12)  # the value passed wins
    assert passed["volatility"].iloc[0] == pytest.approx(np.std(R, ddof=1) * np.sqrt(12), rel=1e-14)
    # no dates: per period, in the input's own units (1.21 over 4 periods)
    bare = metrics.performance(pd.Series(PATH)).iloc[0]
    assert bare["units"] == "per period"
    assert bare["cagr"] == pytest.approx(1.21**0.25 - 1, rel=1e-14)
    assert bare["volatility"] == pytest.approx(np.std(R, ddof=1), rel=1e-14)
    assert bare["sharpe"] == pytest.approx(R.mean() / np.std(R, ddof=1), rel=1e-14)
    assert bare["sortino"] == pytest.approx(R.mean() / 0.1, rel=1e-14)
    # five hourly stamps on one Monday: exchange hours, 5 bars a day, 252 x 5 = 1260 a year
    hours = pd.Series(PATH, index=pd.date_range("2024-01-01", periods=5, freq="h"))
    hourly = metrics.performance(hours).iloc[0]
    assert hourly["units"] == "annual"
    pd.testing.assert_series_equal(hourly, metrics.performance(hours, periods_per_year=1260).iloc[0])


def test_performance_of_several_paths_matches_each_alone():
    g = np.random.default_rng(4)
    frame = pd.DataFrame(
        np.exp(np.cumsum(g.normal(0, 0.01, (300, 3)), axis=0)), index=pd.date_range("2020-01-01", periods=300)
    ).set_axis(["a", "b", "c"], axis=1)
    both = metrics.performance(frame)
    assert both.index.tolist() == ["a", "b", "c"]
    for col in frame.columns:
        alone = metrics.performance(frame[col]).set_axis([col])
        rec = "recovery_periods"  # None when not recovered: NaN in a frame of several paths
        pd.testing.assert_frame_equal(both.loc[[col]].drop(columns=rec), alone.drop(columns=rec))
        assert pd.isna(both.loc[col, rec]) == pd.isna(alone.loc[col, rec])
        v = frame[col].to_numpy()
        r = np.diff(v) / v[:-1]
        assert both.loc[col, "cagr"] == pytest.approx((v[-1] / v[0]) ** (365 / 299) - 1, rel=1e-12)
        worst = np.sort(r)[: math.ceil(299 * 0.05)]  # m = 14.95: 14 whole, the 15th by 0.95
        es = -(worst[:14].sum() + (299 * 0.05 - 14) * worst[14]) / (299 * 0.05)
        assert both.loc[col, "ES 95%"] == pytest.approx(es, rel=1e-13)
        assert both.loc[col, "VaR 95%"] == pytest.approx(-worst[-1], rel=1e-14)


# ----------------------------------------------------------------------------- backtest_summary


def _result(periods_per_year):
    idx = pd.date_range("2024-01-31", periods=3, freq="ME")
    col = lambda values, dtype=float: pd.DataFrame({"x": values}, index=idx, dtype=dtype)  # noqa: E731
    return SimpleNamespace(
        periods_per_year=periods_per_year,
        values=col([100.0, 105.0, 110.25]),
        rebalanced=col([False, True, False], bool),
        turnover=col([0.0, 0.1, 0.0]),
        costs=col([0.0, 0.5, 0.0]),
        target_values=pd.Series([100.0, 106.0, 111.0], index=idx),
        buy_and_hold=pd.Series([100.0, 104.0, 108.0], index=idx),
    )


@pytest.mark.parametrize(("ppy", "unit"), [(12.0, "annual"), (None, "per period")])
def test_backtest_summary_by_hand(ppy, unit):
    out = metrics.backtest_summary(_result(ppy)).loc["x"]
    p = 1.0 if ppy is None else ppy
    years = 2 / p  # two periods
    log_cost = math.log1p(0.5 / 105.0)
    assert out["rebalances"] == 1
    assert out["annual_turnover"] == pytest.approx(0.1 / years, rel=1e-14)
    assert out["costs_paid"] == pytest.approx(0.5)
    assert out["cost_drag"] == pytest.approx(log_cost / years, rel=1e-14)
    te = np.std(np.array([0.05, 0.05]) - [0.06, 111 / 106 - 1], ddof=1) * math.sqrt(p)
    assert out["tracking_error"] == pytest.approx(te, rel=1e-12)
    assert out["premium_vs_buy_and_hold"] == pytest.approx(math.log(1.1025 / 1.08) / years, rel=1e-13)
    assert out["drift_term"] == pytest.approx(math.log(1.11 / 1.08) / years, rel=1e-13)
    assert out["rebalancing_term"] == pytest.approx((math.log(1.1025 / 1.11) + log_cost) / years, rel=1e-13)
    assert out["cost_term"] == pytest.approx(-log_cost / years, rel=1e-13)
    terms = out["drift_term"] + out["rebalancing_term"] + out["cost_term"]
    assert terms == pytest.approx(out["premium_vs_buy_and_hold"], rel=1e-13)
    assert out["cagr"] == pytest.approx(1.1025 ** (p / 2) - 1, rel=1e-13)
    assert out["units"] == unit


def test_backtest_summary_columns_and_undefined_ratios():
    out = metrics.backtest_summary(_result(12.0), risk_free=0.012)
    assert out.index.name == "config" and out.columns[-1] == "units"
    assert out.columns[:4].tolist() == ["cagr", "volatility", "sharpe", "sortino"]
    # both monthly returns are 5%: no variance and no downside, so Sharpe and Sortino are
    # undefined (NaN), not infinite; the growth is 1.1025 in two months
    assert out.loc["x", "volatility"] == 0.0
    assert np.isnan(out.loc["x", "sharpe"]) and np.isnan(out.loc["x", "sortino"])
    assert out.loc["x", "cagr"] == pytest.approx(1.1025**6 - 1, rel=1e-13)
    assert out.loc["x", "VaR 95%"] == pytest.approx(-0.05)
