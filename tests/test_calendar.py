"""riskkit.calendar: periods per year, resampling, alignment."""

import numpy as np
import pandas as pd
import pytest
from conftest import random_prices
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit import calendar as cal
from riskkit import data as rkd
from riskkit.exceptions import (
    CalendarError,
    DataRepairWarning,
    DuplicateError,
    InvalidParameterError,
    MissingDataError,
)


@pytest.mark.parametrize(
    ("freq", "periods", "expected"),
    [
        ("D", 400, 365),
        ("B", 400, 252),
        ("W-SUN", 100, 52),
        ("W-FRI", 100, 52),
        ("ME", 40, 12),
        ("QE", 20, 4),
        ("YE", 6, 1),
    ],
)
def test_infer_periods_per_year(freq, periods, expected):
    idx = pd.date_range("2019-01-01", periods=periods, freq=freq)
    assert cal.infer_periods_per_year(idx) == expected


def test_business_days_with_holidays_and_crypto_with_gaps():
    b = pd.date_range("2019-01-01", periods=600, freq="B")
    holidays = b[::23]
    assert cal.infer_periods_per_year(b.difference(holidays)) == 252
    d = pd.date_range("2019-01-01", periods=600, freq="D")
    assert cal.infer_periods_per_year(d.delete([5, 17, 300])) == 365


def test_infer_accepts_frames_and_a_short_week_is_ambiguous(wide_prices):
    assert cal.infer_periods_per_year(random_prices(0)) == 365
    # five dates Monday..Friday look like business days: pass periods_per_year for short samples
    assert cal.infer_periods_per_year(wide_prices) == 252


@pytest.mark.parametrize(
    ("index", "match"),
    [
        (pd.date_range("2024-01-01", periods=2, freq="D"), "from 2 date"),
        (pd.DatetimeIndex(["2024-01-01"] * 3), "the dates repeat"),  # intraday is read (test_frequencies)
        (pd.date_range("2024-01-01", periods=50, freq="3D"), "median spacing of 3.00 days"),
        (pd.Index([1, 2, 3]), "needs a DatetimeIndex"),
    ],
)
def test_infer_errors(index, match):
    with pytest.raises(CalendarError, match=match):
        cal.infer_periods_per_year(index)


def test_resolve_periods_per_year(wide_prices):
    assert cal.resolve_periods_per_year(random_prices(0), None) == 365
    assert cal.resolve_periods_per_year(wide_prices, 252) == 252
    with pytest.raises(InvalidParameterError, match=r"periods_per_year must lie in \(0, inf\], got 0.0"):
        cal.resolve_periods_per_year(wide_prices, 0)


def test_resample_prices_labels_with_last_observed_date():
    idx = pd.date_range("2024-01-01", "2024-01-16", freq="D")  # Mon 1 Jan .. Tue 16 Jan
    p = pd.DataFrame({"X": np.arange(1.0, len(idx) + 1)}, index=idx)
    w = cal.resample_prices(p, freq="W")
    assert list(w.index.strftime("%Y-%m-%d")) == ["2024-01-07", "2024-01-14", "2024-01-16"]
    np.testing.assert_array_equal(w["X"], [7.0, 14.0, 16.0])
    b = pd.date_range("2024-01-01", "2024-03-10", freq="B")
    m = cal.resample_prices(pd.DataFrame({"X": np.ones(len(b))}, index=b), freq="M")
    assert list(m.index.strftime("%Y-%m-%d")) == ["2024-01-31", "2024-02-29", "2024-03-08"]


def test_resample_returns_hand_computed():
    idx = pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"])
    r = pd.DataFrame({"X": [0.10, -0.20, 0.05, 0.05]}, index=idx)
    m = cal.resample_returns(r, freq="M")
    np.testing.assert_allclose(m["X"], [1.1 * 0.8 - 1, 1.05 * 1.05 - 1], rtol=1e-14)
    ml = cal.resample_returns(r, freq="M", kind="log")
    np.testing.assert_allclose(ml["X"], [-0.10, 0.10], rtol=1e-14)
    assert list(m.index) == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-02")]


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    freq=st.sampled_from(["W", "M", "Q"]),
    kind=st.sampled_from(["simple", "log"]),
)
def test_monthly_resampling_compounds_daily_returns(seed, freq, kind):
    p = random_prices(seed, n_dates=400)
    via_prices = rkd.to_returns(cal.resample_prices(p, freq=freq), kind=kind)
    via_returns = cal.resample_returns(rkd.to_returns(p, kind=kind), freq=freq, kind=kind)
    # the first period of via_returns starts at the second price; from prices it is not defined
    pd.testing.assert_frame_equal(via_returns.iloc[1:], via_prices, rtol=1e-12, check_freq=False)


def test_resample_bad_freq(wide_prices):
    with pytest.raises(
        InvalidParameterError,
        match="freq='D' is not a valid choice; expected one of 'W', 'M', 'Q', 'Y'",
    ):
        cal.resample_prices(wide_prices, freq="D")


def _crypto_and_stocks():
    days = pd.date_range("2024-01-01", "2024-01-21", freq="D")  # Monday .. Sunday, 3 weeks
    crypto = pd.DataFrame({"BTC": 100 * np.exp(np.cumsum(np.linspace(-0.02, 0.03, len(days))))}, index=days)
    bdays = pd.date_range("2024-01-01", "2024-01-19", freq="B")
    stocks = pd.DataFrame({"SPY": np.linspace(400, 420, len(bdays))}, index=bdays)
    return crypto, stocks


def test_align_intersection_keeps_weekend_moves_in_monday():
    crypto, stocks = _crypto_and_stocks()
    a = cal.align_prices(crypto, stocks)
    assert list(a.columns) == ["BTC", "SPY"]
    assert len(a) == 15 and (a.index.day_of_week < 5).all()
    monday = pd.Timestamp("2024-01-08")
    expected = crypto.loc[monday, "BTC"] / crypto.loc[pd.Timestamp("2024-01-05"), "BTC"] - 1
    assert rkd.to_returns(a).loc[monday, "BTC"] == pytest.approx(expected, rel=1e-14)
    total_7d = rkd.to_returns(crypto.loc[: a.index[-1]], kind="log")["BTC"].sum()
    assert rkd.to_returns(a, kind="log")["BTC"].sum() == pytest.approx(total_7d, rel=1e-13)


def test_align_left_calendar_needs_explicit_ffill():
    crypto, stocks = _crypto_and_stocks()
    with pytest.raises(
        MissingDataError,
        match=r"how='left'.*'SPY' on 4 date\(s\): 2024-01-06, 2024-01-07, 2024-01-13, 2024-01-14",
    ):
        cal.align_prices(crypto.loc[:"2024-01-19"], stocks, how="left")
    with pytest.warns(DataRepairWarning, match=r"forward-filled 4 price") as rec:
        a = cal.align_prices(crypto.loc[:"2024-01-19"], stocks, how="left", missing="ffill", ffill_limit=2)
    assert a.loc["2024-01-06", "SPY"] == a.loc["2024-01-05", "SPY"]
    (w,) = [w for w in rec if isinstance(w.message, DataRepairWarning)]  # not a stray ResourceWarning
    assert len(w.message.log) == 4


def test_align_errors():
    crypto, stocks = _crypto_and_stocks()
    with pytest.raises(DuplicateError, match="share asset names: 'BTC'"):
        cal.align_prices(crypto, crypto)
    shifted = stocks.set_axis(stocks.index + pd.Timedelta(hours=21))
    with pytest.raises(CalendarError, match=r"0 date\(s\) in common.*carry no time of day"):
        cal.align_prices(crypto, shifted)


@pytest.mark.parametrize("seed", range(3))
def test_calendar_calls_never_mutate_inputs(seed):
    p = random_prices(seed, n_dates=120)
    other = random_prices(seed + 100, n_dates=90, freq="B").rename(columns=lambda c: f"S{c}")
    r = rkd.to_returns(p)
    snaps = (p.copy(), other.copy(), r.copy())
    cal.resample_prices(p, freq="M")
    cal.resample_returns(r, freq="W")
    cal.align_prices(p, other)
    cal.infer_periods_per_year(p)
    for before, after in zip(snaps, (p, other, r), strict=True):
        pd.testing.assert_frame_equal(before, after)
