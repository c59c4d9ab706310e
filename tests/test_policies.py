"""riskkit.rebalancing.policies: each policy's decision dates on a hand-made calendar."""

import numpy as np
import pandas as pd
import pytest

from riskkit.rebalancing import Calendar, Never, RiskBudgetTrigger, Threshold, VolatilityTrigger, make_policy
from riskkit.rebalancing.policies import looks_today, next_look

# 2024-01-29 (Mon) to 2024-02-12 (Mon), every day: January ends on day 2, week 5 on day 6
DAYS = pd.date_range("2024-01-29", "2024-02-12", freq="D")


def _dates(policy, index=DAYS):
    mask = policy._kernel_row(index, pd.Index([]))[0]
    return [d.strftime("%m-%d") for d in index[mask]]


def test_calendar_dates_by_hand():
    assert _dates(Calendar("M")) == ["02-01"]  # first observation of February
    assert _dates(Calendar("M", anchor="end")) == ["01-31"]  # last observation of January
    assert _dates(Calendar("W")) == ["02-05", "02-12"]  # Mondays: first day of each new week
    assert _dates(Calendar("W", anchor="end")) == ["02-04", "02-11"]  # Sundays
    assert _dates(Calendar(every=4)) == ["02-02", "02-06", "02-10"]  # days 4, 8, 12
    assert _dates(Calendar("D")) == [d.strftime("%m-%d") for d in DAYS[1:]]  # every date after day 0
    assert _dates(Never()) == []


def test_band_policies_look_every_period_or_on_their_monitor():
    assert _dates(Threshold(0.05)) == [d.strftime("%m-%d") for d in DAYS[1:]]
    assert _dates(Threshold(0.05, monitor=Calendar("W"))) == ["02-05", "02-12"]
    assert _dates(RiskBudgetTrigger(0.05, monitor=Calendar("M"))) == ["02-01"]
    assert _dates(VolatilityTrigger(0.1, monitor=Calendar("W", anchor="end"))) == ["02-04", "02-11"]


def test_today_and_the_next_look():
    # today 01-31 is the last day of January: an end-anchored monthly calendar looks today
    upto = DAYS[DAYS <= "2024-01-31"]
    assert looks_today(Calendar("M", anchor="end"), upto, None)
    assert not looks_today(Calendar("M"), upto, None)
    assert next_look(Calendar("M"), upto, None) == pd.Timestamp("2024-02-01")
    assert next_look(Threshold(0.05, monitor=Calendar("W")), upto, None) == pd.Timestamp("2024-02-05")
    assert next_look(Threshold(0.05), upto, None) is None  # looks every period


def test_threshold_rows_and_band_type():
    row = Threshold(0.05, band_type="relative", to="edge")._kernel_row(DAYS, pd.Index(["A"]))[1]
    np.testing.assert_array_equal(row, [0, 0.05, 1.0, -1.0, 0.0])  # kind, band, relative, edge, vol target
    with pytest.warns(FutureWarning, match=r"Threshold\(kind=\) is now Threshold\(band_type=\)"):
        old = Threshold(0.05, kind="relative")
    assert old == Threshold(0.05, band_type="relative")


def test_make_policy_freq_and_the_former_frequency():
    assert make_policy("calendar", freq="Q") == Calendar("Q")
    assert make_policy("relative_threshold", band=0.1, freq="W") == Threshold(
        0.1, band_type="relative", monitor=Calendar("W")
    )
    assert make_policy("volatility", band=0.2, freq="") == VolatilityTrigger(0.2)
    with pytest.warns(FutureWarning, match=r"make_policy\(frequency=\) is now make_policy\(freq=\)"):
        old = make_policy("threshold", band=0.05, frequency="M")
    assert old == make_policy("threshold", band=0.05, freq="M")
