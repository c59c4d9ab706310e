"""riskkit.rebalancing.trades: today's trade list, computed by hand."""

import numpy as np
import pandas as pd
import pytest

from riskkit.exceptions import InvalidParameterError, NonPositivePriceError
from riskkit.rebalancing.costs import Costs
from riskkit.rebalancing.trades import position, trade_list

W5050 = pd.Series({"A": 0.5, "B": 0.5})


def test_three_assets_with_lots_and_costs_by_hand():
    """A 10 at 100, B 5 at 200, C none at 50, cash 1,000: value 3,000; target 20/30/50;
    whole units; 10 bp plus 1 per order.

    Targets are set on the value left after costs: A sells 4 (600 - 1,000 = -400 -> -4.0 units),
    B's 0.5-unit sell rounds to 0, C buys 1,498 / 50 -> 29 units. Buying 1,450 with 1,000 cash and
    400 from A overdraws cash (-53.85 with costs), so C is cut lot by lot: 28 (cash -3.80), 27
    (cash 1,000 + 400 - 1,350 - 3.75 = 46.25). Costs: A 0.4 + 1, C 1.35 + 1 = 3.75."""
    tl = trade_list(
        pd.Series({"A": 10.0, "B": 5.0}),
        pd.Series({"A": 100.0, "B": 200.0, "C": 50.0}),
        pd.Series({"A": 0.2, "B": 0.3, "C": 0.5}),
        cash=1_000.0,
        lot_sizes=1.0,
        costs=Costs(proportional=0.001, fixed=1.0),
    )
    t = tl.trades
    assert t["units_trade"].tolist() == [-4.0, 0.0, 27.0]
    assert t["notional"].tolist() == [-400.0, 0.0, 1350.0]
    np.testing.assert_allclose(t["cost"], [1.4, 0.0, 2.35], rtol=1e-12)
    assert t["side"].tolist() == ["sell", "hold", "buy"]
    assert tl.value_before == 3000.0
    assert tl.costs == pytest.approx(3.75) and tl.cash_after == pytest.approx(46.25)
    assert tl.value_after == pytest.approx(2996.25)
    np.testing.assert_allclose(t["weight_after"], np.array([600.0, 1000.0, 1350.0]) / 2996.25)
    np.testing.assert_allclose(t["drift"], [1 / 3 - 0.2, 1 / 3 - 0.3, -0.5])
    assert t.loc["A", "reason"].startswith("above target") and t.loc["C", "reason"].startswith("below")
    assert len(tl.orders) == 2


def test_trade_list_by_hand():
    holdings = pd.Series({"BTC": 1.0, "ETH": 10.0})
    prices = pd.Series({"BTC": 60_000.0, "ETH": 3_000.0, "SOL": 150.0})
    target = pd.Series({"BTC": 0.5, "ETH": 0.3, "SOL": 0.2})
    tl = trade_list(holdings, prices, target, cash=10_000.0)
    t = tl.trades
    assert tl.value_before == 100_000.0
    assert t.loc["BTC", "units_trade"] == pytest.approx(-1 / 6)
    assert t.loc["SOL", "units_trade"] == pytest.approx(20_000 / 150)
    assert t.loc["BTC", "reason"].startswith("above target") and t.loc["SOL", "reason"].startswith(
        "below target"
    )
    assert tl.cash_after == pytest.approx(0.0, abs=1e-8)
    np.testing.assert_allclose(t["weight_after"], t["target"], atol=1e-12)
    lots = trade_list(
        holdings,
        prices,
        target,
        cash=10_000.0,
        lot_sizes=pd.Series({"BTC": 0.01, "ETH": 1, "SOL": 1}),
        costs=Costs(proportional=0.001, fixed=1.0, min_trade=100.0),
    )
    lt = lots.trades
    assert lt.loc["BTC", "units_trade"] == pytest.approx(-0.16)
    assert (np.abs(lt["notional"][lt["notional"] != 0]) >= 100).all()
    assert lots.cash_after >= 0
    assert lots.value_before == pytest.approx(lots.value_after + lots.costs)
    assert lots.costs == pytest.approx(
        (np.abs(lt["notional"]) * 1e-3).sum() + (lt["side"] != "hold").sum() * 1.0
    )


def test_trade_list_fraction_by_hand():
    """A 6:2 split at equal prices, target 50/50: the full trade sells 2 A and buys 2 B;
    a quarter of the way sells 0.5 A and buys 0.5 B (A then holds 55 of 80); 0 places nothing."""
    holdings, prices = pd.Series({"A": 6.0, "B": 2.0}), pd.Series({"A": 10.0, "B": 10.0})
    full = trade_list(holdings, prices, W5050)
    quarter = trade_list(holdings, prices, W5050, fraction=0.25)
    assert full.trades["units_trade"].tolist() == pytest.approx([-2.0, 2.0])
    assert quarter.trades["units_trade"].tolist() == pytest.approx([-0.5, 0.5])
    assert quarter.trades.loc["A", "weight_after"] == pytest.approx(55 / 80)
    assert len(trade_list(holdings, prices, W5050, fraction=0.0).orders) == 0
    with pytest.raises(InvalidParameterError, match=r"fraction"):
        trade_list(holdings, prices, W5050, fraction=1.5)


def test_trade_list_bad_input():
    with pytest.raises(InvalidParameterError, match="prices are missing for 'SOL'"):
        trade_list(pd.Series({"BTC": 1.0}), pd.Series({"BTC": 1.0}), pd.Series({"BTC": 0.5, "SOL": 0.5}))
    with pytest.raises(InvalidParameterError, match=r"target must sum to 1; it sums to 0\.9"):
        trade_list(pd.Series({"BTC": 1.0}), pd.Series({"BTC": 1.0}), pd.Series({"BTC": 0.9}))


def test_prices_must_be_positive_one_rule():
    with pytest.raises(NonPositivePriceError, match="prices must be positive; zero or negative for 'B'"):
        trade_list(pd.Series({"A": 1.0}), pd.Series({"A": 10.0, "B": -1.0}), W5050)
    with pytest.raises(NonPositivePriceError, match="zero or negative for 'A'"):
        position(pd.Series({"A": 0.0}), holdings={"A": 1.0})
    pos = position(pd.Series({"A": 10.0, "B": 5.0}), holdings={"A": 2.0}, cash=30.0)
    assert pos.value == 50.0 and pos.weights.tolist() == [0.4, 0.0]
