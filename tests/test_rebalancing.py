"""riskkit.rebalancing, riskkit.metrics and riskkit.trades."""

import numpy as np
import pandas as pd
import pytest
from riskkit.trades import trade_list

from riskkit import metrics
from riskkit.exceptions import CalendarError, InvalidParameterError, InvalidTypeError, MissingDataError
from riskkit.rebalancing import (
    Calendar,
    Config,
    Costs,
    Never,
    RiskBudgetTrigger,
    Threshold,
    VolatilityTrigger,
    backtest,
    decision,
    drift,
    sweep,
)
from riskkit.simulation import simulate_market


def two_assets(path_a, path_b, start="2024-01-01"):
    idx = pd.date_range(start, periods=len(path_a), freq="D", name="date")
    return pd.DataFrame({"A": path_a, "B": path_b}, index=idx)


W5050 = pd.Series({"A": 0.5, "B": 0.5})


def test_drift_one_period_by_hand():
    prices = two_assets([100.0, 120.0], [100.0, 90.0])
    res = backtest(prices, W5050, [Config("hold", Never())])
    w = res.weights["hold"].iloc[1]
    assert w["A"] == pytest.approx(0.5 * 1.2 / (0.5 * 1.2 + 0.5 * 0.9))
    np.testing.assert_allclose(drift(np.array([0.5, 0.5]), np.array([0.2, -0.1])), w.to_numpy())
    assert res.values["hold"].iloc[1] == pytest.approx(1_000_000 * 1.05)


def test_backtest_resolves_periods_per_year_once_and_states_units():
    m = simulate_market(n_assets=3, n_periods=200, seed=1)  # 7-day calendar: 365 inferred
    w = pd.Series(1 / 3, index=m.prices.columns)
    configs = [Config("m", Calendar("M"), Costs(proportional=0.001)), Config("n", Never())]
    inferred = backtest(m.prices, w, configs)
    given = backtest(m.prices, w, configs, periods_per_year=52)
    assert inferred.periods_per_year == 365.0 and given.periods_per_year == 52.0
    pd.testing.assert_frame_equal(inferred.values, given.values)  # the paths need no calendar
    # annual turnover = total turnover / years, years = (T - 1) / periods_per_year
    total = inferred.turnover["m"].sum()
    assert inferred.summary().loc["m", "annual_turnover"] == pytest.approx(total / (200 / 365))
    assert given.summary().loc["m", "annual_turnover"] == pytest.approx(total / (200 / 52))
    assert list(given.summary()["units"]) == ["annual", "annual"]
    # two dates: no calendar to read; the paths are computed, a volatility trigger needs it and refuses
    two = two_assets([100.0, 120.0], [100.0, 90.0])
    assert backtest(two, W5050, [Config("hold", Never())]).periods_per_year is None
    cov = pd.DataFrame(np.eye(2) * 1e-4, index=["A", "B"], columns=["A", "B"])
    with pytest.raises(CalendarError, match="periods_per_year"):
        backtest(two, W5050, [Config("v", VolatilityTrigger(0.1))], covariance=cov)
    vol = backtest(two, W5050, [Config("v", VolatilityTrigger(0.1))], covariance=cov, periods_per_year=365)
    assert vol.periods_per_year == 365.0


def test_threshold_fires_exactly_when_the_band_is_crossed():
    # A rises 2% a day, B flat: w_A = 0.5 g / (0.5 g + 0.5); |w_A - 0.5| > 0.05 first when g > 11/9
    g = 1.02 ** np.arange(15)
    prices = two_assets(100 * g, np.full(15, 100.0))
    res = backtest(prices, W5050, [Config("band", Threshold(0.05))])
    first = int(np.argmax(res.rebalanced["band"].to_numpy()))
    assert g[first] > 11 / 9 >= g[first - 1]
    assert res.weights["band"].iloc[first]["A"] == pytest.approx(0.5)


def test_band_edge_rebalancing_lands_on_the_edge():
    g = 1.02 ** np.arange(15)
    prices = two_assets(100 * g, np.full(15, 100.0))
    abs_res = backtest(prices, W5050, [Config("edge", Threshold(0.05, to="edge"))])
    assert abs_res.rebalanced["edge"].any()
    t = int(np.argmax(abs_res.rebalanced["edge"].to_numpy()))
    assert abs_res.weights["edge"].iloc[t]["A"] == pytest.approx(0.55, abs=1e-12)
    g40 = 1.02 ** np.arange(40)
    rel = backtest(
        two_assets(100 * g40, np.full(40, 100.0)),
        W5050,
        [Config("edge", Threshold(0.2, band_type="relative", to="edge"))],
    )
    assert rel.rebalanced["edge"].any()
    t = int(np.argmax(rel.rebalanced["edge"].to_numpy()))
    assert rel.weights["edge"].iloc[t]["A"] == pytest.approx(0.5 * 1.2, abs=1e-12)
    half = backtest(prices, W5050, [Config("half", Threshold(0.05, to=0.5))])
    assert half.rebalanced["half"].any()
    t = int(np.argmax(half.rebalanced["half"].to_numpy()))
    prev = half.weights["half"].iloc[t - 1].to_numpy()
    before = drift(prev, np.array([0.02, 0.0]))[0]
    assert half.weights["half"].iloc[t]["A"] == pytest.approx(before + 0.5 * (0.5 - before))


def test_value_conservation_with_costs():
    m = simulate_market(n_assets=4, n_periods=400, seed=3)
    w = pd.Series(0.25, index=m.prices.columns)
    c = Costs(proportional=0.0025, fixed=50.0, impact=(0.001, 0.01))
    res = backtest(m.prices, w, [Config("m", Calendar("M"), c)])
    v, cost = res.values["m"].to_numpy(), res.costs["m"].to_numpy()
    r = m.prices.pct_change().to_numpy()
    W = res.weights["m"].to_numpy()
    for t in np.flatnonzero(res.rebalanced["m"].to_numpy()):
        before = v[t - 1] * (1 + W[t - 1] @ r[t])
        assert before == pytest.approx(v[t] + cost[t], rel=1e-12)
        trade = np.abs(W[t] - W[t - 1] * (1 + r[t]) / (1 + W[t - 1] @ r[t])) * before
        expected = (
            (25e-4 * trade).sum()
            + 50.0 * (trade > 0).sum()
            + before * (0.001 * trade / before + 0.01 * (trade / before) ** 1.5).sum()
        )
        assert cost[t] == pytest.approx(expected, rel=1e-9)


def test_trades_are_the_weight_changes_at_rebalance_dates():
    g = 1.02 ** np.arange(15)
    prices = two_assets(100 * g, np.full(15, 100.0))
    res = backtest(prices, W5050, [Config("band", Threshold(0.05))])
    tr = res.trades("band")
    assert len(tr) == int(res.rebalanced["band"].sum()) == 1
    t = tr.index[0]
    assert tr.loc[t, "A"] == pytest.approx(-tr.loc[t, "B"])
    assert tr.loc[t, "A"] == pytest.approx(
        0.5 - drift(res.weights["band"].shift(1).loc[t].to_numpy(), np.array([0.02, 0.0]))[0]
    )
    assert res.turnover.loc[t, "band"] == pytest.approx(abs(tr.loc[t]).sum() / 2, rel=1e-12)


def test_no_drift_means_no_trade_and_never_is_buy_and_hold():
    flat = two_assets(np.full(40, 100.0), np.full(40, 50.0))
    res = backtest(flat, W5050, [Config("m", Calendar("W")), Config("b", Threshold(0.01))])
    assert res.turnover.to_numpy().sum() == 0 and not res.rebalanced.to_numpy().any()
    m = simulate_market(n_assets=5, n_periods=300, seed=1)
    w = pd.Series(0.2, index=m.prices.columns)
    res = backtest(m.prices, w, [Config("never", Never())])
    np.testing.assert_allclose(res.values["never"], res.buy_and_hold, rtol=1e-12)
    hold = (m.prices / m.prices.iloc[0] * 0.2 * 1e6).sum(axis=1)
    np.testing.assert_allclose(res.values["never"], hold, rtol=1e-12)


def test_a_configuration_is_the_same_alone_or_among_others():
    m = simulate_market(n_assets=6, n_periods=500, seed=2)
    w = pd.Series(1 / 6, index=m.prices.columns)
    cfgs = sweep(bands=[0.02, 0.05, 0.1], proportional=[0, 0.002], to=["target", "edge", 0.5])
    together = backtest(m.prices, w, cfgs)
    for c in cfgs[::5]:
        alone = backtest(m.prices, w, [c])
        pd.testing.assert_series_equal(alone.values[c.name], together.values[c.name])
        pd.testing.assert_series_equal(alone.costs[c.name], together.costs[c.name])


def test_matches_bt_monthly_equal_weight():
    bt = pytest.importorskip("bt")
    from riskkit.datasets import load

    prices = load("sp500_stocks").iloc[-1000:]
    w = pd.Series(1 / prices.shape[1], index=prices.columns)
    ours = backtest(prices, w, [Config("monthly", Calendar("M"))]).values["monthly"].iloc[-1]
    strategy = bt.Strategy(
        "s", [bt.algos.RunMonthly(), bt.algos.SelectAll(), bt.algos.WeighEqually(), bt.algos.Rebalance()]
    )
    test = bt.Backtest(strategy, prices, initial_capital=1_000_000.0, integer_positions=False)
    bt.run(test)
    assert ours == pytest.approx(test.strategy.values.iloc[-1], rel=1e-9)


def test_calendar_dates():
    idx = pd.date_range("2024-01-29", "2024-03-05", freq="D")
    start = Calendar("M").dates(idx)
    end = Calendar("M", anchor="end").dates(idx)
    assert list(idx[start].strftime("%m-%d")) == ["02-01", "03-01"]
    assert list(idx[end].strftime("%m-%d")) == ["01-31", "02-29"]
    assert Calendar(every=10).dates(idx).sum() == 3


def test_date_indexed_targets_and_risk_triggers():
    m = simulate_market(n_assets=4, n_periods=600, seed=4)
    from riskkit.shrinkage import rolling_shrink

    table = pd.DataFrame(
        [[0.25] * 4, [0.4, 0.2, 0.2, 0.2]], index=m.prices.index[[0, 300]], columns=m.prices.columns
    )
    res = backtest(m.prices, table, [Config("m", Calendar("M"))])
    assert res.weights["m"].loc[res.rebalanced["m"]].iloc[-1].round(12).tolist() == [0.4, 0.2, 0.2, 0.2]
    roll = rolling_shrink(m.returns.pipe(np.expm1), window=100, step=20)
    res = backtest(
        m.prices,
        pd.Series(0.25, index=m.prices.columns),
        [Config("rb", RiskBudgetTrigger(0.02)), Config("vol", VolatilityTrigger(0.05))],
        covariance=roll,
    )
    assert res.rebalanced["rb"].sum() > 0 and res.rebalanced["vol"].sum() > 0
    assert (
        not res.rebalanced.loc[: roll.dates[0] - pd.Timedelta(days=1)].to_numpy().any()
    )  # nothing before the first estimate
    with pytest.raises(InvalidParameterError, match="pass covariance="):
        backtest(m.prices, pd.Series(0.25, index=m.prices.columns), [Config("rb", RiskBudgetTrigger(0.02))])


def test_bad_input():
    prices = two_assets([100.0, 101, 102], [50.0, 50, 51])
    with pytest.raises(InvalidParameterError, match=r"must sum to 1.*allow_leverage=True"):
        backtest(prices, pd.Series({"A": 0.6, "B": 0.6}), [Config("m", Calendar("M"))])
    backtest(prices, pd.Series({"A": 0.6, "B": 0.6}), [Config("m", Calendar("M"))], allow_leverage=True)
    with pytest.raises(InvalidParameterError, match="target assets missing from prices: 'C'"):
        backtest(prices, pd.Series({"A": 0.5, "C": 0.5}), [Config("m", Calendar("M"))])
    with pytest.raises(InvalidParameterError, match="proportional must lie in"):
        Costs(proportional=-1)
    with pytest.raises(InvalidParameterError, match=r"band must lie in \(0, 1\)"):
        Threshold(1.5)
    with pytest.raises(InvalidParameterError, match=r"band must lie in \(0, 1\)"):
        Threshold(0.0)
    gap = prices.copy()
    gap.iloc[1, 0] = np.nan
    with pytest.raises(MissingDataError, match="'A' on 1 date"):
        backtest(gap, W5050, [Config("m", Calendar("M"))])
    with pytest.raises(InvalidParameterError, match="unique; repeated: 'x'"):
        backtest(prices, W5050, [Config("x", Never()), Config("x", Calendar("M"))])


# ----------------------------------------------------------------------------- metrics


def test_metrics_by_hand():
    idx = pd.date_range("2024-01-01", periods=5, freq="D")
    v = pd.Series([100.0, 110.0, 88.0, 99.0, 121.0], index=idx)
    perf = metrics.performance(v, periods_per_year=365).iloc[0]
    assert perf["cagr"] == pytest.approx(1.21 ** (365 / 4) - 1)
    r = np.array([0.1, -0.2, 0.125, 121 / 99 - 1])
    assert perf["volatility"] == pytest.approx(np.std(r, ddof=1) * np.sqrt(365))
    assert perf["sharpe"] == pytest.approx(r.mean() * 365 / (np.std(r, ddof=1) * np.sqrt(365)))
    assert perf["sortino"] == pytest.approx(
        r.mean() * 365 / (np.sqrt(np.mean(np.minimum(r, 0) ** 2)) * np.sqrt(365))
    )
    info = metrics.drawdowns(v)
    assert info.max_drawdown == pytest.approx(88 / 110 - 1)
    assert info.peak == idx[1] and info.trough == idx[2] and info.recovery == idx[4]
    assert info.duration == 3 and info.recovery_periods == 2


def test_drawdown_durations_at_the_edges():
    """Issue 15.5: no drawdown is duration 0, and a high-water mark touched again
    exactly starts the episode at the last touch."""
    idx = pd.date_range("2024-01-01", periods=6, freq="D")
    info = metrics.drawdowns(pd.Series([1.0, 2.0, 1.5, 2.0, 1.0, 2.5], index=idx))
    assert info.peak == idx[3] and info.trough == idx[4] and info.recovery == idx[5]
    assert info.duration == 2 and info.recovery_periods == 1
    assert info.max_drawdown == pytest.approx(-0.5)
    for path in ([1.0, 1.1, 1.2, 1.3, 1.4, 1.5], [1.0] * 6):
        info = metrics.drawdowns(pd.Series(path, index=idx))
        assert info.max_drawdown == 0.0 and info.duration == 0 and info.recovery_periods == 0
    perf = metrics.performance(pd.Series([1.0, 1.1, 1.2, 1.3, 1.4, 1.5], index=idx), periods_per_year=365)
    assert perf["drawdown_duration"].iloc[0] == 0
    # not recovered: to the end, from the last touch
    info = metrics.drawdowns(pd.Series([1.0, 2.0, 1.5, 2.0, 1.5, 1.0], index=idx))
    assert info.peak == idx[3] and info.duration == 2 and info.recovery_periods is None


def test_drawdowns_reject_non_positive_values():
    from riskkit.exceptions import DataError

    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    with pytest.raises(DataError, match=r"must be positive; zero or negative for 2024-01-02"):
        metrics.drawdowns(pd.Series([1.0, 0.0, 1.0], index=idx))


def test_premium_terms_add_up():
    m = simulate_market(n_assets=5, n_periods=730, seed=6)
    w = pd.Series(0.2, index=m.prices.columns)
    res = backtest(m.prices, w, [Config("m", Calendar("M"), Costs(proportional=0.003)), Config("n", Never())])
    s = res.summary()
    total = s["drift_term"] + s["rebalancing_term"] + s["cost_term"]
    np.testing.assert_allclose(total, s["premium_vs_buy_and_hold"], atol=1e-12)
    assert s.loc["n", "premium_vs_buy_and_hold"] == pytest.approx(0.0, abs=1e-12)
    assert s.loc["m", "cost_term"] < 0


def four_days():
    """A doubles, loses a quarter, doubles; B is cash-like. Buy-and-hold 50/50: 1, 1.5, 1.25, 2.
    The mix rebalanced daily grows 1.5, 0.875, 1.5: 1, 1.5, 1.3125, 1.96875. The monthly
    calendar trades once, on 2024-01-01 (value 1.25, A at 60%, back to 50%): A 0.41667 units
    at 3 plus B 0.625 = 1.875; with 1% costs it trades 0.25 of notional and pays 0.0025."""
    from riskkit.rebalancing import one_path_reading, premium_by_year, premium_split

    idx = pd.to_datetime(["2023-12-30", "2023-12-31", "2024-01-01", "2024-01-02"])
    prices = pd.DataFrame({"A": [1, 2, 1.5, 3.0], "B": [1.0] * 4}, index=idx)
    configs = [
        Config("monthly", Calendar("M")),
        Config("daily", Threshold(0.01)),
        Config("buy and hold", Never()),
        Config("monthly 1%", Calendar("M"), Costs(proportional=0.01)),
    ]
    run = backtest(prices, pd.Series({"A": 0.5, "B": 0.5}), configs, initial_value=1.0, periods_per_year=3)
    return run, one_path_reading, premium_by_year, premium_split


def test_premium_split_by_hand():
    run, _, by_year, split = four_days()
    t = split(run)  # one year (3 periods at 3 a year): annual = total log growth
    assert list(t.columns) == ["premium", "constant_mix", "timing", "costs", "units"]
    assert t.loc["monthly", "premium"] == pytest.approx(np.log(1.875 / 2.0), rel=1e-12)
    assert t.loc["monthly", "constant_mix"] == pytest.approx(np.log(1.96875 / 2.0), rel=1e-12)
    assert t.loc["monthly", "timing"] == pytest.approx(np.log(1.875 / 1.96875), rel=1e-12)
    assert t.loc["daily", "timing"] == pytest.approx(0.0, abs=1e-12)  # every day is the constant mix
    assert run.costs["monthly 1%"].sum() == pytest.approx(0.0025, rel=1e-12)  # 1% of 0.25 traded
    assert t.loc["monthly 1%", "costs"] == pytest.approx(-np.log1p(0.0025 / 1.2475), rel=1e-12)
    np.testing.assert_allclose(t[["constant_mix", "timing", "costs"]].sum(axis=1), t["premium"], atol=1e-15)
    years = by_year(run, "monthly")  # the gap ln(V/B) is 0 to 2024-01-01, then ln(1.875/2)
    assert years.index.tolist() == [2023, 2024] and years.iloc[0] == pytest.approx(0.0, abs=1e-15)
    assert years.iloc[1] == pytest.approx(np.log(1.875 / 2.0), rel=1e-12)
    with pytest.raises(InvalidParameterError, match="'weekly' is not a configuration of this backtest"):
        by_year(run, "weekly")


def test_one_path_reading_by_hand():
    run, reading, _, _ = four_days()
    text = reading(run, "monthly", simulated=False)
    assert text.startswith(
        "**One path is one path.** This backtest follows one history (1.0 years, 2023-12-30"
    )
    # ln(1.875/2) = -6.45%, ln(1.96875/2) = -1.57%, ln(1.875/1.96875) = -4.88%
    assert (
        "premium of **monthly** over buy-and-hold is -6.45% a year (log growth): -1.57% from holding" in text
    )
    assert "-4.88% from trading only on the policy's dates (timing) and 0.00% in costs" in text
    assert "By calendar year, of the whole backtest's -6.45% (log growth, not annualised): 2023 " in text
    assert "2023 (1 period) 0.00%, " in text
    assert "2024 (2 periods) -6.45%; most of it in 2024." in text  # parts of a year (3 periods a year)
    # buy-and-hold never traded: left out; monthly 1% is the lowest, ln(1.87125/2) = -6.65%
    assert (
        "Across the 3 policies compared (buy-and-hold aside) the premium ranges from -6.65% to -1.57%" in text
    )
    assert text.endswith("Sharpe ratios at a risk-free rate of 0% a year.")
    assert "one simulated path" in reading(run, "daily", simulated=True, risk_free=0.025)
    assert "risk-free rate of 2.5% a year" in reading(run, "daily", simulated=True, risk_free=0.025)
    assert "2023 (1 period) 0.00%, 2024 (2 periods) -1.57%; most of it in 2024." in reading(
        run, "daily", simulated=True
    )
    one_year = run.values.index + pd.Timedelta(days=2)  # every date in 2024: no year to single out
    prices = pd.DataFrame({"A": [1, 2, 1.5, 3.0], "B": [1.0] * 4}, index=one_year)
    run = backtest(
        prices, pd.Series({"A": 0.5, "B": 0.5}), [Config("monthly", Calendar("M"))], periods_per_year=3
    )
    text = reading(run, "monthly", simulated=True)
    assert "By calendar year" not in text and "Across" not in text  # and nothing to compare it with
    assert "one simulated path (1.0 years, 2024-01-01 to 2024-01-04)" in text


# ----------------------------------------------------------------------------- trade list


def test_trade_list_goes_where_an_edge_decision_goes():
    """Threshold(0.05, to="edge") on A at 62%: the decision trades 7/12 of the way (the worst
    drift 0.12 comes back to the 0.05 edge); the trade list at that fraction leaves A at the edge."""
    dates = pd.date_range("2024-01-01", periods=3, freq="D")
    prices = pd.Series({"A": 10.0, "B": 10.0})
    holdings = pd.Series({"A": 62.0, "B": 38.0})  # weights 0.62 / 0.38
    d = decision(Threshold(0.05, to="edge"), holdings * prices / 1000.0, W5050, dates=dates)
    assert d.trade and d.fraction == pytest.approx(7 / 12, abs=1e-12)
    w_after = trade_list(holdings, prices, W5050, fraction=d.fraction).trades["weight_after"]
    assert w_after["A"] == pytest.approx(0.55, abs=1e-12)


# ----------------------------------------------------------------------------- one rule, two callers


def _agreement_policies(assets):
    budgets = dict(zip(assets, [0.4, 0.3, 0.2, 0.1], strict=True))
    return {
        "never": Never(),
        "monthly": Calendar("M"),
        "weekly end": Calendar("W", anchor="end"),
        "every 7": Calendar(every=7),
        "abs": Threshold(0.03),
        "rel": Threshold(0.2, band_type="relative"),
        "abs edge": Threshold(0.03, to="edge"),
        "rel edge": Threshold(0.15, band_type="relative", to="edge"),
        "half way": Threshold(0.03, to=0.5),
        "abs weekly": Threshold(0.02, monitor=Calendar("W")),
        "risk budget": RiskBudgetTrigger(0.03),
        "risk budget given": RiskBudgetTrigger(0.05, budgets=budgets),
        "risk budget monthly": RiskBudgetTrigger(0.02, monitor=Calendar("M")),
        "volatility": VolatilityTrigger(0.05),
        "volatility 40%": VolatilityTrigger(0.1, target=0.4),
    }


def test_decision_agrees_with_the_backtest_on_every_date():
    """Issue 13.1: for every policy type, decision() on each date of a backtest (the
    drifted weights before trading, that date's target row, the latest estimate dated
    on or before it) says trade exactly where the engine traded, and how far."""
    from riskkit.shrinkage import rolling_shrink

    m = simulate_market(n_assets=4, n_periods=900, seed=4)
    prices, assets = m.prices, m.prices.columns
    roll = rolling_shrink(m.returns.pipe(np.expm1), window=100, step=20)
    table = pd.DataFrame(
        [[0.25] * 4, [0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]],
        index=prices.index[[0, 300, 610]],
        columns=assets,
    )
    policies = _agreement_policies(assets)
    res = backtest(prices, table, [Config(n, p) for n, p in policies.items()], covariance=roll)
    R = prices.pct_change().to_numpy()
    tgt_row = np.searchsorted(table.index, prices.index, side="right") - 1
    cov_row = np.searchsorted(roll.dates, prices.index, side="right") - 1
    for name, policy in policies.items():
        W = res.weights[name].to_numpy()
        traded = res.rebalanced[name].to_numpy()
        agree = []
        for t in range(1, len(prices)):
            before = pd.Series(drift(W[t - 1], R[t]), index=assets)
            target = table.iloc[tgt_row[t]]
            cov = None if cov_row[t] < 0 else pd.DataFrame(roll.covariances[cov_row[t]], assets, assets)
            if cov is None and isinstance(policy, RiskBudgetTrigger | VolatilityTrigger):
                agree.append(not traded[t])  # no estimate yet: risk triggers cannot fire
                continue
            d = decision(
                policy, before, target, dates=prices.index[: t + 1], covariance=cov,
                periods_per_year=res.periods_per_year,
            )  # fmt: skip
            agree.append(d.trade == traded[t])
            if d.trade:  # and it trades as far as the engine did (no costs, no minimum trade)
                expected = before.to_numpy() + d.fraction * (target.to_numpy() - before.to_numpy())
                np.testing.assert_allclose(W[t], expected, rtol=0, atol=1e-12)
        assert all(agree), f"{name}: {len(agree) - sum(agree)} dates disagree"
        if not isinstance(policy, Never):
            assert traded.any(), name  # every policy trades somewhere, so agreement is not vacuous
    # the case: a risk-budget trigger with default budgets, its budgets taken at each check
    assert res.rebalanced["risk budget"].sum() < 300


def test_default_risk_budgets_come_from_each_checks_target_and_estimate():
    """No look-ahead: changing the target table or the estimates after a date leaves
    every decision up to that date unchanged."""
    from riskkit.shrinkage import rolling_shrink

    m = simulate_market(n_assets=4, n_periods=600, seed=4)
    prices, assets = m.prices, m.prices.columns
    roll = rolling_shrink(m.returns.pipe(np.expm1), window=100, step=20)
    early = pd.DataFrame([[0.25] * 4], index=prices.index[:1], columns=assets)
    later = pd.concat(
        [early, pd.DataFrame([[0.7, 0.1, 0.1, 0.1]], index=prices.index[[400]], columns=assets)]
    )
    cfg = [Config("rb", RiskBudgetTrigger(0.03))]
    a = backtest(prices, early, cfg, covariance=roll)
    b = backtest(prices, later, cfg, covariance=roll)
    cut = prices.index[399]
    pd.testing.assert_series_equal(a.rebalanced["rb"].loc[:cut], b.rebalanced["rb"].loc[:cut])
    assert not a.rebalanced["rb"].loc[cut:].equals(b.rebalanced["rb"].loc[cut:])


def test_edge_rebalancing_makes_no_phantom_trades_on_flat_prices():
    """Issue 13.1: after a move to the band edge, unchanged prices never trade again.
    A 24/7 calendar: two assets rally for a week and then every price is flat for
    three weeks (a stablecoin, stale quotes); with a fixed fee, the edge policy
    trades once per breach and pays the fee once per trade."""
    up = 1.03 ** np.minimum(np.arange(30), 7)
    prices = pd.DataFrame(
        {"BTC": 100 * up, "ETH": 50 * up**0.5, "USDC": np.ones(30), "SOL": np.full(30, 20.0)},
        index=pd.date_range("2024-01-01", periods=30, freq="D"),
    )
    target = pd.Series(0.25, index=prices.columns)
    fee = Costs(fixed=10.0)
    for policy in (Threshold(0.02, to="edge"), Threshold(0.05, band_type="relative", to="edge")):
        res = backtest(prices, target, [Config("edge", policy, fee)])
        trades = res.rebalanced["edge"]
        assert trades.any()
        assert not trades.iloc[8:].any()  # flat from day 7 on: nothing after the last move is absorbed
        assert res.costs["edge"].sum() == pytest.approx(10.0 * 4 * trades.sum())  # 4 assets each time
        # and every asset lies inside its band after each trade, by the band rule itself
        W = res.weights["edge"][trades]
        scale = policy.band * (target.abs() if policy.band_type == "relative" else 1.0)
        assert ((W - target).abs() / scale <= 1.0).all().all()


def test_min_trade_by_hand_in_the_backtest_and_the_trade_list():
    """Issue 13.2: a trade below Costs.min_trade is not executed, in the engine and the trade list.
    Engine: 1000 in A/B/C at 50/30/20; A gains 20% -> 600/300/200 of 1100; to target
    550/330/220 the trades are -50, +30, +20; with min_trade 25 the C trade is skipped
    (its 20 stays in cash) and the two others pay the fixed fee of 1 each."""
    idx = pd.date_range("2024-01-01", periods=2, freq="D")
    prices = pd.DataFrame({"A": [100.0, 120.0], "B": [10.0, 10.0], "C": [5.0, 5.0]}, index=idx)
    target = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    res = backtest(prices, target, [Config("d", Calendar("D"), Costs(fixed=1.0, min_trade=25.0))],
                   initial_value=1000.0)  # fmt: skip
    assert bool(res.rebalanced["d"].iloc[1])
    assert res.costs["d"].iloc[1] == pytest.approx(2.0)
    assert res.values["d"].iloc[1] == pytest.approx(1098.0)
    assert res.turnover["d"].iloc[1] == pytest.approx(80 / 2 / 1100)
    np.testing.assert_allclose(res.weights["d"].iloc[1], [0.5, 0.3, 200 / 1100], rtol=1e-12)
    # with a minimum above every trade nothing is executed, nothing paid
    none = backtest(prices, target, [Config("d", Calendar("D"), Costs(fixed=1.0, min_trade=60.0))],
                    initial_value=1000.0)  # fmt: skip
    assert not none.rebalanced["d"].any() and none.costs["d"].sum() == 0.0
    # trade list: value 100,000; fixed fee 5 per order -> investable 99,990; ETH's buy of
    # 0.31 * 99,990 - 30,000 = 996.9 is below 5,000 and not placed (stays in cash)
    tl = trade_list(
        pd.Series({"BTC": 1.0, "ETH": 10.0}),
        pd.Series({"BTC": 60_000.0, "ETH": 3_000.0, "SOL": 150.0}),
        pd.Series({"BTC": 0.48, "ETH": 0.31, "SOL": 0.21}),
        cash=10_000.0,
        costs=Costs(fixed=5.0, min_trade=5_000.0),
    )
    t = tl.trades
    assert t["notional"].tolist() == pytest.approx([0.48 * 99_990 - 60_000, 0.0, 0.21 * 99_990])
    assert list(t["side"]) == ["sell", "hold", "buy"] and tl.costs == pytest.approx(10.0)
    assert tl.cash_after == pytest.approx(10_000 + 60_000 - 0.48 * 99_990 - 0.21 * 99_990 - 10)


# ----------------------------------------------------------------------------- result contract


def _check_result_contract(obj):
    import pickle

    table = obj.summary()
    assert isinstance(table, pd.DataFrame) and len(table) >= 1
    text = repr(obj)
    assert "\n" not in text and len(text) < 300 and text.startswith(f"{type(obj).__name__}(")
    html = obj._repr_html_()
    assert html.startswith(f"<p><strong>{type(obj).__name__}</strong>") and "<table" in html
    back = pickle.loads(pickle.dumps(obj))
    assert type(back) is type(obj)
    pd.testing.assert_frame_equal(back.summary(), table)
    return back


def test_results_summary_repr_html_and_pickle():
    """Issue 13.5: rebalancing results have summary() -> DataFrame, a one-line repr,
    _repr_html_, named fields, and survive a pickle round trip."""
    from riskkit.trades import position

    from riskkit.rebalancing import Decision

    m = simulate_market(n_assets=4, n_periods=200, seed=5)
    w = pd.Series(0.25, index=m.prices.columns)
    res = backtest(m.prices, w, [Config("m", Calendar("M"), Costs(proportional=0.001)), Config("n", Never())])
    back = _check_result_contract(res)
    pd.testing.assert_frame_equal(back.values, res.values)
    pd.testing.assert_frame_equal(back.weights["m"], res.weights["m"])
    assert repr(res) == (
        "BacktestResult(2 configurations over 201 dates (2019-01-01 to 2019-07-20), 6 rebalances)"
    )
    d = decision(VolatilityTrigger(0.05), w * [1.3, 0.9, 0.9, 0.9], w, dates=m.prices.index,
                 covariance=m.returns.cov())  # fmt: skip
    assert isinstance(d, Decision) and d.forecast_volatility > 0 and d.reference_volatility > 0
    row = _check_result_contract(d).summary().iloc[0]
    assert row["forecast_volatility"] == d.forecast_volatility and bool(row["trade"]) == d.trade
    tl = trade_list(pd.Series({"A": 2.0}), pd.Series({"A": 10.0, "B": 5.0}), pd.Series({"A": 0.5, "B": 0.5}))
    _check_result_contract(tl)
    assert repr(tl) == "TradeList(2 orders on 2 assets, costs 0.00)"
    pos = position(pd.Series({"A": 10.0, "B": 5.0}), holdings={"A": 2.0}, cash=20.0)
    _check_result_contract(pos)
    assert pos.summary().loc["position", "value"] == 40.0


def test_backtest_takes_one_covariance_for_every_date_or_refuses_other_types():
    m = simulate_market(n_assets=3, n_periods=120, seed=2)
    w = pd.Series(1 / 3, index=m.prices.columns)
    cov = m.returns.cov()
    cfg = [Config("risk", RiskBudgetTrigger(0.02))]
    one = backtest(m.prices, w, cfg, covariance=cov)
    # the same estimate dated before the first price: in force on every date, as the DataFrame is
    from riskkit.shrinkage import RollingShrinkage

    dated = RollingShrinkage(
        covariances=cov.to_numpy()[None], dates=pd.DatetimeIndex([m.prices.index[0]]), assets=cov.index,
        intensity=pd.Series([0.0]), method="sample", target=None, window=len(m.returns), step=1,
    )  # fmt: skip
    pd.testing.assert_frame_equal(one.values, backtest(m.prices, w, cfg, covariance=dated).values)
    with pytest.raises(InvalidTypeError, match=r"covariance must be dated estimates .* got ndarray"):
        backtest(m.prices, w, cfg, covariance=cov.to_numpy())


def test_a_few_configurations_run_serially_without_a_thread_pool():
    """numba's cache is keyed by a function's name, not its options: the serial and the
    parallel kernel must be two names, or the serial one loads the parallel code and
    starts the OpenMP pool (a forked report kernel then dies: 'fork() called from a
    process already using GNU OpenMP')."""
    import subprocess
    import sys

    code = (
        "import numba, pandas as pd, riskkit.rebalancing as r\n"
        "from riskkit.simulation import simulate_market\n"
        "m = simulate_market(n_assets=3, n_periods=60, seed=0)\n"
        "r.backtest(m.prices, pd.Series(1 / 3, index=m.prices.columns), [r.Config('a', r.Threshold(0.05))])\n"
        "try:\n    print(numba.threading_layer())\nexcept ValueError:\n    print('no pool')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "no pool"
