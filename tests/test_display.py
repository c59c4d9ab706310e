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
    assert out["asset"].tolist() == ["BTC", "ETH"] and out["held"].tolist() == [True, False]
    text = out.to_string()
    assert "e+" not in text and "e-" not in text
    with pytest.raises(InvalidParameterError, match=r"table: no column 'wieght'; the columns are 'asset'"):
        display.table(t, percent=["wieght"])


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
    assert formats.figure(0.61951, ".1%") == "62.0%" and formats.figure(True, ".1%") == "True"
    assert formats.figure(np.float64(np.nan)) == "" and formats.figure(None) == ""
    # dates: the day alone at midnight, ISO 8601 with the time otherwise (nanoseconds kept)
    assert formats.date(pd.Timestamp("2024-01-03")) == "2024-01-03"
    assert formats.date(pd.Timestamp("2024-01-03 12:30")) == "2024-01-03T12:30:00"
    assert formats.date(pd.Timestamp("2024-01-03 00:00:00.000000001")) == "2024-01-03T00:00:00.000000001"
    assert formats.date(pd.Timestamp("2024-01-03", tz="UTC")) == "2024-01-03"
    assert formats.date("2024-01-03") == "2024-01-03"
