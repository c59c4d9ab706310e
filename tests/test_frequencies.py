"""Any frequency: periods a year inferred for intraday, daily, weekly, monthly and quarterly
calendars (24/7, 24x5 and exchange hours), and windows given in periods or in time."""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.data.calendar import infer_periods_per_year, periods
from riskkit.exceptions import InvalidParameterError, InvalidTypeError


def _fx_hours(weeks: int, every: str = "h") -> pd.DatetimeIndex:
    """FX 24x5 in UTC: Sunday 22:00 to Friday 22:00, every hour (or every 4 hours)."""
    stamps = pd.date_range("2024-01-07 22:00", periods=weeks * 7 * 24, freq="h")  # 2024-01-07 is a Sunday
    dow, hour = stamps.day_of_week, stamps.hour
    closed = (dow == 5) | ((dow == 4) & (hour >= 22)) | ((dow == 6) & (hour < 22))
    open_ = stamps[~closed]
    index = pd.DatetimeIndex(open_)
    return index if every == "h" else index[index.hour % 4 == 2]


def _exchange_hours(days: int) -> pd.DatetimeIndex:
    """NYSE-style hourly bars: 09:30, 10:30, ..., 15:30 (7 a day), business days."""
    dates = pd.bdate_range("2024-01-02", periods=days)
    return pd.DatetimeIndex([d + pd.Timedelta(hours=9.5 + k) for d in dates for k in range(7)])


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (pd.date_range("2024-01-01", periods=24 * 60, freq="h"), 365 * 24),  # hourly 24/7: 8760
        (pd.date_range("2024-01-01", periods=6 * 60, freq="4h"), 365 * 6),  # 4-hourly 24/7: 2190
        (pd.date_range("2024-01-01", periods=96 * 20, freq="15min"), 365 * 96),  # 15-minute 24/7
        (_fx_hours(8), 260 * 24),  # hourly 24x5 (FX): 5 x 52 weekdays x 24 = 6240
        (_fx_hours(8, "4h"), 260 * 6),  # 4-hourly 24x5: 1560
        (_exchange_hours(40), 252 * 7),  # hourly exchange hours, 7 bars a day: 1764
        (pd.date_range("2024-01-01", periods=400, freq="D"), 365),
        (pd.bdate_range("2024-01-01", periods=400), 252),
        (pd.date_range("2020-01-05", periods=156, freq="W-SUN"), 52),  # 3 years weekly
        (pd.date_range("2011-01-31", periods=155, freq="ME"), 12),  # 13 years monthly
        (pd.date_range("2000-03-31", periods=40, freq="QE"), 4),
        (pd.date_range("2000-12-31", periods=20, freq="YE"), 1),
    ],
    ids=[
        "1h-24/7",
        "4h-24/7",
        "15min-24/7",
        "1h-24x5",
        "4h-24x5",
        "1h-exchange",
        "daily-24/7",
        "business",
        "weekly",
        "monthly",
        "quarterly",
        "yearly",
    ],
)
def test_periods_per_year_by_calendar(index, expected):
    assert infer_periods_per_year(index) == expected


def test_fx_hours_are_24x5_and_not_weekend_heavy():
    """The FX construction is what it claims: 120 bars a week, 2 of them on a Sunday."""
    index = _fx_hours(4)
    assert len(index) == 4 * 120
    assert (index.day_of_week == 6).sum() == 4 * 2
    assert (index.day_of_week == 5).sum() == 0


@pytest.mark.parametrize(
    ("value", "ppy", "expected"),
    [
        ("1Y", 365, 365),
        ("1Y", 252, 252),
        ("1Y", 12, 12),
        ("6M", 12, 6),
        ("2Q", 4, 2),
        ("26W", 52, 26),
        ("180D", 365, 180),  # 180 x 365 / 365.25 = 179.9
        ("180D", 252, 124),  # 180 x 252 / 365.25 = 124.2
        ("48h", 8760, 48),
        ("0.5y", 252, 126),
        (90, 12, 90),
        ("90", 12, 90),
    ],
)
def test_windows_in_time(value, ppy, expected):
    assert periods(value, periods_per_year=ppy) == expected


def test_window_cut_to_the_data():
    assert periods("1Y", periods_per_year=365, available=155) == 155
    assert periods(180, periods_per_year=12, available=155) == 155
    assert periods(30, periods_per_year=12, available=155) == 30


@pytest.mark.parametrize("value", ["1X", "Y", "-2M", "abcD", ""])
def test_window_text_refused(value):
    with pytest.raises((InvalidParameterError, InvalidTypeError), match="lookback"):
        periods(value, periods_per_year=252, name="lookback")


def test_window_not_positive_refused():
    with pytest.raises(InvalidParameterError, match="window"):
        periods(0, periods_per_year=252)
