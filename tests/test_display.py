"""The display policy (issue 14): percentages, money, counts, no scientific notation."""

import numpy as np
import pandas as pd
import pytest

from riskkit import display
from riskkit.exceptions import InvalidParameterError


def test_percent_and_money_by_hand():
    assert display.percent(0.61604) == "61.6%" and display.percent(0.61604, 2) == "61.60%"
    assert display.percent(-0.0004) == "0.0%"  # no negative zero
    assert display.money(8416900.4) == "8,416,900" and display.money(217.456, 2) == "217.46"
    assert display.money(-0.3) == "0" and display.money(-1234.5) == "-1,234"  # round half to even
    assert display.percent(np.nan) == "–" and display.money(np.nan) == "–"


def test_table_formats_each_column_and_leaves_the_input_alone():
    t = pd.DataFrame(
        {
            "asset": ["BTC", "ETH"],
            "weight": [0.123456, 0.876544],
            "trade (USD)": [8.4169e6, -8.4803e-03],
            "orders": [12.0, np.nan],
            "beta": [1.23456789, 2.0],
            "held": [True, False],
        }
    )
    before = t.copy()
    out = display.table(
        t, percent=["weight"], money=["trade (USD)"], integer=["orders"], decimals={"beta": 2}
    )
    pd.testing.assert_frame_equal(t, before)
    assert out["weight"].tolist() == ["12.3%", "87.7%"]
    assert out["trade (USD)"].tolist() == ["8,416,900", "0"]
    assert out["orders"].tolist() == ["12", "–"] and out["beta"].tolist() == ["1.23", "2.00"]
    assert out["asset"].tolist() == ["BTC", "ETH"] and out["held"].tolist() == ["yes", "no"]
    text = out.to_string()
    assert "e+" not in text and "e-" not in text
    with pytest.raises(InvalidParameterError, match=r"table: no column 'wieght'; the columns are 'asset'"):
        display.table(t, percent=["wieght"])


def test_price_one_rule_by_hand():
    """Two decimals from 1 up, four significant digits below 1 (issue 26: BTC at 20,558.55
    beside SHIB at 0.0001638, not a mix of 2 to 11 decimals)."""
    f = display.price
    assert [f(20558.54811), f(232.392882), f(18.35994), f(1.11615), f(1.0)] == [
        "20,558.55", "232.39", "18.36", "1.12", "1.00",
    ]  # fmt: skip
    assert [f(0.184101), f(0.0163769), f(0.000163769), f(0.5), f(0.99996)] == [
        "0.1841", "0.01638", "0.0001638", "0.5000", "1.00",
    ]  # fmt: skip
    assert f(-0.000163769) == "-0.0001638" and f(0.0) == "0.00" and f(np.nan) == "–"


def test_quantity_at_the_precision_of_its_price_by_hand():
    """Decimals = the price's digits before the point (none below 1, at most 8): one step of
    the last digit is worth between a tenth of a currency unit and one."""
    q = display.quantity
    assert q(-126167215.4453, 0.000163769) == "-126,167,215"  # SHIB: whole units (was -126,167,215.4453)
    assert q(-112535.1693, 0.184101) == "-112,535"  # DOGE at 0.18: 1 unit is 0.18
    assert q(-3396.6972, 1.11615) == "-3,396.7"  # ADA at 1.12: 0.1 unit is 0.11
    assert q(921.2976, 18.3599) == "921.30" and q(114.682, 232.393) == "114.682"
    assert q(2.70624, 20558.55) == "2.70624"  # BTC at 20,558: 0.00001 BTC is 0.21
    assert q(1.5, 1e12) == "1.50000000" and q(-0.0004, 0.5) == "0"  # at most 8 decimals; no "-0"
    assert q(2.5, 0.0) == "2.5000" and q(2.5, np.nan) == "2.5000" and q(np.nan, 3.0) == "–"
    t = pd.DataFrame(
        {"price": [20558.55, 0.000163769], "units": [2.70624, -126167215.4453]}, index=["BTC", "SHIB"]
    )
    out = display.table(t, prices=["price"], quantities={"units": "price"})
    assert out["units"].tolist() == ["2.70624", "-126,167,215"] and out["price"].tolist() == [
        "20,558.55",
        "0.0001638",
    ]
    with pytest.raises(InvalidParameterError, match=r"table: no column 'cost'"):
        display.table(t, quantities={"units": "cost"})


def test_table_by_rows_formats_a_transposed_summary_and_counts_of_an_integer_dtype():
    summary = pd.DataFrame(
        {"volatility": [0.61604], "periods_per_year": [365.0], "ratio": [1.398043], "largest": ["SHIB"]},
        index=["portfolio"],
    ).assign(alerts=[2])
    before = summary.copy()
    out = display.table(
        summary.T, axis="index", percent=["volatility"], integer=["periods_per_year"], decimals=2
    )
    pd.testing.assert_frame_equal(summary, before)
    assert out["portfolio"].tolist() == ["61.6%", "365", "1.40", "SHIB", "2"]  # alerts: int64, a whole number
    assert list(out.index) == list(summary.columns)
    series = display.table(summary.iloc[0], axis="index", percent=["volatility"])  # a Series of mixed figures
    assert series["portfolio"].tolist() == ["61.6%", "365.0000", "1.3980", "SHIB", "2"]
    counts = display.table(pd.DataFrame({"crashes": np.array([22, 3]), "rate": [0.5, 1.26]}), decimals=1)
    assert counts["crashes"].tolist() == ["22", "3"] and counts["rate"].tolist() == ["0.5", "1.3"]
    with pytest.raises(InvalidParameterError, match=r"table: no row 'volatilty'; the rows are 'volatility'"):
        display.table(summary.T, axis="index", percent=["volatilty"])
    with pytest.raises(InvalidParameterError, match="axis"):
        display.table(summary, axis="rows")


def test_setup_never_prints_scientific_notation():
    keys = ("display.float_format", "display.width", "display.max_colwidth")
    with pd.option_context(*[x for k in keys for x in (k, pd.get_option(k))]):
        display.setup()
        text = pd.DataFrame({"x": [8.4169e6, 8.4803e-03, 1e-9]}).to_string()
    assert text.split() == ["x", "0", "8,416,900.0000", "1", "0.0085", "2", "0.0000"]


def test_bullets_fold_the_lines_past_the_limit():
    lines = [f"note {i}." for i in range(5)]
    assert display.bullets(lines[:2], limit=2) == "- note 0.\n- note 1."
    text = display.bullets(lines, limit=2)
    assert text.startswith("- note 0.\n- note 1.\n\n<details><summary>3 more</summary>")
    assert text.count("- note") == 5 and text.endswith("</details>")
    assert display.bullets(lines, limit=0).startswith("<details><summary>5 more</summary>")
    with pytest.raises(InvalidParameterError, match="limit must be a whole number"):
        display.bullets(lines, limit=-1)


def test_one_place_writes_numbers_and_dates():
    """riskkit.display, the result objects, the reports package and the explorers all
    write through riskkit._core.formats (display re-exports the same functions)."""
    from riskkit._core import formats

    assert display.percent is formats.percent and display.money is formats.money
    assert display.price is formats.price and display.difference is formats.difference
    assert formats.fixed(1234.5) == "1,234.5000" and formats.fixed(np.nan) == "–"
    assert formats.integer(12345.6) == "12,346" and formats.integer(np.nan) == "–"
    assert formats.significant(2 / 3, 6) == "0.666667"
    # a key figure: its spec, else 4 significant digits, whole units from 10,000; "" when missing
    assert formats.figure(0.61951) == "0.6195" and formats.figure(123456.7) == "123,457"
    assert formats.figure(0.61951, ".1%") == "62.0%" and formats.figure(True, ".1%") == "yes"
    assert formats.figure(False) == "no" and formats.figure(np.True_) == "yes"
    assert formats.figure(np.float64(np.nan)) == "" and formats.figure(None) == ""
    # dates: the day alone at midnight, ISO 8601 with the time otherwise (nanoseconds kept)
    assert formats.date(pd.Timestamp("2024-01-03")) == "2024-01-03"
    assert formats.date(pd.Timestamp("2024-01-03 12:30")) == "2024-01-03T12:30:00"
    assert formats.date(pd.Timestamp("2024-01-03 00:00:00.000000001")) == "2024-01-03T00:00:00.000000001"
    assert formats.date(pd.Timestamp("2024-01-03", tz="UTC")) == "2024-01-03"
    assert formats.date("2024-01-03") == "2024-01-03"


def test_period_names_one_period_of_the_data_calendar():
    from riskkit.display import period

    # calendars riskkit infers (riskkit.data.calendar.infer_periods_per_year) and the words for one period
    assert [period(p) for p in (365, 252, 52, 12, 4, 1, 8760, 6240)] == [
        "day", "day", "week", "month", "quarter", "year", "hour", "hour",
    ]  # fmt: skip
    assert period(12.0) == "month" and period(np.int64(252)) == "day"
    assert [period(p) for p in (None, 100, 12.5, True)] == ["period"] * 4  # no word made up
