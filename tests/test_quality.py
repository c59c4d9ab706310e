"""riskkit.data.quality and adjust_splits: each flag on a small series whose answer is known
by construction."""

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.exceptions import CalendarError, InvalidParameterError, NonPositivePriceError


def _smooth(n: int, start: float = 100.0, seed: int = 0) -> np.ndarray:
    """A price path with small daily moves (about 1%): nothing in it is unusual."""
    r = np.random.default_rng(seed).normal(0.0, 0.01, n - 1)
    return start * np.exp(np.r_[0.0, np.cumsum(r)])


BDAYS = pd.bdate_range("2005-02-01", periods=40, name="date")  # business days, no holidays


def _frame(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols, index=BDAYS)


def _flags(prices, **kw):
    f = rk.data.quality(prices, **kw)
    return (
        f[["asset", "date", "flag", "value"]]
        .assign(date=f["date"].dt.strftime("%Y-%m-%d"))
        .to_numpy()
        .tolist()
    )


def test_unadjusted_two_for_one_split_is_flagged_with_its_date_and_factor():
    p = _smooth(40)
    p[20:] /= 2.0  # a 2-for-1 split on the 21st business day: 2005-03-01
    f = rk.data.quality(_frame(AAPL=p))
    assert _flags(_frame(AAPL=p)) == [["AAPL", "2005-03-01", "split", 2.0]]
    ratio = p[20] / p[19]
    assert f["detail"][0] == f"price ratio {ratio:.3f} ≈ 1/2, not reversed: a 2-for-1 split?"
    assert f["severity"][0] == "warning"


@pytest.mark.parametrize("k", [3.0, 4.0, 5.0, 10.0, 1 / 2, 1 / 3, 1 / 10])
def test_every_split_factor_and_reverse_split(k):
    p = _smooth(40, seed=1)
    p[25:] /= k
    assert _flags(_frame(X=p)) == [["X", BDAYS[25].strftime("%Y-%m-%d"), "split", pytest.approx(k)]]


def test_a_bad_tick_that_reverses_is_not_a_split():
    p = _smooth(40, seed=2)
    p[10] /= 2.0  # one bad print at half the price, back the next day
    f = rk.data.quality(_frame(X=p))
    assert _flags(_frame(X=p)) == [["X", "2005-02-15", "bad_tick", pytest.approx(p[10] / p[9])]]
    assert f["detail"][0].endswith("undone the next period")


def test_an_outlier_that_is_no_split():
    p = _smooth(40, seed=3)
    p[30:] *= 1.4  # +40%: far outside 1% moves, not a split ratio, not reversed
    f = rk.data.quality(_frame(X=p))
    assert f["flag"].tolist() == ["outlier"] and f["date"][0] == BDAYS[30]
    x = np.diff(np.log(p))
    med = np.median(x)
    z = abs(x[29] - med) / (1.4826 * np.median(np.abs(x - med)))  # the robust z-score, by hand
    assert f["value"][0] == pytest.approx(z)
    assert rk.data.quality(_frame(X=p), outlier_z=z + 1).empty


def test_stale_run_flagged_from_the_stale_periods_threshold():
    p = _smooth(40, seed=4)
    p[11:17] = p[10]  # unchanged on 6 dates after 2005-02-14
    f = rk.data.quality(_frame(X=p))
    assert _flags(_frame(X=p)) == [["X", "2005-02-15", "stale", 6.0]]
    assert f["end"][0] == pd.Timestamp("2005-02-22")
    assert f["detail"][0] == f"price {p[10]:g} unchanged for 6 periods"
    assert rk.data.quality(_frame(X=p), stale_periods=7).empty


def test_zero_close_is_an_error_flag_and_refused_by_read():
    p = _smooth(40, seed=5)
    p[5] = 0.0
    f = rk.data.quality(_frame(X=p))
    assert f.loc[f["flag"] == "nonpositive", ["date", "severity", "value"]].to_numpy().tolist() == [
        [BDAYS[5], "error", 0.0]
    ]
    with pytest.raises(
        NonPositivePriceError, match=r"zero or negative at 'X' on 1 date\(s\): 2005-02-08"
    ) as err:
        rk.data.read(_frame(X=p))
    assert err.value.fixes == ({"start": "2005-02-09"}, {"end": "2005-02-07"})


def test_calendar_gaps_business_days_and_seven_day():
    p = _smooth(40, seed=6)
    keep = np.ones(40, dtype=bool)
    keep[[10, 20, 21, 22]] = False  # one missing weekday (a holiday: not flagged) and three in a row
    f = rk.data.quality(_frame(X=p)[keep])
    assert _flags(_frame(X=p)[keep]) == [["X", "2005-03-01", "gap", 3.0]]
    assert f["end"][0] == pd.Timestamp("2005-03-03")
    assert f["detail"][0] == "3 missing weekday(s) on a business-day calendar"
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    crypto = pd.DataFrame({"BTC": _smooth(30, seed=7)}, index=days).drop(days[[12]])
    assert _flags(crypto) == [["BTC", "2024-01-13", "gap", 1.0]]


def test_duplicates_in_memory_same_and_different():
    idx = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"])
    p = pd.DataFrame({"A": [1.0, 2.0, 2.0, 3.0], "B": [5.0, 6.0, 6.5, 7.0]}, index=idx)
    f = rk.data.quality(p)
    assert f[["asset", "flag", "severity", "value"]].to_numpy().tolist() == [
        ["A", "duplicate", "warning", 2.0],
        ["B", "duplicate", "error", 2.0],
    ]
    assert f["detail"][1] == "2 rows with different prices (6, 6.5)"


def test_quality_checks_its_input():
    with pytest.raises(CalendarError, match="not sorted"):
        rk.data.quality(_frame(X=_smooth(40)).iloc[::-1])
    with pytest.raises(InvalidParameterError, match="split_tolerance"):
        rk.data.quality(_frame(X=_smooth(40)), split_tolerance=0.7)


def test_clean_data_has_no_flags_and_short_series_no_move_flags():
    assert rk.data.quality(_frame(A=_smooth(40, seed=8), B=_smooth(40, seed=9))).empty
    tiny = pd.DataFrame({"X": [1.0, 2.0, 3.0]}, index=pd.date_range("2024-01-01", periods=3))
    assert rk.data.quality(tiny).empty  # two returns say nothing about what is unusual


def test_adjust_splits_divides_the_earlier_history_and_logs_it():
    p = _smooth(40, seed=10)
    raw = p.copy()
    raw[20:] /= 2.0
    raw[30:] /= 3.0
    prices = _frame(AAPL=raw, IBM=_smooth(40, seed=11))
    fixed = rk.data.adjust_splits(prices)
    np.testing.assert_allclose(fixed.prices["AAPL"], p / 6.0, rtol=1e-12)
    pd.testing.assert_series_equal(fixed.prices["IBM"], prices["IBM"])
    assert fixed.log[["asset", "ratio"]].to_numpy().tolist() == [["AAPL", 2.0], ["AAPL", 3.0]]
    assert fixed.log["action"].tolist() == [
        "20 prices before 2005-03-01 divided by 2 (2-for-1 split)",
        "30 prices before 2005-03-15 divided by 3 (3-for-1 split)",
    ]
    assert rk.data.quality(fixed.prices).empty
    data = rk.data.read(prices, adjust_splits=True)
    pd.testing.assert_frame_equal(data.prices, fixed.prices, check_freq=False, check_names=False)
    steps = data.log[data.log["step"] == "adjust_splits"]
    assert steps[["asset", "value"]].to_numpy().tolist() == [["AAPL", 2.0], ["AAPL", 3.0]]
    assert data.flags.empty
    pd.testing.assert_frame_equal(prices, _frame(AAPL=raw, IBM=_smooth(40, seed=11)))  # input untouched
