"""The corpus of real-looking files (tests/corpus.py), each read by rk.data.read with only the
options a user would pass, and checked against what pandas holds: dates, calendar, prices."""

import warnings

import pandas as pd
import pytest

import riskkit as rk
from riskkit.data.calendar import infer_periods_per_year
from riskkit.exceptions import DataRepairWarning
from tests.corpus import write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {c.name: c for c in write_corpus(tmp_path_factory.mktemp("corpus"))}


def test_the_corpus_is_large_enough(corpus):
    assert len(corpus) >= 30
    assert sum(c.error is None for c in corpus.values()) >= 30


NAMES = [c.name for c in write_corpus(__import__("pathlib").Path(__import__("tempfile").mkdtemp()))]


@pytest.mark.parametrize("name", NAMES)
def test_each_file_reads_right_or_is_refused(corpus, name):
    case = corpus[name]
    if case.error is not None:
        with pytest.raises(case.error, match=case.match):
            rk.data.read(case.path, **case.options)
        return
    data = rk.data.read(case.path, **case.options)
    got = data.prices
    assert list(got.columns) == list(case.expected.columns)
    pd.testing.assert_frame_equal(
        got, case.expected, check_exact=False, rtol=1e-12, check_freq=False, check_index_type=False
    )
    if case.periods_per_year is not None:
        assert infer_periods_per_year(got) == case.periods_per_year
    assert not (data.flags["flag"] == "split").any(), data.flags  # no split left unexplained


def test_the_dialects_are_logged(corpus):
    actions = " | ".join(rk.data.read(corpus["excel_de"].path).log["action"])
    assert "delimiter semicolon (';')" in actions and "decimal comma, thousands mark '.'" in actions
    actions = " | ".join(rk.data.read(corpus["excel_fr"].path).log["action"])
    assert "encoding cp1252 (Windows, as Excel writes it): byte 0xa0" in actions
    assert r"thousands mark '\xa0'" in actions
    assert "encoding UTF-16 (from its byte-order mark)" in " ".join(
        rk.data.read(corpus["excel_utf16_tab"].path).log["action"]
    )


def test_offsets_keep_the_local_date_and_say_so(corpus):
    data = rk.data.read(corpus["yfinance_tokyo"].path)
    assert data.prices.index[0] == pd.Timestamp("2010-01-04")  # 00:00+09:00 is not 2010-01-03 15:00 UTC
    assert any("read as its local calendar date" in a for a in data.log["action"])
    hourly = rk.data.read(corpus["yfinance_hourly"].path)
    assert hourly.prices.index[0] == pd.Timestamp("2024-03-04 08:00")  # 09:00+01:00 in UTC


def test_exact_repeats_and_chosen_duplicates_warn_in_read_prices(corpus):
    with pytest.warns(
        DataRepairWarning,
        match=r"exact repeated rows on 1 date\(s\) kept once: 'AAPL' on 1 date\(s\): 2010-01-29",
    ):
        rk.data.read_prices(corpus["exact_repeated_row"].path)
    with pytest.warns(DataRepairWarning, match=r"duplicated date\(s\) with different prices, one row kept"):
        rk.data.read_prices(corpus["duplicated_dates"].path, duplicates="last")
    # the report's notes name each resolved date, and the summary counts it with the duplicates
    data = rk.data.read(corpus["duplicated_dates"].path, duplicates="last")
    chosen = data.log[data.log["step"] == "duplicates"]
    assert len(chosen) > 0
    for r in chosen.itertuples():
        assert f"{r.asset} on {r.date:%Y-%m-%d}: {r.action}." in data.notes()
    assert data.summary()["duplicate"].sum() == len(chosen) + (data.flags["flag"] == "duplicate").sum()


def test_without_the_stated_option_the_error_names_it(corpus):
    for name, option in (
        ("footer_rows", "footer"),
        ("duplicated_dates", "duplicates"),
        ("fred_dots", "missing"),
    ):
        with pytest.raises(rk.exceptions.RiskkitError) as err:
            rk.data.read(corpus[name].path)
        assert option in err.value.fix, (name, err.value, err.value.fixes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = rk.data.read(corpus["splits_any_ratio"].path)
    assert sorted(kept.flags.loc[kept.flags["flag"] == "split", "value"].round(4)) == [
        0.05,
        0.1,
        1.25,
        1.5,
        3.0,
    ]
