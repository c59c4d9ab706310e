"""riskkit.data.read: layouts recognised, choices (assets, window, missing, align), errors with fixes.

Each messy file is written by the test itself, so what it holds is visible next to what is asserted.
"""

import pickle

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.exceptions import (
    CalendarError,
    DataQualityWarning,
    DataRepairWarning,
    DuplicateError,
    EmptyDataError,
    InvalidParameterError,
    LayoutError,
    MissingDataError,
    NonNumericError,
    NonPositivePriceError,
)

DAYS = pd.date_range("2024-01-01", periods=5, freq="D")
EPOCH_S = [1704067200 + 86400 * i for i in range(5)]  # 2024-01-01 .. 2024-01-05 00:00 UTC, in seconds


def _write(path, text):
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- layouts


def test_long_file_with_natural_headers(tmp_path):
    path = _write(
        tmp_path / "closes.csv",
        "Date,Ticker,Close\n2024-01-03,MSFT,21\n2024-01-02,AAPL,10\n2024-01-02,MSFT,20\n2024-01-03,AAPL,11\n",
    )
    data = rk.data.read(path)
    assert data.layout == "long"
    assert list(data.prices.columns) == ["MSFT", "AAPL"]  # order of first appearance
    np.testing.assert_array_equal(data.prices.to_numpy(), [[20, 10], [21, 11]])
    assert "long table: dates from 'Date', assets from 'Ticker', prices from 'Close'" in list(
        data.log["action"]
    )


@pytest.mark.parametrize("header", ["date,symbol,price", "DATETIME,Coin,PRICE", "timestamp,pair,close"])
def test_long_headers_any_case(header):
    raw = pd.DataFrame(
        [["2024-01-01", "X", 1.0], ["2024-01-02", "X", 2.0], ["2024-01-03", "X", 2.5]],
        columns=header.split(","),
    )
    data = rk.data.read(raw)
    assert data.layout == "long" and data.prices["X"].tolist() == [1.0, 2.0, 2.5]


def test_adjusted_close_preferred_and_logged(tmp_path):
    path = _write(
        tmp_path / "yahoo.csv",
        "Date,Symbol,Close,Adj Close\n2024-01-02,A,10,9\n2024-01-03,A,11,10\n2024-01-04,A,12,11\n",
    )
    data = rk.data.read(path)
    assert data.prices["A"].tolist() == [9.0, 10.0, 11.0]
    assert (
        "both 'Adj Close' and 'Close': using 'Adj Close' (adjusted for splits and dividends); "
        "pass price_column='Close' for the unadjusted close"
    ) in list(data.log["action"])
    assert rk.data.read(path, price_column="close").prices["A"].tolist() == [10.0, 11.0, 12.0]  # any case


def test_a_wide_asset_named_like_an_asset_column_stays_wide():
    raw = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "COIN": [100.0, 101.0], "BTC": [1.0, 2.0]})
    data = rk.data.read(raw)
    assert data.layout == "wide" and list(data.prices.columns) == ["COIN", "BTC"]


@pytest.mark.parametrize(
    ("scale", "unit"), [(1, "seconds"), (10**3, "milliseconds"), (10**6, "microseconds")]
)
def test_ccxt_export_epoch_unit_from_magnitude(tmp_path, scale, unit):
    rows = "".join(f"{t * scale},1,2,0.5,{100 + i},7\n" for i, t in enumerate(EPOCH_S))
    path = _write(tmp_path / "BTC-USDT.csv", "timestamp,open,high,low,close,volume\n" + rows)
    data = rk.data.read(path)
    assert data.layout == "exchange"
    assert list(data.prices.columns) == ["BTC-USDT"]
    assert list(data.prices.index) == list(DAYS)
    assert data.prices["BTC-USDT"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]
    notes = " ".join(data.log["action"])
    assert f"the date column 'timestamp' holds Unix epoch {unit}" in notes


def test_binance_kline_without_header(tmp_path):
    ms = [t * 1000 for t in EPOCH_S]
    rows = "".join(f"{t},1,2,0.5,{50 + i},9,{t + 86_399_999},5,3,1,1,0\n" for i, t in enumerate(ms))
    path = _write(tmp_path / "ETHUSDT.csv", rows)
    data = rk.data.read(path)
    assert data.layout == "exchange"
    assert list(data.prices.index) == list(DAYS)  # labelled by the kline's open time
    assert data.prices["ETHUSDT"].tolist() == [50.0, 51.0, 52.0, 53.0, 54.0]
    assert "no header row; 12 fields read as a Binance kline export" in data.log["action"].iloc[1]


def test_headerless_file_of_unknown_shape_says_what_it_saw(tmp_path):
    path = _write(tmp_path / "odd.csv", "1704067200,1,2\n1704153600,1,2\n")
    with pytest.raises(
        LayoutError, match=r"'odd.csv' has no header row: its first row is 3 numbers \(1704067200, 1, 2\)"
    ):
        rk.data.read(path)


def test_numbers_that_are_no_epoch_are_refused():
    with pytest.raises(
        CalendarError, match=r"holds numbers \(int64, from 12345678 to 12345679\).*date_format= "
    ):  # (20240101, 20240102 are dates written yyyymmdd: tests/test_data.py)
        rk.data.read(pd.DataFrame({"date": [12345678, 12345679], "BTC": [1.0, 2.0]}))


def test_folder_of_ohlcv_files_one_per_asset(tmp_path):
    folder = tmp_path / "prices"
    folder.mkdir()
    _write(
        folder / "AAA.csv",
        "Date,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,10,5\n2024-01-03,1,1,1,11,5\n"
        "2024-01-04,1,1,1,12,5\n",
    )
    _write(
        folder / "BBB.csv",
        "Date,Open,High,Low,Close,Volume\n2024-01-03,1,1,1,21,5\n2024-01-02,1,1,1,20,5\n"
        "2024-01-04,1,1,1,22,5\n",
    )
    pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]), "close": [5.0, 6, 7]}
    ).to_parquet(folder / "CCC.parquet")
    (folder / "README.md").write_text("not a price file")
    (folder / "README.txt").write_text("Binance klines, downloaded 2024-01-05\n")  # .txt: an export's note
    (folder / "LICENSE-data.txt").write_text("CC-BY 4.0\n")
    data = rk.data.read(folder)
    assert data.layout == "folder"
    assert list(data.prices.columns) == ["AAA", "BBB", "CCC"]
    np.testing.assert_array_equal(data.prices.to_numpy(), [[10, 20, 5], [11, 21, 6], [12, 22, 7]])
    assert data.log["action"].iloc[0] == "folder of 3 price files, one per asset (asset = file name)"
    assert data.log["action"].iloc[1] == "not read, as documents: 'LICENSE-data.txt', 'README.txt'"
    only = rk.data.read(folder, assets=["CCC", "AAA"])
    assert list(only.prices.columns) == ["CCC", "AAA"]
    with pytest.raises(
        InvalidParameterError, match=r"assets= names 'ZZZ', not in .*its assets are 'AAA', 'BBB', 'CCC'"
    ):
        rk.data.read(folder, assets=["AAA", "ZZZ"])


def test_parquet_long_with_epoch_milliseconds(tmp_path):
    path = tmp_path / "long.parquet"
    pd.DataFrame(
        {
            "timestamp": np.repeat(np.array(EPOCH_S[:3]) * 1000, 2),
            "symbol": ["X", "Y"] * 3,
            "close": [1.0, 10.0, 1.1, 10.5, 1.2, 11.0],
        }
    ).to_parquet(path)
    data = rk.data.read(path)
    assert data.layout == "long"
    np.testing.assert_array_equal(data.prices.to_numpy(), [[1.0, 10.0], [1.1, 10.5], [1.2, 11.0]])
    assert list(data.prices.index) == list(DAYS[:3])


def test_ambiguous_file_names_what_it_saw_and_the_argument(tmp_path):
    path = _write(tmp_path / "mixed.csv", "Date,Close,AAPL\n2024-01-02,1,2\n2024-01-03,1,3\n")
    with pytest.raises(LayoutError) as err:
        rk.data.read(path)
    msg = str(err.value)
    assert "'mixed.csv' is ambiguous: 'Close' names a price field of one asset's export" in msg
    assert "saw columns 'Date', 'Close', 'AAPL'; first rows: 2024-01-02, 1, 2; 2024-01-03, 1, 3" in msg
    assert "Pass layout='wide' if every column is an asset, or layout='exchange'" in msg
    assert err.value.fixes == ({"layout": "wide"}, {"layout": "exchange"})
    assert list(rk.data.read(path, layout="wide").prices.columns) == ["Close", "AAPL"]


def test_long_without_price_column_says_which_argument():
    raw = pd.DataFrame({"Date": ["2024-01-01", "2024-01-02"], "Ticker": ["A", "A"], "Last": [1.0, 2.0]})
    with pytest.raises(
        LayoutError,
        match=r"looks long \(asset column 'Ticker'\) but no column .* Name the price column with "
        r"price_column=",
    ):
        rk.data.read(raw)
    assert rk.data.read(raw, price_column="LAST").prices["A"].tolist() == [1.0, 2.0]


def test_wide_layout_refuses_long_options():
    with pytest.raises(InvalidParameterError, match="asset_column= and price_column= name columns"):
        rk.data.read(pd.DataFrame({"date": ["2024-01-01"], "A": [1.0]}), layout="wide", price_column="A")


# ----------------------------------------------------------------------------- choosing


def _staggered() -> pd.DataFrame:
    idx = pd.bdate_range("2024-01-01", periods=10)
    return pd.DataFrame(
        {
            "AAPL": np.linspace(100, 109, 10),
            "GOOG": np.r_[[np.nan] * 4, np.linspace(50, 55, 6)],
            "IBM": np.r_[np.linspace(80, 87, 8), [np.nan] * 2],
        },
        index=pd.DatetimeIndex(idx, name="date"),
    )


@pytest.mark.parametrize("missing", ["raise", "ffill", "drop"])
def test_staggered_histories_summarised_per_asset_whatever_missing(missing):
    with pytest.raises(MissingDataError) as err:
        rk.data.read(_staggered(), missing=missing)
    msg = str(err.value)
    assert (
        "staggered histories: 'AAPL' from 2024-01-01 to 2024-01-12; 'GOOG' from 2024-01-05 to 2024-01-12; "
        "'IBM' from 2024-01-01 to 2024-01-10"
    ) in msg
    assert "The window every asset covers is 2024-01-05 to 2024-01-10: pass align='common'" in msg
    assert ("would keep only the youngest asset's history" in msg) == (missing == "drop")
    assert err.value.fix == {"align": "common"}
    assert err.value.fixes[1:] == ({"start": "2024-01-05", "end": "2024-01-10"}, {"assets": ["AAPL"]})


def test_align_common_is_a_logged_choice():
    data = rk.data.read(_staggered(), align="common")
    assert data.prices.index[0] == pd.Timestamp("2024-01-05") and data.prices.index[-1] == pd.Timestamp(
        "2024-01-10"
    )
    assert data.repairs()["action"].tolist() == [
        "align='common': the window every asset covers, 2024-01-05 to 2024-01-10; 6 of 10 dates left out"
    ]
    assert data.coverage.loc["GOOG", "first"] == pd.Timestamp("2024-01-05")  # histories as read
    with pytest.warns(DataRepairWarning, match="align='common'"):
        rk.data.read_prices(_staggered(), align="common")


def test_start_end_and_assets_narrow_before_validation():
    prices = _staggered()
    prices.iloc[1, 0] = 0.0  # a zero close on 2024-01-02, cut away by start
    with pytest.raises(NonPositivePriceError) as err:
        rk.data.read(prices, align="common")
    assert "'AAPL' on 1 date(s): 2024-01-02" in str(err.value)
    assert err.value.fixes == ({"start": "2024-01-03"}, {"assets": ["GOOG", "IBM"]})
    data = rk.data.read(prices, start="2024-01-05", end="2024-01-10")
    assert list(data.prices.index.strftime("%d")) == ["05", "08", "09", "10"]
    data = rk.data.read(prices, assets=["IBM", "GOOG"], start="2024-01-05", end="2024-01-10")
    assert list(data.prices.columns) == ["IBM", "GOOG"]
    with pytest.raises(
        EmptyDataError, match=r"no prices between start='2025-01-01' .* run from 2024-01-01 to 2024-01-12"
    ):
        rk.data.read(prices, start="2025-01-01")
    with pytest.raises(InvalidParameterError, match="start='soon' is not a date"):
        rk.data.read(prices, start="soon")


def test_missing_values_error_offers_both_repairs():
    raw = pd.DataFrame({"date": DAYS.astype(str), "A": [1.0, np.nan, np.nan, np.nan, 2.0], "B": [1.0] * 5})
    with pytest.raises(
        MissingDataError, match=r"inside the assets' histories: 'A' on 3 date\(s\).*longest gap here is 3"
    ) as err:
        rk.data.read(raw)
    assert err.value.fixes == ({"missing": "ffill", "ffill_limit": 3}, {"missing": "drop"})
    with pytest.raises(
        MissingDataError, match="longer than ffill_limit=2"
    ):  # ... and a default of 5 fills it
        rk.data.read(raw, missing="ffill", ffill_limit=2)
    data = rk.data.read(raw, missing="ffill")
    assert data.prices["A"].tolist() == [1.0, 1.0, 1.0, 1.0, 2.0]
    assert data.summary().loc[["A", "B"], "filled"].tolist() == [3, 0]
    assert "Prices forward-filled (missing='ffill'), by asset: A 3." in " ".join(data.notes())


def test_default_ffill_limit_is_five():
    assert rk.data.DEFAULT_FFILL_LIMIT == 5
    raw = pd.DataFrame({"A": np.r_[1.0, [np.nan] * 6, 2.0]}, index=pd.date_range("2024-01-01", periods=8))
    with pytest.raises(MissingDataError, match=r"longer than ffill_limit=5 periods.*'A' on 6 date\(s\)"):
        rk.data.read(raw, missing="ffill")


def test_errors_keep_their_fixes_through_pickle():
    with pytest.raises(MissingDataError) as err:
        rk.data.read(_staggered())
    back = pickle.loads(pickle.dumps(err.value))
    assert back.fixes == err.value.fixes and str(back) == str(err.value)


# ----------------------------------------------------------------------------- duplicated timestamps


def test_duplicated_day_with_the_same_price_is_kept_once_and_flagged(tmp_path):
    path = _write(
        tmp_path / "dup.csv", "date,A,B\n2024-01-01,1,5\n2024-01-02,2,6\n2024-01-02,2,6\n2024-01-03,3,7\n"
    )
    data = rk.data.read(path)
    assert data.prices["A"].tolist() == [1.0, 2.0, 3.0]
    dup = data.flags[data.flags["flag"] == "duplicate"]
    assert dup[["asset", "severity", "value"]].to_numpy().tolist() == [
        ["A", "warning", 2.0],
        ["B", "warning", 2.0],
    ]
    assert set(dup["date"]) == {pd.Timestamp("2024-01-02")}


def test_duplicated_day_with_different_prices_is_refused(tmp_path):
    path = _write(
        tmp_path / "dup.csv",
        "date,A,B\n2024-01-01,1,5\n2024-01-02,2,6\n2024-01-02,2,6.5\n2024-01-03,3,7\n2024-01-04,3,7\n",
    )
    with pytest.raises(
        DuplicateError,
        match=r"duplicated dates: 2024-01-02 with different prices: 2024-01-02 \('B': 6, 6.5\)",
    ) as err:
        rk.data.read(path)
    assert err.value.fixes == ({"duplicates": "last"}, {"duplicates": "first"}, {"start": "2024-01-03"})
    assert rk.data.read(path, start="2024-01-03").prices.shape == (2, 2)


def test_long_duplicates_name_asset_and_values():
    raw = pd.DataFrame(
        {
            "Date": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01"],
            "Ticker": ["A", "A", "A", "A", "B"],
            "Close": [1.0, 1.5, 2.0, 3.0, 9.0],
        }
    )
    with pytest.raises(
        DuplicateError, match=r"per asset: 'A' on 2024-01-01 \(1, 1.5\), with different prices"
    ) as err:
        rk.data.read(raw)
    assert err.value.fixes == (
        {"duplicates": "last"},
        {"duplicates": "first"},
        {"start": "2024-01-02"},
        {"assets": ["B"]},
    )


def test_non_numeric_long_value_named_by_asset_and_date():
    raw = pd.DataFrame({"Date": ["2024-01-01", "2024-01-02"], "Ticker": ["A", "A"], "Close": ["1", "n/a?"]})
    with pytest.raises(NonNumericError, match=r"'A' has 1 non-numeric value\(s\) \(2024-01-02: 'n/a\?'\)"):
        rk.data.read(raw)


# ----------------------------------------------------------------------------- the result


def test_price_data_summary_repr_and_pickle():
    data = rk.data.read(_staggered(), align="common")
    assert repr(data) == (
        "PriceData(3 assets x 4 dates, 2024-01-05 to 2024-01-10, layout='wide', 0 flag(s), 1 repair(s))"
    )
    s = data.summary()
    assert list(s.columns[:5]) == ["first", "last", "prices", "gaps", "filled"]
    assert s.loc["GOOG", "prices"] == 6 and s.loc["IBM", "last"] == pd.Timestamp("2024-01-10")
    assert "<table" in data._repr_html_()
    back = pickle.loads(pickle.dumps(data))
    pd.testing.assert_frame_equal(back.prices, data.prices)
    assert data.histories().startswith("'AAPL' from 2024-01-01 to 2024-01-12; 'GOOG' from 2024-01-05")


def test_read_prices_warns_about_an_unadjusted_split():
    idx = pd.bdate_range("2005-02-14", periods=20)
    p = pd.DataFrame({"AAPL": np.r_[np.linspace(100, 110, 10), np.linspace(55.5, 60, 10)]}, index=idx)
    with pytest.warns(
        DataQualityWarning, match=r"'AAPL' on 2005-02-28: price ratio 0.505 ≈ 1/2.*adjust_splits=True"
    ) as rec:
        rk.data.read_prices(p)
    (w,) = [w for w in rec if isinstance(w.message, DataQualityWarning)]
    assert w.message.flags["flag"].tolist() == ["split"]


def test_a_messy_long_file_end_to_end_notes_say_everything(tmp_path):
    days = pd.bdate_range("2005-02-01", periods=30)
    gen = np.random.default_rng(0)
    aapl = 100 * np.exp(np.cumsum(gen.normal(0, 0.01, 30)))
    aapl[20:] /= 2.0  # unadjusted 2-for-1 split on 2005-03-01
    ibm = 80 * np.exp(np.cumsum(gen.normal(0, 0.01, 30)))
    rows = [(d, "AAPL", p) for d, p in zip(days, aapl, strict=True)]
    rows += [(d, "IBM", p) for d, p in zip(days[5:], ibm[5:], strict=True)]  # IBM from 2005-02-08
    rows.append(rows[3])  # AAPL's 2005-02-04 twice, same price
    pd.DataFrame(rows, columns=["Date", "Symbol", "Close"]).to_csv(tmp_path / "closes.csv", index=False)
    with pytest.raises(MissingDataError, match="'IBM' from 2005-02-08 to 2005-03-14") as err:
        rk.data.read(tmp_path / "closes.csv")
    assert err.value.fix == {"align": "common"}
    data = rk.data.read(tmp_path / "closes.csv", align="common", adjust_splits=True)
    assert data.notes() == [
        "Layout 'long' recognised from the columns 'Date', 'Symbol', 'Close'.",
        "Long table: dates from 'Date', assets from 'Symbol', prices from 'Close'.",
        "Align='common': the window every asset covers, 2005-02-08 to 2005-03-14; 5 of 30 dates left out.",
        "Histories as read: 'AAPL' from 2005-02-01 to 2005-03-14; 'IBM' from 2005-02-08 to 2005-03-14.",
        "Same date and price twice, kept once: AAPL on 2005-02-04.",
        "AAPL: 15 prices before 2005-03-01 divided by 2 (2-for-1 split).",
    ]
    np.testing.assert_allclose(data.prices["AAPL"].iloc[-1] * 2, aapl[-1] * 2, rtol=1e-12)
    np.testing.assert_allclose(data.prices["AAPL"].iloc[0], aapl[5] / 2, rtol=1e-12)
    assert data.flags.empty  # the duplicate was cut away by align='common' (2005-02-04 < 2005-02-08)
    assert data.cautions() == []  # adjusted: nothing left to check
    kept = rk.data.read(tmp_path / "closes.csv", align="common")
    assert kept.cautions()[0] == "AAPL on 2005-03-01: price ratio 0.499 ≈ 1/2, not reversed: a 2-for-1 split?"
    assert kept.cautions()[1].startswith("This move is in every return, risk and backtest figure")
    assert "adjust_splits=True" in kept.cautions()[1]
    assert kept.notes()[-1].endswith("a 2-for-1 split?")  # a question, not "split?."


def _day_first_csv(path, days, fmt="%d/%m/%Y"):
    """A broker's export, dates written day first, as many European ones are."""
    closes = 100 + np.arange(len(days), dtype=float)
    lines = ["Date,Close"] + [f"{d.strftime(fmt)},{c:.2f}" for d, c in zip(days, closes, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return closes


def test_day_first_dates_are_read_day_first_when_the_file_settles_it(tmp_path):
    """02/01/2024 followed by 13/01/2024 was read month first, then (the inferred format
    failing on 13/01) element by element: 2 February before 13 January, silently re-sorted."""
    days = pd.date_range("2024-01-02", "2024-01-20")
    closes = _day_first_csv(tmp_path / "ABC.csv", days)
    data = rk.data.read(tmp_path / "ABC.csv", layout="exchange")
    assert list(data.prices.index) == list(days)  # 2 January first, in the file's order
    np.testing.assert_array_equal(data.prices["ABC"].to_numpy(), closes)
    assert "read day first (%d/%m/%Y), as '13/01/2024' can only be read so" in " ".join(data.notes())
    # the same dates month first, with times
    _day_first_csv(tmp_path / "US.csv", days, fmt="%m/%d/%Y %H:%M")
    us = rk.data.read(tmp_path / "US.csv", layout="exchange")
    assert list(us.prices.index) == list(days) and "read month first (%m/%d/%Y %H:%M)" in " ".join(us.notes())


def test_dates_no_day_settles_are_an_error_offering_both_formats(tmp_path):
    days = pd.date_range("2024-01-02", "2024-01-12")  # no day above 12: 02/01 is 2 January or 1 February
    closes = _day_first_csv(tmp_path / "ABC.csv", days)
    with pytest.raises(
        CalendarError, match=r"could be read day first or month first \(e.g. '02/01/2024'"
    ) as err:
        rk.data.read(tmp_path / "ABC.csv", layout="exchange")
    assert err.value.fixes == ({"date_format": "%d/%m/%Y"}, {"date_format": "%m/%d/%Y"})
    data = rk.data.read(tmp_path / "ABC.csv", layout="exchange", **err.value.fixes[0])
    assert list(data.prices.index) == list(days) and data.prices["ABC"].tolist() == closes.tolist()
    assert "read with date_format='%d/%m/%Y'" in " ".join(data.notes())
    month_first = rk.data.read(tmp_path / "ABC.csv", layout="exchange", date_format="%m/%d/%Y")
    assert month_first.prices.index[0] == pd.Timestamp("2024-02-01")  # what was asked for


def test_dates_in_two_orders_or_formats_are_named_not_guessed(tmp_path):
    (tmp_path / "mixed.csv").write_text("Date,Close\n02/01/2024,1\n13/01/2024,2\n01/14/2024,3\n")
    with pytest.raises(CalendarError, match=r"mixes day-first dates \('13/01/2024'\) and month-first dates "
                       r"\('01/14/2024'\)"):  # fmt: skip
        rk.data.read(tmp_path / "mixed.csv", layout="exchange")
    (tmp_path / "two.csv").write_text("Date,Close\n2024-01-01,1\n02/01/2024,2\n13/01/2024,3\n")
    with pytest.raises(CalendarError, match=r"more than one format, such as '02/01/2024', '2024-01-01'"):
        rk.data.read(tmp_path / "two.csv", layout="exchange")
    with pytest.raises(CalendarError, match=r"do not match date_format='%d/%m/%Y': '2024-01-01'"):
        rk.data.read(tmp_path / "two.csv", layout="exchange", date_format="%d/%m/%Y")
    with pytest.raises(InvalidParameterError, match="date_format must be a strftime format"):
        rk.data.read(tmp_path / "two.csv", date_format="dd/mm/yyyy")
    with pytest.raises(InvalidParameterError, match="format options 'date_format' apply to files only"):
        rk.data.load("crypto_sim", date_format="%d/%m/%Y")


def test_prices_with_thousands_separators_are_read_and_logged_and_decimal_commas_named(tmp_path):
    _write(
        tmp_path / "wide.csv",
        'Date,BTC,ETH\n2024-01-01,"42,437.70","2,300.5"\n2024-01-02,"43,001.00",2301\n'
        '2024-01-03,"1,043,001.00",2302\n',
    )
    data = rk.data.read(tmp_path / "wide.csv")
    np.testing.assert_array_equal(
        data.prices.to_numpy(), [[42437.7, 2300.5], [43001.0, 2301.0], [1043001.0, 2302.0]]
    )
    assert (
        "'BTC': 3 price(s) written with thousands separators (e.g. '42,437.70') read as numbers."
        in data.notes()
    )
    _write(tmp_path / "long.csv", 'Date,Ticker,Close\n2024-01-01,BTC,"42,437.70"\n2024-01-02,BTC,"43,001"\n')
    assert rk.data.read(tmp_path / "long.csv").prices["BTC"].tolist() == [42437.7, 43001.0]
    # a decimal comma (4,2) is not a thousands separator: the values are named, not guessed
    _write(tmp_path / "eu.csv", 'Date,BTC\n2024-01-01,"42,437.70"\n2024-01-02,"4,2"\n')
    named = r"'BTC' has 2 non-numeric value\(s\) \(2024-01-01: '42,437.70', 2024-01-02: '4,2'\)"
    with pytest.raises(NonNumericError, match=named):
        rk.data.read(tmp_path / "eu.csv")


def test_a_finding_on_every_asset_is_one_note():
    """A market holiday's gap on 20 stocks was 20 identical lines in the report's data notes."""
    days = pd.bdate_range("2001-09-03", "2001-09-28").delete(slice(6, 10))  # 11 to 14 September closed
    p = pd.DataFrame({t: np.linspace(10 + i, 11 + i, len(days)) for i, t in enumerate("ABC")}, index=days)
    notes = rk.data.read(p).notes()
    gaps = [n for n in notes if ": gap (warning)" in n]
    assert gaps == ["every asset (3) 2001-09-11 to 2001-09-14: gap (warning): 4 missing weekday(s) on a "
                    "business-day calendar."]  # fmt: skip
    two = rk.data.read(p.assign(D=np.linspace(5, 6, len(days))).drop(columns="C")).notes()
    assert next(n for n in two if ": gap" in n).startswith("every asset (3)")
    one = rk.data.read(p[["A", "B"]]).notes()
    assert next(n for n in one if ": gap" in n).startswith("2 assets ('A', 'B') 2001-09-11")


def _klines(path, days, closes):
    """Binance's public kline file: no header, open time in ms, OHLCV and seven more fields."""
    rows = []
    for d, c in zip(days, closes, strict=True):
        ms = int(d.value // 10**6)
        rows.append(f"{ms},{c},{c},{c},{c},1.0,{ms + 86_399_999},{c},10,0.5,{c / 2},0")
    path.write_text("\n".join(rows) + "\n")


def test_a_folder_of_monthly_binance_files_is_one_asset_each(tmp_path):
    """BTCUSDT-1d-2024-01.csv, -02, -03 were three assets (named after the whole file name)."""
    folder = tmp_path / "klines"
    folder.mkdir()
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    btc = 40000 + np.arange(len(days), dtype=float)
    eth = 2000 + np.arange(len(days), dtype=float)
    for month in (1, 2, 3):
        mask = days.month == month
        _klines(folder / f"BTCUSDT-1d-2024-{month:02d}.csv", days[mask], btc[mask])
        _klines(folder / f"ETHUSDT-1d-2024-{month:02d}.csv", days[mask], eth[mask])
    (folder / "README.txt").write_text("downloaded from data.binance.vision\n")
    data = rk.data.read(folder)
    assert list(data.prices.columns) == ["BTCUSDT", "ETHUSDT"]
    assert list(data.prices.index) == list(days)  # the months joined, in order, no gap
    np.testing.assert_array_equal(data.prices.to_numpy(), np.column_stack([btc, eth]))
    notes = " ".join(data.notes())
    assert "Folder of 6 price files for 2 assets" in notes
    assert "BTCUSDT: 3 period files joined, BTCUSDT-1d-2024-01.csv to BTCUSDT-1d-2024-03.csv" in notes
    # one such file alone is its symbol, and says where the name came from
    one = rk.data.read(folder / "BTCUSDT-1d-2024-02.csv")
    assert list(one.prices.columns) == ["BTCUSDT"] and len(one.prices) == 29
    assert "Asset 'BTCUSDT' from the file name 'BTCUSDT-1d-2024-02.csv'" in " ".join(one.notes())
    # two files of one asset that are not period files are still refused, named
    (folder / "BTCUSDT.csv").write_text("Date,Close\n2024-04-01,1\n")
    with pytest.raises(DuplicateError, match=r"several files for one asset: \{'BTCUSDT': \["):
        rk.data.read(folder)


def test_require_names_the_dates_held_and_the_reason(tmp_path):
    days = pd.date_range("2024-01-01", periods=8, freq="D")
    path = tmp_path / "short.csv"
    pd.DataFrame({"A": np.linspace(1.0, 1.7, 8)}, index=days.rename("date")).to_csv(path)
    data = rk.data.load(path)
    data.require(7, why="unused")  # 7 returns are held: nothing to refuse
    with pytest.raises(rk.exceptions.EmptyDataError) as err:
        data.require(rk.tail.min_scenarios(0.95), why="the 95% expected shortfall averages the worst 5%")
    assert str(err.value) == (
        "prices in 'short.csv' hold 8 dates, 2024-01-01 to 2024-01-08 (7 returns); this needs at least "
        "20 returns (21 dates): the 95% expected shortfall averages the worst 5%. Give a longer history."
    )
    with pytest.raises(rk.exceptions.EmptyDataError, match=r"\(start= or end= narrowed this one\)"):
        rk.data.load(path, end="2024-01-05").require(7, why="x")
