"""riskkit.data: reading, validation, repairs, returns."""

import gzip

import numpy as np
import pandas as pd
import pytest
from conftest import random_prices
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit import data as rkd
from riskkit.exceptions import (
    CalendarError,
    DataQualityWarning,
    DataRepairWarning,
    DuplicateError,
    EmptyDataError,
    InvalidParameterError,
    InvalidTypeError,
    MissingDataError,
    NonFiniteError,
    NonNumericError,
    NonPositivePriceError,
    RiskkitError,
)

# ----------------------------------------------------------------------------- reading


def test_read_wide_csv_parses_sorts_and_types(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Date,BTC,ETH\n2024-01-03,3,30\n2024-01-01,1,10\n2024-01-02,2,20\n")
    prices = rkd.read_prices(path)
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert prices.index.name == "date" and prices.columns.name == "asset"
    assert list(prices.columns) == ["BTC", "ETH"]
    assert (prices.dtypes == "float64").all()
    np.testing.assert_array_equal(prices.to_numpy(), [[1, 10], [2, 20], [3, 30]])


def test_read_gzip_csv_and_parquet_give_the_same_frame(tmp_path, wide_prices):
    csv_gz = tmp_path / "p.csv.gz"
    with gzip.open(csv_gz, "wt") as fh:
        wide_prices.to_csv(fh)
    pq = tmp_path / "p.parquet"
    wide_prices.to_parquet(pq)
    a, b = rkd.read_prices(csv_gz), rkd.read_prices(pq)
    pd.testing.assert_frame_equal(a, b, check_freq=False)
    pd.testing.assert_frame_equal(a, wide_prices, check_freq=False)


def test_read_long_layout_auto_detected_and_named_columns(tmp_path):
    long = pd.DataFrame(
        {
            "ts": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"],
            "symbol": ["BTC", "ETH", "BTC", "ETH"],
            "close": [1.0, 10.0, 2.0, 20.0],
        }
    )
    p = rkd.read_prices(long, date_column="ts", asset_column="symbol", price_column="close")
    assert list(p.columns) == ["BTC", "ETH"]
    np.testing.assert_array_equal(p.to_numpy(), [[1, 10], [2, 20]])
    auto = rkd.read_prices(long.rename(columns={"symbol": "asset", "close": "price", "ts": "date"}))
    pd.testing.assert_frame_equal(auto, p)


def test_layout_can_be_forced_wide():
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "asset": [1.0, 2.0], "price": [3.0, 4.0]})
    wide = rkd.read_prices(frame, layout="wide")
    assert list(wide.columns) == ["asset", "price"]


def test_time_zones_converted_to_utc():
    frame = pd.DataFrame(
        {"date": ["2024-01-01T09:00:00+09:00", "2024-01-02T01:00:00+01:00"], "BTC": [1.0, 2.0]}
    )
    p = rkd.read_prices(frame)
    assert p.index.tz is None
    assert list(p.index) == [pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-01-02 00:00")]


def test_datetime_index_frame_accepted_and_not_mutated(wide_prices):
    before = wide_prices.copy()
    shuffled = wide_prices.iloc[[3, 1, 0, 4, 2]]
    snapshot = shuffled.copy()
    out = rkd.read_prices(shuffled)
    pd.testing.assert_frame_equal(shuffled, snapshot)
    pd.testing.assert_frame_equal(out, before, check_freq=False)


def test_pickle_refused(tmp_path):
    path = tmp_path / "prices.pkl"
    pd.DataFrame({"a": [1]}).to_pickle(path)
    with pytest.raises(InvalidParameterError, match=r"pickle.*arbitrary code"):
        rkd.read_prices(path)


def test_unknown_file_type_and_bad_source(tmp_path):
    path = tmp_path / "prices.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(InvalidParameterError, match=r"unsupported file type.*\.csv"):
        rkd.read_prices(path)
    with pytest.raises(InvalidTypeError, match="source must be a path"):
        rkd.read_prices(42)
    with pytest.raises(FileNotFoundError):
        rkd.read_prices(tmp_path / "missing.csv")


# ----------------------------------------------------------------------------- validation rules


def test_empty_input():
    with pytest.raises(EmptyDataError, match="empty"):
        rkd.read_prices(pd.DataFrame())


def test_fewer_than_two_rows():
    with pytest.raises(EmptyDataError, match="at least 2 dates, got 1"):
        rkd.read_prices(pd.DataFrame({"date": ["2024-01-01"], "BTC": [1.0]}))


def test_duplicate_dates_wide_named():
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-02", "2024-01-02"], "BTC": [1.0, 2.0, 3.0]})
    with pytest.raises(DuplicateError, match="duplicated dates: 2024-01-02"):
        rkd.read_prices(frame)


def test_duplicate_dates_per_asset_long_named():
    frame = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"],
            "asset": ["BTC", "BTC", "BTC", "ETH", "ETH"],
            "price": [1.0, 1.1, 2.0, 3.0, 4.0],
        }
    )
    with pytest.raises(DuplicateError, match=r"per asset: 'BTC' on 2024-01-01"):
        rkd.read_prices(frame)


def test_duplicate_asset_names_dataframe_and_csv(tmp_path):
    frame = pd.DataFrame([[1.0, 2.0], [1.5, 2.5]], columns=["BTC", "BTC"])
    frame.insert(0, "date", ["2024-01-01", "2024-01-02"])
    with pytest.raises(DuplicateError, match="duplicated asset names: 'BTC'"):
        rkd.read_prices(frame)
    path = tmp_path / "dup.csv"
    path.write_text("date,BTC,ETH,BTC\n2024-01-01,1,2,3\n2024-01-02,1,2,3\n")
    with pytest.raises(DuplicateError, match="duplicated asset names: 'BTC'"):
        rkd.read_prices(path)


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_zero_or_negative_prices_named(bad):
    frame = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "BTC": [1.0, bad, 2.0],
            "ETH": [1.0] * 3,
        }
    )
    with pytest.raises(NonPositivePriceError, match=r"'BTC' on 1 date\(s\): 2024-01-02"):
        rkd.read_prices(frame)


def test_infinite_prices_named():
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "BTC": [1.0, np.inf], "ETH": [1.0, 2.0]})
    with pytest.raises(NonFiniteError, match=r"infinite.*'BTC' on 1 date\(s\): 2024-01-02"):
        rkd.read_prices(frame)


def test_non_numeric_values_named(tmp_path):
    path = tmp_path / "text.csv"
    path.write_text("date,BTC,ETH\n2024-01-01,1,2\n2024-01-02,n/a?,3\n2024-01-03,2,3\n")
    with pytest.raises(NonNumericError, match=r"'BTC' has 1 non-numeric value\(s\) \(2024-01-02: 'n/a\?'\)"):
        rkd.read_prices(path)
    assert issubclass(NonNumericError, TypeError)


def test_boolean_column_is_not_a_price():
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "flag": [True, False]})
    with pytest.raises(NonNumericError, match="'flag' is boolean"):
        rkd.read_prices(frame)


def test_unparseable_and_numeric_dates():
    with pytest.raises(CalendarError, match="cannot be parsed: 'yesterday'"):
        rkd.read_prices(pd.DataFrame({"date": ["2024-01-01", "yesterday"], "BTC": [1.0, 2.0]}))
    with pytest.raises(CalendarError, match="holds numbers"):  # (20240101 would be a yyyymmdd date)
        rkd.read_prices(pd.DataFrame({"date": [12345678, 12345679], "BTC": [1.0, 2.0]}))


def test_missing_values_are_an_error_by_default(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("date,BTC,ETH\n2024-01-01,1,2\n2024-01-02,,3\n2024-01-03,2,\n2024-01-04,2,4\n")
    with pytest.raises(
        MissingDataError,
        match=r"'BTC' on 1 date\(s\): 2024-01-02; 'ETH' on 1 date\(s\): 2024-01-03.*missing='ffill'",
    ):
        rkd.read_prices(path)


def test_missing_ffill_is_explicit_and_logged():
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=4).astype(str),
            "BTC": [1.0, np.nan, np.nan, 4.0],
            "ETH": [1.0, 2.0, 3.0, 4.0],
        }
    )
    with pytest.warns(DataRepairWarning, match=r"2 missing value\(s\) repaired with missing='ffill'") as rec:
        p = rkd.read_prices(frame, missing="ffill")
    np.testing.assert_array_equal(p["BTC"].to_numpy(), [1.0, 1.0, 1.0, 4.0])
    (w,) = [w for w in rec if isinstance(w.message, DataRepairWarning)]  # not a stray ResourceWarning
    log = w.message.log
    assert list(log["asset"]) == ["BTC", "BTC"]
    assert list(log["date"].dt.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03"]
    assert set(log["action"]) == {"forward-filled"}


def test_ffill_limit_leaves_long_gaps_an_error():
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=4).astype(str),
            "BTC": [1.0, np.nan, np.nan, 4.0],
        }
    )
    # a gap longer than the limit is not filled at all (not its first `limit` periods)
    with pytest.raises(
        MissingDataError,
        match=r"longer than ffill_limit=1 periods.*'BTC' on 2 date\(s\): 2024-01-02, 2024-01-03",
    ) as err:
        rkd.read_prices(frame, missing="ffill", ffill_limit=1)
    assert err.value.fixes == ({"missing": "ffill", "ffill_limit": 2}, {"missing": "drop"})


def test_ffill_cannot_invent_prices_before_listing():
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=3).astype(str),
            "NEW": [np.nan, 2.0, 3.0],
            "OLD": [1.0, 1.0, 1.0],
        }
    )
    with pytest.raises(
        MissingDataError, match=r"before an asset's first price.*'NEW' on 1 date\(s\): 2024-01-01"
    ):
        rkd.read_prices(frame, missing="ffill")


def test_missing_drop_removes_rows_and_logs():
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=4).astype(str),
            "BTC": [1.0, np.nan, 3.0, 4.0],
            "ETH": [1.0, 2.0, 3.0, 4.0],
        }
    )
    with pytest.warns(DataRepairWarning) as rec:
        p = rkd.read_prices(frame, missing="drop")
    assert list(p.index.strftime("%d")) == ["01", "03", "04"]
    (w,) = [w for w in rec if isinstance(w.message, DataRepairWarning)]
    assert w.message.log.to_dict("list")["action"] == ["row dropped"]


def test_bad_options_name_the_valid_choices():
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "BTC": [1.0, 2.0]})
    with pytest.raises(
        InvalidParameterError,
        match=r"missing='zero' is not a valid choice; expected one of 'raise', 'ffill', 'drop'",
    ):
        rkd.read_prices(frame, missing="zero")
    with pytest.raises(InvalidParameterError, match="layout='tall'"):
        rkd.read_prices(frame, layout="tall")
    with pytest.raises(InvalidParameterError, match="date_column='when' is not a column"):
        rkd.read_prices(frame, date_column="when")


def test_errors_are_riskkit_and_builtin_types():
    for cls in (
        DuplicateError,
        MissingDataError,
        NonPositivePriceError,
        CalendarError,
        InvalidParameterError,
    ):
        assert issubclass(cls, RiskkitError) and issubclass(cls, ValueError)


def test_check_prices_unsorted_and_index_type(wide_prices):
    with pytest.raises(CalendarError, match="not sorted: 2024-01-02 00:00 comes after 2024-01-04"):
        rkd.check_prices(wide_prices.iloc[[0, 3, 1, 2]])
    with pytest.raises(CalendarError, match="must have a DatetimeIndex"):
        rkd.check_prices(wide_prices.reset_index(drop=True))


# ----------------------------------------------------------------------------- returns


def test_returns_hand_computed(wide_prices):
    r = rkd.to_returns(wide_prices)
    assert r.index[0] == pd.Timestamp("2024-01-02")
    np.testing.assert_allclose(r["BTC"], [0.1, -0.1, 0.0, 120 / 99 - 1])
    np.testing.assert_allclose(r["SOL"], [1.0, -0.5, 0.5, 0.0])
    lr = rkd.to_returns(wide_prices, kind="log")
    np.testing.assert_allclose(lr["SOL"], [np.log(2), np.log(0.5), np.log(1.5), 0.0])


def test_to_prices_inverts_to_returns(wide_prices):
    for kind in ("simple", "log"):
        back = rkd.to_prices(
            rkd.to_returns(wide_prices, kind=kind),
            kind=kind,
            start=wide_prices.iloc[0],
            start_date=wide_prices.index[0],
        )
        pd.testing.assert_frame_equal(back, wide_prices, check_freq=False, rtol=1e-13)


def test_to_prices_rejects_total_loss():
    r = pd.DataFrame({"X": [0.1, -1.0]}, index=pd.date_range("2024-01-01", periods=2))
    with pytest.raises(NonPositivePriceError, match="-100%"):
        rkd.to_prices(r)


def test_price_summary_reports_stale_runs_and_missing(wide_prices):
    p = wide_prices.copy()
    p.iloc[2, 1] = np.nan
    s = rkd.price_summary(p)
    assert s.loc["BTC", "longest_stale_run"] == 1
    assert s.loc["ETH", "missing"] == 1 and s.loc["ETH", "observations"] == 4
    assert s.loc["SOL", "largest_move"] == pytest.approx(1.0)
    assert s.loc["SOL", "largest_move_date"] == pd.Timestamp("2024-01-02")


# ----------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(price=st.floats(1e-6, 1e6), n=st.integers(2, 40))
def test_constant_prices_have_zero_returns(price, n):
    p = pd.DataFrame({"X": [price] * n}, index=pd.date_range("2020-01-01", periods=n))
    for kind in ("simple", "log"):
        assert (rkd.to_returns(p, kind=kind).to_numpy() == 0).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_log_and_simple_returns_agree(seed):
    p = random_prices(seed)
    simple = rkd.to_returns(p).to_numpy()
    log = rkd.to_returns(p, kind="log").to_numpy()
    np.testing.assert_allclose(log, np.log1p(simple), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_public_calls_never_mutate_inputs(seed):
    p = random_prices(seed)
    p.iloc[3, 1] = np.nan
    snap = p.copy()
    rkd.price_summary(p)
    with pytest.warns(DataRepairWarning):
        rkd.read_prices(p, missing="ffill")
    rkd.repair_missing(p, method="drop")
    pd.testing.assert_frame_equal(p, snap)
    clean = random_prices(seed)
    snap = clean.copy()
    rkd.to_returns(clean, kind="log")
    rkd.check_prices(clean)
    r = rkd.to_returns(clean)
    rsnap = r.copy()
    rkd.to_prices(r)
    pd.testing.assert_frame_equal(clean, snap)
    pd.testing.assert_frame_equal(r, rsnap)


def test_prices_for_returns_percent_weights_and_a_price_data_object_are_named():
    """Each was accepted, and gave nonsense: prices passed as returns, weights in percent."""
    import riskkit as rk

    data = rk.data.load("crypto_sim")
    prices = data.prices
    prices_as_returns = (
        r"returns look like prices, not returns: the first 50 rows are all positive, "
        r"averaging [\d,.]+ a period.*rk.data.to_returns\(prices\)"
    )
    with pytest.warns(DataQualityWarning, match=prices_as_returns):  # (levels, yields, may be meant)
        rk.shrinkage.shrink(prices)
    returns = rk.data.to_returns(prices)
    with pytest.raises(InvalidParameterError, match=r"weights sum to 100: they look like percentages"):
        rk.decomposition.decompose(pd.Series(100 / 12, index=prices.columns), returns=returns)
    with pytest.raises(InvalidTypeError, match=r"got PriceData; pass its table, data.prices"):
        rk.data.to_returns(data)
    with pytest.raises(InvalidTypeError, match=r"got PriceData; pass its table, data.prices"):
        rk.shrinkage.shrink(data)
    # real returns, and weights that merely sum to 1 or are leveraged, pass
    assert rk.shrinkage.shrink(returns).covariance.shape == (12, 12)
    assert rk.decomposition.decompose(pd.Series(2 / 12, index=prices.columns), returns=returns).volatility > 0


# ----------------------------------------------------------------------------- one missing-value repair


def _gappy():
    """A: a 1-period gap and a 3-period gap; B: a 2-period gap; C: complete."""
    idx = pd.date_range("2024-01-01", periods=8, freq="D")
    nan = np.nan
    return pd.DataFrame(
        {
            "A": [1.0, nan, 3.0, nan, nan, nan, 7.0, 8.0],
            "B": [10.0, 11.0, nan, nan, 14.0, 15.0, 16.0, 17.0],
            "C": [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
        },
        index=idx,
    )


@pytest.mark.parametrize("limit", [3, None])
def test_repair_missing_fills_runs_up_to_the_limit(limit):
    p = _gappy()
    snap = p.copy()
    fixed = rkd.repair_missing(p, method="ffill", limit=limit)
    assert fixed.prices["A"].tolist() == [1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 7.0, 8.0]
    assert fixed.prices["B"].tolist() == [10.0, 11.0, 11.0, 11.0, 14.0, 15.0, 16.0, 17.0]
    assert fixed.log["asset"].tolist() == ["A", "B", "A", "B", "A", "A"]
    assert fixed.log["date"].dt.day.tolist() == [2, 3, 4, 4, 5, 6]
    assert fixed.summary().to_dict("records") == [
        {"asset": "A", "action": "forward-filled", "count": 4},
        {"asset": "B", "action": "forward-filled", "count": 2},
    ]
    pd.testing.assert_frame_equal(p, snap)


def test_repair_missing_refuses_a_run_longer_than_the_limit_whole():
    # limit=2: A's 3-period gap is refused whole (pandas' ffill(limit=2) would fill 2 of its 3 dates)
    p = _gappy()
    with pytest.raises(MissingDataError) as err:
        rkd.repair_missing(p, method="ffill", limit=2)
    assert str(err.value) == (
        "prices has gaps longer than limit=2 periods, which forward-fill does not repair: "
        "'A' on 3 date(s): 2024-01-04, 2024-01-05, 2024-01-06. Raise limit to 3, use method='drop', "
        "or cut the dates away."
    )
    # the same rule behind read(missing="ffill", ffill_limit=)
    rule = r"longer than ffill_limit=2 periods.*'A' on 3 date\(s\)"
    with pytest.raises(MissingDataError, match=rule) as err:
        rkd.read_prices(p, missing="ffill", ffill_limit=2)
    assert err.value.fixes == ({"missing": "ffill", "ffill_limit": 3}, {"missing": "drop"})
    with pytest.warns(DataRepairWarning):
        read = rkd.read_prices(p, missing="ffill", ffill_limit=3)
    np.testing.assert_array_equal(read.to_numpy(), rkd.repair_missing(p, method="ffill", limit=3).prices)


def test_repair_missing_cannot_invent_prices_before_the_first():
    p = _gappy()
    p.iloc[:2, 2] = np.nan
    with pytest.raises(MissingDataError) as err:
        rkd.repair_missing(p, method="ffill")
    assert str(err.value) == (
        "prices has missing values that forward-fill cannot repair (before an asset's first price): "
        "'C' on 2 date(s): 2024-01-01, 2024-01-02. Trim the dates or use method='drop'."
    )


def test_repair_missing_drop_removes_every_date_with_a_gap():
    fixed = rkd.repair_missing(_gappy(), method="drop")
    assert fixed.prices.index.day.tolist() == [1, 7, 8]
    assert fixed.prices["A"].tolist() == [1.0, 7.0, 8.0]
    assert fixed.log["action"].unique().tolist() == ["row dropped"] and len(fixed.log) == 6
    with pytest.raises(InvalidParameterError, match="limit applies to method='ffill' only"):
        rkd.repair_missing(_gappy(), method="drop", limit=2)


def test_repair_result_keeps_the_result_contract():
    import pickle

    fixed = rkd.repair_missing(_gappy(), method="ffill")
    assert repr(fixed) == "RepairResult(8 dates x 3 assets, 6 changes logged)"
    assert "<strong>RepairResult</strong>" in fixed._repr_html_() and "<table" in fixed._repr_html_()
    again = pickle.loads(pickle.dumps(fixed))
    pd.testing.assert_frame_equal(again.summary(), fixed.summary())
    pd.testing.assert_frame_equal(again.prices, fixed.prices)
    with pytest.raises(AttributeError):
        fixed.prices = None


def test_check_prices_returns_a_float_copy_and_names_every_problem():
    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    p = pd.DataFrame({"A": [1.0, 2.0, 3.0], "B": [4, 5, 6]}, index=idx)  # ints are numbers
    out = rkd.check_prices(p)
    assert (out.dtypes == np.float64).all() and out["B"].tolist() == [4.0, 5.0, 6.0]
    out.iloc[0, 0] = 99.0
    assert p.iloc[0, 0] == 1.0  # a copy, never a view of the input
    from riskkit.exceptions import NonFiniteError, NonNumericError, NonPositivePriceError

    with pytest.raises(NonNumericError, match="'C' is boolean"):
        rkd.check_prices(p.assign(C=[True, False, True]))
    # inf, then missing, then non-positive: the first found is reported, cells named
    bad = p.astype(float)
    bad.iloc[1, 0], bad.iloc[2, 1], bad.iloc[0, 1] = np.inf, np.nan, -1.0
    with pytest.raises(NonFiniteError, match=r"'A' on 1 date\(s\): 2024-01-02"):
        rkd.check_prices(bad)
    bad.iloc[1, 0] = 2.0
    with pytest.raises(MissingDataError, match=r"'B' on 1 date\(s\): 2024-01-03\. Pass missing='ffill'"):
        rkd.check_prices(bad)
    bad.iloc[2, 1] = 6.0
    rule = r"zero or negative at 'B' on 1 date\(s\): 2024-01-01\. Nothing is repaired"
    with pytest.raises(NonPositivePriceError, match=rule):
        rkd.check_prices(bad)


# ---------------------------------------------------------------- options not tested before (issue 24)


def _split_frame() -> pd.DataFrame:
    """A halves on 2024-01-04 and stays there (a 2-for-1 split); B moves 1% a day."""
    idx = pd.date_range("2024-01-01", periods=6, freq="D")
    return pd.DataFrame(
        {"A": [100.0, 101, 102, 51, 51.5, 52], "B": [10.0, 10.1, 10.2, 10.3, 10.4, 10.5]}, index=idx
    )


def test_dismiss_takes_a_reviewed_move_out_of_the_flags_and_the_caution():
    kept = rkd.read(_split_frame())
    assert list(kept.flags.loc[kept.flags["flag"] == "split", "asset"]) == ["A"]
    assert kept.cautions()  # a caution while the move is neither adjusted nor dismissed
    for dismiss in ("A@2024-01-04", ["A@2024-01-04"], [("A", "2024-01-04")]):
        data = rkd.read(_split_frame(), dismiss=dismiss)
        assert not (data.flags["flag"] == "split").any() and data.cautions() == []
        row = data.log[data.log["step"] == "dismiss"]
        assert list(row["asset"]) == ["A"] and row["date"].iloc[0] == pd.Timestamp("2024-01-04")
        assert row["value"].iloc[0] == 2.0 and "kept as is" in row["action"].iloc[0]
        pd.testing.assert_frame_equal(data.prices, kept.prices)  # nothing changed
    # adjust_splits leaves a dismissed move alone: the prices before it are not halved
    both = rkd.read(_split_frame(), adjust_splits=True, dismiss="A@2024-01-04")
    assert both.prices["A"].iloc[0] == 100.0 and not (both.log["step"] == "adjust_splits").any()
    adjusted = rkd.read(_split_frame(), adjust_splits=True)
    assert adjusted.prices["A"].iloc[0] == 50.0  # (the test above could not pass without the dismissal)


def test_dismiss_of_a_move_that_is_not_flagged_is_an_error_listing_the_flagged_ones():
    with pytest.raises(InvalidParameterError) as err:
        rkd.read(_split_frame(), dismiss=["A@2024-01-04", "B@2024-01-03"])
    assert "dismiss= names 'B@2024-01-03', which is not a split-like move" in str(err.value)
    assert "its split-like moves are 'A@2024-01-04'" in str(err.value)
    assert list(err.value.fixes) == [{"dismiss": ["A@2024-01-04"]}]
    with pytest.raises(InvalidParameterError, match="is not a date"):
        rkd.read(_split_frame(), dismiss="A@January")
    with pytest.raises(InvalidParameterError, match="'ASSET@YYYY-MM-DD'"):
        rkd.read(_split_frame(), dismiss=["A"])


def _two_closes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"],
            "X": [10.0, 11.0, 11.5, 12.0],
            "Y": [20.0, 21.0, 21.0, 22.0],
        }
    )


@pytest.mark.parametrize("choice, x", [("first", 11.0), ("last", 11.5)])
def test_duplicates_first_or_last_keeps_that_row_and_logs_it(choice, x):
    data = rkd.read(_two_closes(), duplicates=choice)
    assert list(data.prices["X"]) == [10.0, x, 12.0] and list(data.prices["Y"]) == [20.0, 21.0, 22.0]
    chosen = data.log[data.log["step"] == "duplicates"]
    assert list(chosen["asset"]) == ["X"] and chosen["date"].iloc[0] == pd.Timestamp("2024-01-02")
    assert chosen["action"].iloc[0] == (
        f"2 rows with different prices (11, 11.5): the {choice} kept, {x:g} (duplicates={choice!r})"
    )
    with pytest.warns(DataRepairWarning, match=r"1 duplicated date\(s\) with different prices, one row kept"):
        rkd.read_prices(_two_closes(), duplicates=choice)


@pytest.mark.parametrize("choice, x", [("first", 11.0), ("last", 11.5)])
def test_duplicates_first_or_last_in_a_long_table(choice, x):
    long = pd.DataFrame(
        {
            "Date": ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"] * 2,
            "Ticker": ["X"] * 4 + ["Y"] * 4,
            "Close": [10.0, 11.0, 11.5, 12.0, 20.0, 21.0, 21.0, 22.0],
        }
    )
    data = rkd.read(long, duplicates=choice)
    assert list(data.prices["X"]) == [10.0, x, 12.0] and list(data.prices["Y"]) == [20.0, 21.0, 22.0]
    assert list(data.log.loc[data.log["step"] == "duplicates", "asset"]) == ["X"]
    assert list(data.log.loc[data.log["step"] == "duplicate", "asset"]) == ["Y"]  # same price: kept once
    with pytest.raises(DuplicateError, match=r"'X' on 2024-01-02 \(11, 11.5\)"):
        rkd.read(long)


def test_mixed_offsets_are_refused_naming_the_rows(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "Date,X\n2024-01-02 00:00:00+01:00,1\n2024-01-03 00:00:00+01:00,2\n2024-01-04 00:00:00,3\n"
        "2024-01-05 00:00:00+01:00,4\n"
    )
    with pytest.raises(CalendarError) as err:
        rkd.read(path)
    text = str(err.value)
    assert "mixes stamps with a UTC offset (row 1 '2024-01-02 00:00:00+01:00', row 2" in text
    assert "and stamps without one (row 3 '2024-01-04 00:00:00')" in text


def test_mixed_offsets_in_a_long_table_name_the_rows_of_the_file(tmp_path):
    path = tmp_path / "long.csv"
    rows = [f"2024-01-0{d} 00:00:00+01:00,{a},{d}" for a in "AB" for d in (2, 3, 4)]
    rows[4] = "2024-01-03 00:00:00,B,3"  # the fifth row has no offset
    path.write_text("Date,Ticker,Close\n" + "\n".join(rows) + "\n")
    with pytest.raises(CalendarError, match=r"stamps without one \(row 5 '2024-01-03 00:00:00'\)"):
        rkd.read(path)


@pytest.mark.parametrize("codec, label", [("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")])
def test_utf16_without_a_byte_order_mark(tmp_path, codec, label):
    path = tmp_path / "u16.csv"
    path.write_bytes(
        "Date\tBTC\tETH\r\n2024-01-01\t42000.5\t2300.25\r\n2024-01-02\t43000\t2350\r\n".encode(codec)
    )
    assert not path.read_bytes().startswith((b"\xff\xfe", b"\xfe\xff"))
    data = rkd.read(path)
    assert data.prices.to_numpy().tolist() == [[42000.5, 2300.25], [43000.0, 2350.0]]
    assert f"encoding UTF-16 ({label}, no byte-order mark: every other byte NUL)" in list(data.log["action"])


def test_explicit_sep_and_decimal_read_and_are_not_detected(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text("Datum;DAX;SAP\n2024-01-02;16769,36;138,5\n2024-01-03;16538,39;139,02\n")
    detected = rkd.read(path)
    given = rkd.read(path, sep=";", decimal=",")
    pd.testing.assert_frame_equal(given.prices, detected.prices)
    assert given.prices.to_numpy().tolist() == [[16769.36, 138.5], [16538.39, 139.02]]
    assert any("delimiter semicolon" in a for a in detected.log["action"])
    assert not any(
        "delimiter" in a or "decimal comma" in a for a in given.log["action"]
    )  # given, not guessed


def test_explicit_sep_or_decimal_that_contradicts_the_file_is_an_error(tmp_path):
    comma = tmp_path / "comma.csv"
    comma.write_text("Date,X,Y\n2024-01-02,1.5,2.5\n2024-01-03,1.6,2.6\n")
    with pytest.raises(InvalidParameterError) as err:
        rkd.read(comma, sep=";")
    assert "sep=';' splits no line" in str(err.value) and list(err.value.fixes) == [{"sep": ","}]
    dots = tmp_path / "dots.csv"
    dots.write_text("Date;X;Y\n2024-01-02;1234.56;2.5\n2024-01-03;1240.10;2.6\n")
    with pytest.raises(InvalidParameterError) as err:  # read with decimal=",", 1234.56 would be 123456
        rkd.read(dots, decimal=",")
    assert "decimal=',' contradicts" in str(err.value) and "such as '1234.56'" in str(err.value)
    assert list(err.value.fixes) == [{"decimal": "."}]
    commas = tmp_path / "commas.csv"
    commas.write_text("Date;X;Y\n2024-01-02;1234,56;2,5\n2024-01-03;1240,10;2,6\n")
    with pytest.raises(InvalidParameterError, match=r"decimal='\.' contradicts .* such as '1234,56'"):
        rkd.read(commas, decimal=".")
    assert rkd.read(dots, decimal=".").prices["X"].tolist() == [1234.56, 1240.10]  # the right choice reads
    # sep="," on a ";" file with decimal commas splits its rows at the commas (3 fields) but not
    # its header (1): refused, not read as "Date;X" dates and "56;2" prices
    with pytest.raises(InvalidParameterError) as err:
        rkd.read(commas, sep=",")
    assert "splits the header of source 'commas.csv' into 1 fields and its rows into 3" in str(err.value)
    assert list(err.value.fixes) == [{"sep": ";"}]
    assert rkd.read(commas, sep=";").prices["X"].tolist() == [1234.56, 1240.10]


def test_yyyymmdd_numbers_are_dates(tmp_path):
    path = tmp_path / "stooq.csv"
    path.write_text("<DATE>,<CLOSE>\n20100104,30.95\n20100105,30.96\n20100106,30.77\n")
    data = rkd.read(path)
    assert list(data.prices.index) == list(pd.to_datetime(["2010-01-04", "2010-01-05", "2010-01-06"]))
    assert any("yyyymmdd numbers (e.g. 20100104 is 2010-01-04)" in a for a in data.log["action"])
    newest_first = rkd.read(pd.DataFrame({"date": [20240103, 20240102], "X": [2.0, 1.0]}))
    assert list(newest_first.prices["X"]) == [1.0, 2.0]


def test_yyyymmdd_guard_codes_out_of_order_or_invalid_are_not_dates():
    shuffled = pd.DataFrame({"date": [20240103, 20240101, 20240102], "X": [3.0, 1.0, 2.0]})
    with pytest.raises(CalendarError, match=r"not in order \(20240103 then 20240101\)") as err:
        rkd.read(shuffled)
    assert list(err.value.fixes) == [{"date_format": "%Y%m%d"}]
    assert list(rkd.read(shuffled, date_format="%Y%m%d").prices["X"]) == [1.0, 2.0, 3.0]
    with pytest.raises(CalendarError, match="not Unix epoch times"):  # month 13: not a date
        rkd.read(pd.DataFrame({"date": [20241301, 20241302], "X": [1.0, 2.0]}))
    with pytest.raises(CalendarError, match="not Unix epoch times"):  # 7 digits (ddmmyyyy lost its 0)
        rkd.read(pd.DataFrame({"date": [4012010, 5012010], "X": [1.0, 2.0]}))


def test_tickers_of_digits_keep_their_leading_zeros(tmp_path):
    path = tmp_path / "hk.csv"
    path.write_text(
        "Date,Ticker,Close\n2024-01-02,0700,290.5\n2024-01-03,0700,291\n2024-01-02,9988,70\n2024-01-03,9988,71\n"
    )
    assert list(rkd.read(path).prices.columns) == ["0700", "9988"]


def test_csv_numbers_parsed_as_read_match_the_text(tmp_path):
    """The values pandas parses while reading are the numbers the text says (a wrong decimal or
    thousands handling would change them), in a wide and in a long file."""
    wide = tmp_path / "w.csv"
    wide.write_text('Date,X,Y\n2024-01-02,"1,234.5",0.001\n2024-01-03,"1,240.25",1e-3\n')
    assert rkd.read(wide).prices.to_numpy().tolist() == [[1234.5, 0.001], [1240.25, 0.001]]
    long = tmp_path / "l.csv"
    long.write_text("Date;Symbol;Close\n02.01.2024;A;1.234,5\n03.01.2024;A;1.240,25\n")
    data = rkd.read(long, date_format="%d.%m.%Y")
    assert data.prices["A"].tolist() == [1234.5, 1240.25]
    assert list(data.prices.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]


# ----------------------------------------------------------------------------- simulated datasets


def test_crypto_sim_crash_periods_are_the_simulators():
    from riskkit.data._catalog import info

    regimes = __import__("riskkit").datasets.simulated("crypto_sim").regimes
    crash = (regimes == "crash").to_numpy().astype(int)
    edges = np.flatnonzero(np.diff(np.r_[0, crash, 0])).reshape(-1, 2)
    periods = [(f"{regimes.index[a]:%Y-%m-%d}", f"{regimes.index[b - 1]:%Y-%m-%d}") for a, b in edges]
    assert tuple(periods) == info("crypto_sim").crash_periods


def test_simulated_dataset_has_no_split_suspicions_and_names_the_simulators_days():
    from riskkit.data._catalog import data_dir

    data = rkd.load("crypto_sim")
    assert not (data.flags["flag"] == "split").any() and data.cautions() == []
    eth = data.flags[(data.flags["asset"] == "ETH_SIM") & (data.flags["date"] == "2020-09-26")].iloc[0]
    # read as a file, the same move is a 3-for-2 split suspicion: the relabelling is the dataset's
    as_file = rkd.read(data_dir() / "crypto_sim.csv").flags.set_index(["asset", "date"])
    assert as_file.loc[("ETH_SIM", pd.Timestamp("2020-09-26")), "flag"] == "split"
    p = data.prices["ETH_SIM"]
    ratio = p["2020-09-26"] / p["2020-09-25"]
    assert eth["flag"] == "outlier" and eth["detail"] == (
        f"return {ratio - 1:+.1%} (price ratio {ratio:.3f}), robust z-score {eth['value']:.1f}: a calm day "
        "of crypto_sim's simulation (its shocks are fat-tailed and their volatility clusters); the simulator "
        "makes no splits"
    )
    x = np.log(p / p.shift()).dropna().to_numpy()
    mad = 1.4826 * np.median(np.abs(x - np.median(x)))
    assert eth["value"] == pytest.approx(abs(np.log(ratio) - np.median(x)) / mad)
    crash = data.flags[(data.flags["asset"] == "ETH_SIM") & (data.flags["date"] == "2022-05-24")].iloc[0]
    assert crash["detail"].endswith(
        "a simulated crash day (crypto_sim's crash period 2022-05-18 to 2022-05-24)"
    )
    with pytest.raises(InvalidParameterError, match="simulated dataset: its simulator makes no splits"):
        rkd.load("crypto_sim", adjust_splits=True)
    assert not rkd.load("sp500_stocks").flags["detail"].str.contains("simulat").any()
