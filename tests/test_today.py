"""Today's inputs and decisions for the risk report: load_prices, quality_notes,
target_weights, position, decision / decision_table / make_policy, hedge_status."""

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.exceptions import DataError, InvalidParameterError
from riskkit.rebalancing import (
    Calendar,
    Config,
    Never,
    RiskBudgetTrigger,
    Threshold,
    VolatilityTrigger,
    backtest,
    decision,
    decision_table,
    make_policy,
)
from riskkit.simulation import simulate_market


@pytest.fixture(scope="module")
def market():
    return simulate_market(n_assets=5, n_periods=400, seed=3).prices


# ---------------------------------------------------------------- data


def test_load_prices_by_dataset_name_or_file(tmp_path):
    by_name = rk.data.load_prices("crypto_sim")
    pd.testing.assert_frame_equal(by_name, rk.datasets.load("crypto_sim"))
    small = by_name.iloc[:10, :3]
    small.to_csv(tmp_path / "p.csv")
    pd.testing.assert_frame_equal(rk.data.load_prices(tmp_path / "p.csv"), small, check_freq=False)
    with pytest.raises(
        InvalidParameterError, match=r"neither a bundled dataset \('crypto_sim'.*nor an existing"
    ):
        rk.data.load_prices("crypto_simm")
    with pytest.raises(
        InvalidParameterError, match=r"format options 'layout', 'price_column' apply to files only"
    ):
        rk.data.load_prices("crypto_sim", layout="long", price_column="Close")
    with pytest.raises(
        InvalidParameterError, match=r"unknown read option\(s\) 'misssing'; the options are 'layout'"
    ):
        rk.data.load_prices("crypto_sim", misssing="ffill")
    window = rk.data.load_prices(
        "crypto_sim", assets=["ETH_SIM", "BTC_SIM"], start="2020-01-01", end="2020-01-31"
    )
    pd.testing.assert_frame_equal(window, by_name.loc["2020-01-01":"2020-01-31", ["ETH_SIM", "BTC_SIM"]])


def test_quality_notes_name_each_problem():
    idx = pd.date_range("2024-01-01", periods=12, freq="D", name="date")
    good = np.linspace(100, 111, 12)
    stale = np.r_[10.0, 11, 11, 11, 11, 11, 11, 11, 12, 13, 14, 15]  # 7 repeats of the previous price
    jump = np.r_[10.0, 10, 10.5, 10, 25, 24, 24.5, 24, 23, 22, 22.5, 23]  # +150% on day 5
    late = np.r_[np.nan, np.nan, np.linspace(5, 6, 10)]
    prices = pd.DataFrame({"OK": good, "STALE": stale, "JUMP": jump, "LATE": late}, index=idx)
    notes = rk.data.quality_notes(prices)
    assert notes == [
        "STALE: 6 consecutive unchanged prices (stale quotes?).",
        "JUMP: a one-period move of +150% on 2024-01-05.",
        "LATE: 2 missing prices.",
        "LATE: prices only from 2024-01-03 to 2024-01-12.",
    ]
    assert rk.data.quality_notes(prices[["OK"]]) == []
    assert rk.data.quality_notes(prices[["STALE"]], stale_run=6) == []
    with pytest.raises(InvalidParameterError, match="large_move"):
        rk.data.quality_notes(prices, large_move=0)


# ---------------------------------------------------------------- targets and positions


def test_target_weights_by_method_or_given(market):
    cov = rk.shrinkage.shrink(rk.data.to_returns(market)).covariance
    pd.testing.assert_series_equal(
        rk.allocation.target_weights(cov, "min_variance"), rk.allocation.min_variance(cov)
    )
    budgets = dict(zip(cov.index, [0.4, 0.3, 0.1, 0.1, 0.1], strict=True))
    pd.testing.assert_series_equal(
        rk.allocation.target_weights(cov, "risk_budgeting", budgets=budgets),
        rk.allocation.risk_budgeting(cov, budgets=budgets),
    )
    given = dict(zip(cov.index[::-1], [0.2] * 5, strict=True))
    got = rk.allocation.target_weights(cov, given)
    assert list(got.index) == list(cov.index) and np.allclose(got, 0.2)
    with pytest.raises(InvalidParameterError, match="method="):
        rk.allocation.target_weights(cov, "risk_parity")
    with pytest.raises(InvalidParameterError, match="budgets apply to method='risk_budgeting' only"):
        rk.allocation.target_weights(cov, "min_variance", budgets=budgets)
    with pytest.raises(InvalidParameterError, match=r"must sum to 1; it sums to 0\.8"):
        rk.allocation.target_weights(cov, dict(list(given.items())[:4]) | {cov.index[0]: 0.0})
    with pytest.raises(InvalidParameterError, match="in covariance only: 'A05'"):
        rk.allocation.target_weights(cov, {a: 0.25 for a in cov.index[:4]})


def test_position_from_holdings_or_weights(market):
    px = market.iloc[-1]
    a, b = px.index[:2]
    pos = rk.trades.position(market, holdings={a: 2.0, b: -1.0}, cash=50.0)
    value = 2 * px[a] - px[b] + 50
    assert pos.value == pytest.approx(value, rel=1e-15)
    assert pos.weights[a] == pytest.approx(2 * px[a] / value, rel=1e-15) and pos.weights.iloc[2:].eq(0).all()
    assert pos.cash_weight == pytest.approx(50 / value)
    assert list(pos.table().columns) == ["units", "price", "value", "weight"]
    pos = rk.trades.position(px, weights={a: 0.6, b: 0.3}, value=1000.0)
    assert pos.units[a] == pytest.approx(600 / px[a]) and pos.cash == pytest.approx(100.0)
    assert pos.value == pytest.approx(1000.0) and pos.weights[b] == pytest.approx(0.3)
    for kwargs, rule in (
        ({}, "either holdings"),
        ({"holdings": {a: 1}, "weights": {a: 1}}, "either holdings"),
        ({"holdings": {"ZZZ": 1}}, "holdings name assets without a price: 'ZZZ'"),
        ({"weights": {a: 0.7, b: 0.4}, "value": 1.0}, "weights sum to 1.1; at most 1"),
        ({"weights": {a: 1.0}}, "needs value="),
        ({"weights": {a: 1.0}, "value": 1.0, "cash": 5.0}, "cash= goes with holdings="),
        ({"holdings": {a: 1.0}, "value": 5.0}, "value= goes with weights="),
    ):
        with pytest.raises(InvalidParameterError, match=rule):
            rk.trades.position(px, **kwargs)
    with pytest.raises(DataError, match=r"value .* must be positive"):
        rk.trades.position(px, holdings={a: 1.0}, cash=-px[a] - 1)


# ---------------------------------------------------------------- decisions


def test_threshold_decision_agrees_with_the_backtest_engine(market):
    """Holding buy-and-hold weights, the decision fires first on the date the
    threshold backtest first rebalances (same prices, same target)."""
    target = pd.Series(0.2, index=market.columns)
    for policy in (
        Threshold(0.03),
        Threshold(0.15, band_type="relative"),
        Threshold(0.02, monitor=Calendar("W")),
    ):
        run = backtest(market, target, [Config("hold", Never()), Config("band", policy)], record_weights=True)
        first = int(np.argmax(run.rebalanced["band"].to_numpy()))
        assert first > 0
        held = run.weights["hold"]
        fired = [
            decision(policy, held.iloc[t], target, dates=market.index[: t + 1]).trade
            for t in range(1, first + 1)
        ]
        assert fired == [False] * (first - 1) + [True]


def test_calendar_decision_due_on_the_engines_dates(market):
    target = pd.Series(0.2, index=market.columns)
    w = target.copy()
    w.iloc[0], w.iloc[1] = 0.25, 0.15
    for cal in (Calendar("M"), Calendar("W", anchor="end"), Calendar(every=10)):
        mask = cal.dates(market.index)
        for t in (30, 31, 59, 60, 61, 200, 399):
            d = decision(cal, w, target, dates=market.index[: t + 1])
            # the engine's dates on the whole history; a period's last observation is
            # known from the calendar's next date (issue 13.1: decision and backtest agree)
            assert d.due == bool(mask[t]) and d.trade == d.due
    assert not decision(Calendar("M"), target, target, dates=market.index[:32]).trade  # due, nothing to do


def test_threshold_table_limits_and_reason():
    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    target = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    w = pd.Series({"A": 0.56, "B": 0.26, "C": 0.185})
    d = decision(Threshold(0.05), w, target, dates=idx)
    assert d.trade and list(d.assets["outside"]) == [True, False, False]
    assert d.reason == "threshold 5% of weight: 1 asset outside the band: 'A'; largest drift A +6.00%."
    d = decision(Threshold(0.1, band_type="relative"), w, target, dates=idx)
    np.testing.assert_allclose(d.assets["limit"], [0.05, 0.03, 0.02])
    assert list(d.assets["outside"]) == [True, True, False]
    assert d.reason.startswith("threshold 10% of its target, relative: 2 assets outside the band: 'A', 'B'")
    assert not decision(Never(), w, target, dates=idx).trade
    with pytest.raises(InvalidParameterError, match="in target only: 'C'"):
        decision(Threshold(0.05), w.drop("C"), target, dates=idx)


def test_risk_triggers_match_hand_calculation():
    idx = pd.date_range("2024-01-01", periods=400, freq="D")
    vols = np.array([0.02, 0.03, 0.05])
    corr = np.array([[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]])
    S = np.outer(vols, vols) * corr
    cov = pd.DataFrame(S, index=list("ABC"), columns=list("ABC"))
    target = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    w = pd.Series({"A": 0.4, "B": 0.3, "C": 0.3})
    share = w.to_numpy() * (S @ w.to_numpy()) / (w.to_numpy() @ S @ w.to_numpy())
    t_share = target.to_numpy() * (S @ target.to_numpy()) / (target.to_numpy() @ S @ target.to_numpy())
    d = decision(RiskBudgetTrigger(0.05), w, target, dates=idx, covariance=cov)
    np.testing.assert_allclose(d.assets["risk_share"], share, rtol=1e-14)
    np.testing.assert_allclose(d.assets["budget"], t_share, rtol=1e-14)
    assert d.trade == bool((np.abs(share - t_share) > 0.05).any())
    budgets = {"A": 0.2, "B": 0.3, "C": 0.5}
    d = decision(RiskBudgetTrigger(0.01, budgets=budgets), w, target, dates=idx, covariance=cov)
    assert list(d.assets["outside"]) == list(np.abs(share - [0.2, 0.3, 0.5]) > 0.01)
    sigma = np.sqrt(w.to_numpy() @ S @ w.to_numpy() * 365)
    ref = np.sqrt(target.to_numpy() @ S @ target.to_numpy() * 365)
    d = decision(VolatilityTrigger(0.05), w, target, dates=idx, covariance=cov)
    assert d.forecast_volatility == pytest.approx(sigma, rel=1e-14)
    assert d.reference_volatility == pytest.approx(ref, rel=1e-14)
    assert d.trade == (abs(sigma / ref - 1) > 0.05)
    d = decision(VolatilityTrigger(0.1, target=0.4), w, target, dates=idx, covariance=cov)
    assert d.reference_volatility == 0.4 and d.trade == (abs(sigma / 0.4 - 1) > 0.1)
    with pytest.raises(InvalidParameterError, match="VolatilityTrigger needs covariance="):
        decision(VolatilityTrigger(0.1), w, target, dates=idx)


def test_decision_table_and_make_policy():
    assert make_policy("never") == Never()
    assert make_policy("calendar", freq="Q") == Calendar("Q")
    assert make_policy("threshold", band=0.02, freq="") == Threshold(0.02)
    assert make_policy("relative_threshold", band=0.2, freq="M") == Threshold(
        0.2, band_type="relative", monitor=Calendar("M")
    )
    assert make_policy("risk_budget", band=0.1) == RiskBudgetTrigger(0.1, monitor=Calendar("M"))
    assert make_policy("volatility", band=0.1, freq="W") == VolatilityTrigger(0.1, monitor=Calendar("W"))
    with pytest.raises(InvalidParameterError, match="kind="):
        make_policy("band")
    idx = pd.date_range("2024-01-01", periods=40, freq="D")
    target = pd.Series({"A": 0.5, "B": 0.5})
    w = pd.Series({"A": 0.6, "B": 0.4})
    table = decision_table({"t": Threshold(0.05), "m": Calendar("M"), "n": Never()}, w, target, dates=idx)
    assert list(table.index) == ["t", "m", "n"]
    assert list(table["trade"]) == [True, False, False] and list(table["due"]) == [True, False, False]


# ---------------------------------------------------------------- hedge status


def test_hedge_status_against_book_greeks():
    book = pd.DataFrame(
        [
            {
                "underlying": "X",
                "kind": "call",
                "strike": 110.0,
                "expiry": 0.25,
                "vol": 0.6,
                "quantity": -10.0,
            },
            {"underlying": "X", "kind": "put", "strike": 90.0, "expiry": 0.25, "vol": 0.6, "quantity": 10.0},
            {"underlying": "Y", "kind": "call", "strike": 50.0, "expiry": 0.5, "vol": 0.4, "quantity": 4.0},
        ]
    )
    spots = pd.Series({"X": 100.0, "Y": 50.0, "Z": 1.0})
    st = rk.hedging.hedge_status(book, spots, hedges={"X": 5.0}, band=0.1)
    gx = rk.hedging.book_greeks(book.iloc[:2], 100.0)
    gy = rk.hedging.book_greeks(book.iloc[2:], 50.0)
    assert st.loc["X", "book_delta"] == pytest.approx(gx["delta"], rel=1e-15)
    assert st.loc["X", "net_delta"] == pytest.approx(gx["delta"] + 5.0, rel=1e-15)
    assert st.loc["Y", "net_delta"] == pytest.approx(gy["delta"]) and st.loc["Y", "status"] == "re-hedge"
    assert st.loc["Y", "trade_units"] == pytest.approx(-gy["delta"])
    # a hedge within 10% of the book delta needs no trade
    near = rk.hedging.hedge_status(book.iloc[2:], spots, hedges={"Y": -0.95 * gy["delta"]}, band=0.1)
    assert near.loc["Y", "status"] == "within band" and near.loc["Y", "trade_units"] == 0.0
    with pytest.raises(InvalidParameterError, match="no price for the underlying 'X'"):
        rk.hedging.hedge_status(book, spots.drop("X"))
    with pytest.raises(
        InvalidParameterError, match="hedges name underlyings without options in the book: 'Z'"
    ):
        rk.hedging.hedge_status(book, spots, hedges={"Z": 1.0})
    with pytest.raises(InvalidParameterError, match="'underlying' column"):
        rk.hedging.hedge_status(book.drop(columns="underlying"), spots)


@pytest.mark.parametrize(
    ("dates", "policy"),
    [
        (pd.date_range("2024-11-01", "2024-12-30", freq="D"), Calendar("M")),  # 24/7
        (pd.bdate_range("2024-11-01", "2024-12-27"), Calendar("M")),  # weekdays
        (pd.bdate_range("2024-11-01", "2024-12-27"), Calendar("Q", anchor="end")),
        (pd.date_range("2024-11-01", "2024-12-30", freq="D"), Threshold(0.05, monitor=Calendar("W"))),
        (pd.date_range("2024-11-01", "2024-12-30", freq="D"), Calendar(every=10)),
    ],
)
def test_next_check_is_the_next_date_the_policy_looks(dates, policy):
    """The decision names the next date its calendar looks; continuing the data's own
    calendar to that date, the policy looks there and on no date before it."""
    w, target = pd.Series({"A": 0.6, "B": 0.4}), pd.Series({"A": 0.5, "B": 0.5})
    today = decision(policy, w, target, dates=dates)
    step = pd.offsets.BDay(1) if dates.freqstr == "B" else pd.Timedelta(days=1)
    nxt = today.next_check
    assert nxt is not None and nxt > dates[-1]
    assert f"(next: {nxt:%Y-%m-%d})" in today.reason or today.due
    later = dates
    while later[-1] < nxt:
        later = later.append(pd.DatetimeIndex([later[-1] + step]))
        assert decision(policy, w, target, dates=later).due == (later[-1] == nxt), later[-1]
    assert decision(Threshold(0.05), w, target, dates=dates).next_check is None  # looks every period
