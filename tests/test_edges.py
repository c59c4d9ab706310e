"""Numbers at the edges (issue 25): each test failed on the code before its fix.

Reference values come from hand calculation or from a naive formula kept here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskkit.exceptions import RiskkitError

UNITS = ("s", "ms", "us", "ns")


def _prices(T=300, N=2, seed=0, vol=0.02):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=T, freq="D")
    cols = ["A", "B", "C", "D"][:N]
    return pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, vol, (T, N)), axis=0)), index=idx, columns=cols)


# --------------------------------------------------------------------- 1. timestamps as timestamps


@pytest.mark.parametrize("price_unit", UNITS)
def test_backtest_same_result_whatever_the_datetime_resolution(price_unit):
    """A target table and dated estimates in any resolution apply on the same dates as the prices'."""
    from riskkit.rebalancing import Calendar, Config, RiskBudgetTrigger, backtest
    from riskkit.shrinkage import rolling_shrink

    P = _prices()
    returns = P.pct_change().iloc[1:]
    reference = None
    for other in UNITS:
        Pu = P.set_axis(P.index.as_unit(price_unit))
        target = pd.DataFrame(
            [[0.9, 0.1], [0.1, 0.9]], index=P.index[[0, 150]].as_unit(other), columns=P.columns
        )
        cov = rolling_shrink(returns.set_axis(returns.index.as_unit(other)), window=30)
        res = backtest(
            Pu, target, [Config("m", Calendar("M")), Config("rb", RiskBudgetTrigger(0.05))], covariance=cov
        )
        got = (res.values.to_numpy(), res.rebalanced.to_numpy(), res.target_values.to_numpy())
        if reference is None:
            reference = got
        for a, b in zip(got, reference, strict=True):
            np.testing.assert_array_equal(a, b)
    # the 10/90 row is in force from day 150 only: before it the constant mix holds 90/10
    R = returns.to_numpy()
    tv = np.cumprod(1 + np.where(np.arange(len(R))[:, None] < 150, [0.9, 0.1], [0.1, 0.9]).__mul__(R).sum(1))
    np.testing.assert_allclose(reference[2][1:] / 1e6, tv, rtol=1e-12)


@pytest.mark.parametrize("unit", UNITS)
def test_rolling_lookups_whatever_the_resolution(unit):
    from riskkit.shrinkage import rolling_shrink

    R = _prices().pct_change().iloc[1:]
    roll = rolling_shrink(R.set_axis(R.index.as_unit(unit)), window=30, step=5)
    base = rolling_shrink(R, window=30, step=5)
    day = pd.Timestamp("2024-03-03").as_unit("ns" if unit != "ns" else "s")
    pd.testing.assert_frame_equal(roll.at(day), base.at(day))


# --------------------------------------------------------------------- 2. rolling windows re-centred


def _accruing(noise, T=730, seed=1):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=T, freq="D")
    drift = np.where(np.arange(T) < T // 2, 1e-4, 3e-4)
    return pd.DataFrame(
        {"ACCR": drift + noise * rng.standard_normal(T), "BTC": 0.03 * rng.standard_normal(T),
         "ETH": 0.04 * rng.standard_normal(T)},
        index=idx,
    )  # fmt: skip


def _depeg(T=500, seed=2):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=T, freq="D")
    usd = 1e-6 * rng.standard_normal(T)
    usd[200] = -0.08
    return pd.DataFrame({"USDX": usd, "BTC": 0.03 * rng.standard_normal(T)}, index=idx)


@pytest.mark.parametrize(
    "returns", [_accruing(1e-6), _accruing(1e-12), _depeg()], ids=["accruing", "accruing-1e-12", "depeg"]
)
@pytest.mark.parametrize("method", ["sample", "ledoit_wolf", "oas"])
def test_rolling_shrink_matches_shrink_on_each_window(returns, method):
    from riskkit.shrinkage import rolling_shrink, shrink

    window = 60
    roll = rolling_shrink(returns, window=window, method=method)
    worst = 0.0
    for k, (date, cov) in enumerate(roll):
        ref = shrink(returns.iloc[k : k + window], method=method).covariance
        assert date == returns.index[k + window - 1]
        scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
        worst = max(worst, float(np.max(np.abs(cov.to_numpy() - ref.to_numpy()) / scale)))
        assert (np.diag(cov) > 0).all()
    assert worst < 1e-12


def test_rolling_hedge_ratio_matches_each_window():
    from riskkit.hedging import rolling_hedge_ratio

    rng = np.random.default_rng(3)
    idx = pd.date_range("2023-01-01", periods=400, freq="D")
    f = pd.Series(1e-3 + np.where(np.arange(400) < 200, 0.0, 5e-3) + 1e-7 * rng.standard_normal(400), idx)
    s = 0.7 * f + 1e-8 * rng.standard_normal(400)
    got = rolling_hedge_ratio(s, f, window=50)
    for end in (49, 199, 230, 399):
        x, y = f.iloc[end - 49 : end + 1].to_numpy(), s.iloc[end - 49 : end + 1].to_numpy()
        naive = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
        assert got.iloc[end - 49] == pytest.approx(naive, rel=1e-12)


def _ewm_ratio_naive(x, y, halflife, t):
    """The exponentially weighted hedge ratio at t, written out: weights lam^(t - i), each moment
    centred on the weighted means of observations 0..t."""
    lam = 0.5 ** (1.0 / halflife)
    w = lam ** np.arange(t, -1, -1.0)
    xs, ys = x[: t + 1], y[: t + 1]
    xc, yc = xs - w @ xs / w.sum(), ys - w @ ys / w.sum()
    return np.sum(w * xc * yc) / np.sum(w * xc * xc)


def test_rolling_hedge_ratio_ewma_centred():
    """A guard, not a fix: pandas' ewm centres its moments online, so the EWMA branch already met
    the written-out formula to 1e-12 on the accruing series (it never had the rolling branch's flaw)."""
    from riskkit.hedging import rolling_hedge_ratio

    rng = np.random.default_rng(3)
    idx = pd.date_range("2023-01-01", periods=400, freq="D")
    f = pd.Series(1e-3 + np.where(np.arange(400) < 200, 0.0, 5e-3) + 1e-7 * rng.standard_normal(400), idx)
    s = 0.7 * f + 1e-8 * rng.standard_normal(400)
    got = rolling_hedge_ratio(s, f, halflife=30)
    assert got.index[0] == idx[1] and len(got) == 399
    x, y = f.to_numpy(), s.to_numpy()
    for t in (1, 5, 199, 230, 399):
        assert got.loc[idx[t]] == pytest.approx(_ewm_ratio_naive(x, y, 30, t), rel=1e-12)
    # ordinary data: the same numbers as pandas' ewm covariance over variance
    a, b = pd.Series(rng.standard_normal(400), idx), pd.Series(rng.standard_normal(400), idx)
    ref = (b.ewm(halflife=10).cov(a) / a.ewm(halflife=10).var()).dropna()
    pd.testing.assert_series_equal(
        rolling_hedge_ratio(b, a, halflife=10), ref.rename("hedge_ratio"), rtol=1e-10
    )


# --------------------------------------------------------------------- 3. ruin


def _ruinous():
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    long = np.full(60, 100.0)
    short = 100.0 * np.where(np.arange(60) < 30, np.linspace(1.0, 1.2, 60), 4.0)  # quadruples on day 30
    return pd.DataFrame({"L": long, "S": short}, index=idx)


@pytest.mark.parametrize("policy", ["never", "calendar"])
def test_backtest_stops_at_ruin(policy):
    from riskkit.exceptions import RuinError
    from riskkit.rebalancing import Calendar, Config, Costs, Never, backtest

    P = _ruinous()
    target = pd.Series({"L": 1.5, "S": -0.5})
    pol = Never() if policy == "never" else Calendar("D")
    with pytest.raises(RuinError, match="ruined") as info:
        backtest(P, target, [Config("ls", pol, Costs(impact=(0.0, 0.1)))], allow_leverage=True)
    # the short leg's +233% on day 30 costs 0.5 * 2.33 of a book worth about 1: ruin on 2024-01-31
    assert "'ls' on 2024-01-31" in str(info.value)
    assert info.value.configs == ["ls"] and info.value.dates[0] == P.index[30]


def test_backtest_minus_100_percent_is_ruin_not_zero_division():
    from riskkit.exceptions import RuinError
    from riskkit.rebalancing import Calendar, Config, backtest

    idx = pd.date_range("2024-01-01", periods=10, freq="D")
    P = pd.DataFrame({"A": [1.0, 1, 1, 1, 1, 1e-300, 1e-300, 1e-300, 1e-300, 1e-300], "B": 1.0}, index=idx)
    # a weight of 2 in A falling to (almost) zero: 1 + 2 * (-1) = -1 <= 0
    with pytest.raises(RuinError, match="2024-01-06"):
        backtest(P, pd.Series({"A": 2.0, "B": -1.0}), [Config("x", Calendar("D"))], allow_leverage=True)


def test_backtest_survivor_unchanged_by_ruin_check():
    """A book that survives: values as before, references from the closed forms."""
    from riskkit.rebalancing import Config, Never, backtest

    P = _prices()
    w = pd.Series({"A": 0.6, "B": 0.4})
    res = backtest(P, w, [Config("bh", Never())])
    bh = 1e6 * (P / P.iloc[0]) @ w
    np.testing.assert_allclose(res.values["bh"].to_numpy(), bh.to_numpy(), rtol=1e-12)


# --------------------------------------------------------------------- 4-5. trade_list lots


@pytest.mark.parametrize(
    ("units", "lot", "price"),
    [(0.3, 0.1, 2000.0), (0.7, 0.001, 60000.0), (3.0, 0.1, 1.0), (0.07, 0.01, 10.0)],
)
def test_trade_list_exact_on_lot_multiples(units, lot, price):
    from riskkit.rebalancing.trades import trade_list

    value = units * price
    tl = trade_list(
        pd.Series({"X": 0.0}), pd.Series({"X": price}), pd.Series({"X": 1.0}), cash=value, lot_sizes=lot
    )
    assert round(tl.trades.loc["X", "units_trade"] / lot) == round(units / lot)
    assert tl.trades.loc["X", "units_trade"] == pytest.approx(units, rel=1e-12)


def test_trade_list_decimal_orders_lose_no_lot():
    from riskkit.rebalancing.trades import trade_list

    lost = 0
    for n in range(1, 200):
        for lot in (0.1, 0.01, 0.001):
            price = 37.0
            tl = trade_list(
                pd.Series({"X": 0.0}), pd.Series({"X": price}), pd.Series({"X": 1.0}),
                cash=n * lot * price, lot_sizes=lot,
            )  # fmt: skip
            lost += round(tl.trades.loc["X", "units_trade"] / lot) != n
    assert lost == 0


def test_trade_list_cash_cut_in_few_cost_evaluations(monkeypatch):
    """A shortfall of many lots is cut in one search, not one lot per iteration: the number of cost
    evaluations does not grow with the number of lots (the time does not depend on the price)."""
    from riskkit.rebalancing.costs import Costs
    from riskkit.rebalancing.trades import trade_list

    calls = {"n": 0}
    original = Costs.of

    def counted(self, *a, **k):
        calls["n"] += 1
        return original(self, *a, **k)

    monkeypatch.setattr(Costs, "of", counted)
    counts = []
    for price in (1e-2, 1e-5, 1e-8):
        calls["n"] = 0
        # the sale of U (500) is below min_trade and not placed: the buy of T (1,500) is overfunded
        # by about 500: 5e4 ... 5e10 lots of T to cut
        tl = trade_list(
            pd.Series({"T": 0.0, "U": 4000.0}), pd.Series({"T": price, "U": 1.0}),
            pd.Series({"T": 0.3, "U": 0.7}),
            cash=1000.0, lot_sizes=pd.Series({"T": 1.0, "U": 1.0}),
            costs=Costs(proportional=0.001, min_trade=600.0),
        )  # fmt: skip
        assert tl.trades.loc["U", "units_trade"] == 0.0
        assert -1e-9 * tl.value_before <= tl.cash_after <= price * 1.001 + 1e-9  # within one lot of 0
        bought = tl.trades.loc["T", "units_trade"]
        assert bought == math.floor(1000.0 / (price * 1.001) * (1 + 1e-12))  # the most lots 1,000 pays for
        counts.append(calls["n"])
    assert max(counts) <= 80


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(
    n=st.integers(1, 5),
    seed=st.integers(0, 2**31 - 1),
    log_price=st.floats(-8, 6),
    log_lot=st.floats(-8, 2),
    prop=st.sampled_from([0.0, 0.001, 0.01]),
    fixed=st.sampled_from([0.0, 1.0]),
)
def test_trade_list_property(n, seed, log_price, log_lot, prop, fixed):
    from riskkit.rebalancing.costs import Costs
    from riskkit.rebalancing.trades import trade_list

    rng = np.random.default_rng(seed)
    assets = [f"A{i}" for i in range(n)]
    prices = pd.Series(10.0 ** (log_price + rng.uniform(-1, 1, n)), index=assets).clip(1e-8, 1e6)
    lots = pd.Series(10.0 ** (log_lot + rng.uniform(-1, 1, n)), index=assets).clip(1e-8, 100)
    value = 1e6
    holdings = pd.Series(rng.uniform(0, 1, n) * value / n / prices.to_numpy(), index=assets)
    target = pd.Series(rng.dirichlet(np.ones(n)), index=assets)
    tl = trade_list(
        holdings, prices, target, cash=1000.0, lot_sizes=lots, costs=Costs(proportional=prop, fixed=fixed)
    )
    t = tl.trades
    q = (t["units_trade"] / lots).to_numpy()
    assert (np.abs(q - np.round(q)) <= 1e-6 * np.maximum(1, np.abs(q))).all()
    assert tl.cash_after >= -1e-9 * tl.value_before
    # no order goes past its target (orders round toward zero)
    ideal = (target * (tl.value_before - tl.costs) - holdings * prices) / prices
    assert (np.abs(t["units_trade"]) <= np.abs(ideal) * (1 + 1e-3) + lots).all()  # ideal: at final costs


# --------------------------------------------------------------------- 6. risk budgets validated


@pytest.mark.parametrize(
    ("budgets", "match"),
    [
        ({"A": 5.0, "B": 5.0}, "sum to 1"),
        ({"A": 1.2, "B": -0.2}, "negative"),
        ({"A": 1.0}, "in prices only: .B."),
        ({"A": 0.5, "BB": 0.5}, "BB"),
    ],
)
def test_risk_budget_trigger_budgets_validated(budgets, match):
    from riskkit.rebalancing import Config, RiskBudgetTrigger, backtest

    P = _prices()
    with pytest.raises(RiskkitError, match=match):
        backtest(P, pd.Series({"A": 0.5, "B": 0.5}), [Config("rb", RiskBudgetTrigger(0.05, budgets=budgets))],
                 covariance=P.pct_change().cov())  # fmt: skip


# --------------------------------------------------------------------- 7. memory-saving estimates


@pytest.mark.parametrize("kind", ["float32", "unstored"])
def test_backtest_takes_float32_and_unstored_estimates(kind):
    from riskkit.rebalancing import Config, RiskBudgetTrigger, backtest
    from riskkit.shrinkage import rolling_shrink

    P = _prices()
    R = P.pct_change().iloc[1:]
    full = rolling_shrink(R, window=30)
    configs = [Config("rb", RiskBudgetTrigger(0.02))]
    base = backtest(P, pd.Series({"A": 0.5, "B": 0.5}), configs, covariance=full)
    if kind == "float32":
        got = backtest(
            P,
            pd.Series({"A": 0.5, "B": 0.5}),
            configs,
            covariance=rolling_shrink(R, window=30, dtype="float32"),
        )
        assert got.rebalanced.sum().item() == base.rebalanced.sum().item() > 0
    else:
        with pytest.raises(RiskkitError, match="store=False"):
            backtest(
                P,
                pd.Series({"A": 0.5, "B": 0.5}),
                configs,
                covariance=rolling_shrink(R, window=30, store=False),
            )


# --------------------------------------------------------------------- 8. dollar-neutral books


def _neutral():
    cov = pd.DataFrame([[0.04, 0.006], [0.006, 0.01]], index=["A", "B"], columns=["A", "B"])
    return pd.Series({"A": 0.5, "B": -0.5}), cov


def test_dollar_neutral_risk_contributions():
    from riskkit.decomposition import risk_contributions

    w, cov = _neutral()
    rc = risk_contributions(w, cov)
    # variance 0.25 * (0.04 + 0.01 - 2 * 0.006) = 0.0095
    assert rc.volatility == pytest.approx(math.sqrt(0.0095), rel=1e-14)
    # shares: w_i (S w)_i / var: A 0.5 * 0.017 / 0.0095, B -0.5 * -0.002 / 0.0095
    np.testing.assert_allclose(rc.assets["percent"], [0.0085 / 0.0095, 0.001 / 0.0095], rtol=1e-13)


def test_dollar_neutral_tail_stress_and_decompose():
    from riskkit.decomposition import decompose
    from riskkit.decomposition.stress import correlation_stress
    from riskkit.decomposition.tail import tail_risk

    w, cov = _neutral()
    stress = correlation_stress(w, cov, blends=(0.0,))
    assert stress.loc[0.0, "volatility"] == pytest.approx(math.sqrt(0.0095), rel=1e-14)
    R = _prices(T=400, seed=5).pct_change().iloc[1:]
    R.columns = ["A", "B"]
    port = R.to_numpy() @ w.to_numpy()
    m = len(port) * 0.05  # 19.95: the fractional tail, 19 whole periods and 0.95 of the 20th
    worst = np.sort(port)
    es = -(worst[:19].sum() + (m - 19) * worst[19]) / m
    assert tail_risk(w, R, level=0.95).es == pytest.approx(es, rel=1e-13)
    dec = decompose(w, returns=R)
    assert dec.volatility > 0 and dec.assets["percent"].sum() == pytest.approx(1.0, rel=1e-12)


# --------------------------------------------------------------------- 9. tiny ERC budgets


@pytest.mark.parametrize("tiny", [1e-10, 1e-12, 1e-14])
def test_risk_budgeting_tiny_budgets_converge(tiny):
    from riskkit.allocation import risk_budgeting

    rng = np.random.default_rng(7)
    A = rng.standard_normal((200, 4))
    S = np.cov(A, rowvar=False)
    cov = pd.DataFrame(S, index=list("abcd"), columns=list("abcd"))
    b = pd.Series({"a": tiny, "b": 0.3, "c": 0.3, "d": 0.4 - tiny})
    w = risk_budgeting(cov, budgets=b).to_numpy()
    shares = w * (S @ w) / (w @ S @ w)
    np.testing.assert_allclose(shares, b.to_numpy(), rtol=1e-6, atol=1e-15)


def _factor_covariance(seed):
    """Three factors with loadings of either sign: correlations near +-1, so the risk contribution of
    a tiny budget is a sum of O(1) terms cancelling to 1e-12 (the ERC stop test must know that)."""
    g = np.random.default_rng(seed)
    N = int(g.integers(3, 40))
    T = int(g.integers(N + 5, 4 * N + 40))
    F = g.standard_normal((T, 3)) * (g.random(3) * 3)
    L = g.standard_normal((3, N)) * g.choice([-1, 1], N)
    X = F @ L + g.standard_normal((T, N)) * g.random(N) * 0.3
    names = [f"a{i}" for i in range(N)]
    return pd.DataFrame(np.cov(X, rowvar=False) * g.choice([1e-4, 1, 365e-4]), index=names, columns=names), g


@pytest.mark.parametrize("seed", [0, 23, 45, 291])
@pytest.mark.parametrize("tiny", [1e-12, 1e-14])
def test_risk_budgeting_tiny_budgets_with_cancelling_contributions(seed, tiny):
    """Raised ConvergenceError: the rounding floor of the stop test was asked only once the relative
    error was below 1e-6, and a tiny budget's floor is far above that (1e-3 at 1e-12 here)."""
    from riskkit.allocation import risk_budgeting

    cov, g = _factor_covariance(seed)
    N = len(cov)
    k = int(g.integers(1, N))
    b = np.full(N, (1 - tiny * k) / (N - k))
    b[g.choice(N, k, replace=False)] = tiny
    w = risk_budgeting(cov, budgets=pd.Series(b, index=cov.index)).to_numpy()
    S = cov.to_numpy()
    rc = w * (S @ w)
    shares = rc / rc.sum()
    floor = 16 * np.finfo(float).eps * w * (np.abs(S) @ np.abs(w)) / rc.sum()  # rounding of the share itself
    assert (np.abs(shares - b) <= 1e-10 * b + floor).all()
    assert np.abs(shares - b).max() < 1e-11


# --------------------------------------------------------------------- 10. six-day weeks


@pytest.mark.parametrize(
    ("days", "ppy"), [((6, 0, 1, 2, 3), 260), ((0, 1, 2, 3, 4, 5), 313), ((0, 1, 2, 3, 4), 252)]
)
def test_week_calendars(days, ppy):
    from riskkit.data.calendar import infer_periods_per_year

    idx = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    idx = idx[np.isin(idx.day_of_week, days)]
    assert infer_periods_per_year(idx) == ppy


# --------------------------------------------------------------------- 11. zero-variance asset


def test_decompose_zero_variance_asset_without_groups():
    from riskkit.decomposition import decompose

    R = _prices(T=200, N=3, seed=9).pct_change().iloc[1:]
    R["CASH"] = 0.0
    w = pd.Series({"A": 0.3, "B": 0.3, "C": 0.3, "CASH": 0.1})
    dec = decompose(w, covariance=R.cov())  # CASH: a zero row and column
    assert dec.assets.loc["CASH", "percent"] == 0.0
    # the cash asset is a cluster of its own
    assert (dec.assets["group"] == dec.assets.loc["CASH", "group"]).sum() == 1


# --------------------------------------------------------------------- 12. bare exceptions


def test_performance_one_row_is_a_riskkit_error():
    from riskkit.metrics import performance

    # already a riskkit error on this tree (the ZeroDivisionError did not reproduce): kept as a guard
    one = pd.Series([1.0], index=pd.date_range("2024-01-01", periods=1))
    with pytest.raises(RiskkitError, match="1 date"):
        performance(one)
    with pytest.raises(RiskkitError, match="at least 2 dates"):
        performance(one, periods_per_year=365)


@pytest.mark.parametrize("scale", [1e150, 1e-150])
@pytest.mark.parametrize(("method", "target"), [("ledoit_wolf", "identity"), ("oas", "identity"),
                                                 ("ledoit_wolf", "single_index"),
                                                 ("ledoit_wolf", "constant_correlation")])  # fmt: skip
def test_shrinkage_scale_equivariant_at_extremes(scale, method, target):
    """cov(c X) = c^2 cov(X) with the same intensity, at 1e150 and 1e-150 as at 1."""
    from riskkit.shrinkage import shrink

    R = _prices(T=120, N=3, seed=4).pct_change().iloc[1:]
    base = shrink(R, method=method, target=target)
    big = shrink(R * scale, method=method, target=target)
    assert big.intensity == pytest.approx(base.intensity, rel=1e-10)
    np.testing.assert_allclose(big.covariance.to_numpy() / scale**2, base.covariance.to_numpy(), rtol=1e-10)


@pytest.mark.parametrize("scale", [1e150, 1e-150])
@pytest.mark.parametrize(("method", "target"), [("ledoit_wolf", "identity"), ("oas", "identity"),
                                                 ("ledoit_wolf", "single_index"),
                                                 ("ledoit_wolf", "constant_correlation")])  # fmt: skip
def test_rolling_shrink_scale_equivariant_at_extremes(scale, method, target):
    """rolling_shrink scales by a power of two as shrink does (one helper): no overflow or 0 / 0."""
    import pickle

    from riskkit.shrinkage import rolling_shrink, shrink

    R = _prices(T=150, N=3, seed=4).pct_change().iloc[1:]
    base = rolling_shrink(R, window=60, step=15, method=method, target=target)
    big = rolling_shrink(R * scale, window=60, step=15, method=method, target=target)
    np.testing.assert_allclose(big.intensity, base.intensity, rtol=1e-10)
    np.testing.assert_allclose(big.covariances / scale**2, base.covariances, rtol=1e-10)
    one = pickle.loads(pickle.dumps(shrink(R * scale, method=method, target=target)))  # scaled back lazily
    np.testing.assert_allclose(one.sample_covariance / scale**2, shrink(R).sample_covariance, rtol=1e-10)


def test_costs_impact_not_a_pair_is_a_riskkit_error():
    from riskkit.rebalancing import Costs

    with pytest.raises(RiskkitError, match="pair"):
        Costs(impact=0.1)


# --------------------------------------------------------------------- conventions decided (issue 25)


def _oas_eq23(X, paper):
    """Chen, Wiesel, Eldar & Hero (2010) eq. 23, transcribed: rho from tr(S^2) and tr^2(S), S = Xc'Xc / n;
    ``paper=False`` drops the two 2/p terms (scikit-learn's form)."""
    n, p = X.shape
    Xc = X - X.mean(axis=0)
    S = Xc.T @ Xc / n
    tr2, trs = np.trace(S @ S), np.trace(S) ** 2
    c = 2.0 / p if paper else 0.0
    rho = min(((1 - c) * tr2 + trs) / ((n + 1 - c) * (tr2 - trs / p)), 1.0)
    F = np.trace(S) / p * np.eye(p)
    return rho, (1 - rho) * S + rho * F


@pytest.mark.parametrize(("N", "T"), [(2, 40), (5, 30), (5, 200), (20, 60)])
def test_oas_follows_scikit_learn_and_names_the_paper(N, T):
    from riskkit.shrinkage import shrink

    X = np.random.default_rng(N * T).standard_normal((T, N)) @ np.diag(np.linspace(1, 3, N))
    for method, paper in (("oas", False), ("oas_paper", True)):
        rho, cov = _oas_eq23(X, paper)
        res = shrink(X, method=method)
        assert res.intensity == pytest.approx(rho, rel=1e-12)
        np.testing.assert_allclose(res.covariance.to_numpy(), cov, rtol=1e-12)
        assert res.target == "identity"
    assert shrink(X, method="oas").intensity != shrink(X, method="oas_paper").intensity


def test_historical_es_fractional_tail_by_hand():
    """T = 250: level 0.95 puts 12.5 periods in the tail (12 whole, the 13th half), 0.99 puts 2.5."""
    from riskkit.decomposition.tail import tail_risk
    from riskkit.metrics import performance

    rng = np.random.default_rng(11)
    r = pd.DataFrame(rng.standard_t(4, size=(250, 3)) * 0.01, columns=list("abc"))
    w = pd.Series([0.5, 0.3, 0.2], index=list("abc"))
    X, wv = r.to_numpy(), w.to_numpy()
    order = np.argsort(X @ wv)
    for level, whole in ((0.95, 12), (0.99, 2)):
        m = whole + 0.5
        pos = -(X[order[: whole + 1]] * wv)  # position losses, worst period first
        es_c = (pos[:whole].sum(axis=0) + 0.5 * pos[whole]) / m
        res = tail_risk(w, r, level=level)
        np.testing.assert_allclose(res.contributions["es"], es_c, rtol=1e-12)
        assert res.es == pytest.approx(es_c.sum(), rel=1e-12)
        assert res.contributions["es"].sum() == pytest.approx(res.es, rel=1e-14)
        assert res.var == pytest.approx(pos[whole].sum(), rel=1e-12)  # the 13th (3rd) worst
        assert res.es > -(X @ wv)[order[: whole + 1]].mean()  # the plain mean of 13 understates it
    v = pd.Series(np.concatenate([[1.0], np.cumprod(1 + X @ wv)]))
    ret = np.sort(v.to_numpy()[1:] / v.to_numpy()[:-1] - 1)
    perf = performance(v, periods_per_year=252, level=0.95)
    assert perf["ES 95%"].iloc[0] == pytest.approx(-(ret[:12].sum() + 0.5 * ret[12]) / 12.5, rel=1e-12)


def test_decompose_gaussian_var_is_z_times_its_volatility():
    from scipy.stats import norm

    from riskkit.decomposition import decompose

    R = _prices(T=250, N=4, seed=5).pct_change().iloc[1:]
    w = pd.Series(0.25, index=R.columns)
    dec = decompose(w, returns=R, periods_per_year=365)
    sigma = dec.volatility / np.sqrt(365)  # per period
    mean = float(R.mean() @ w)
    z = norm.ppf(0.95)
    assert dec.tail.loc["gaussian", "VaR"] == pytest.approx(z * sigma - mean, rel=1e-13)
    assert dec.tail.loc["gaussian", "ES"] == pytest.approx(norm.pdf(z) / 0.05 * sigma - mean, rel=1e-13)
    given = decompose(w, returns=R, covariance=R.cov() * 2.0)  # a covariance given: that one
    assert given.tail.loc["gaussian", "VaR"] == pytest.approx(
        z * given.volatility / np.sqrt(365) - mean, rel=1e-13
    )


def test_volatility_target_table_rows_only_when_the_scale_changes():
    from riskkit.allocation import volatility_target_table

    R = _prices(T=400, N=3, seed=6, vol=0.01).pct_change().iloc[1:]
    w = pd.Series(1 / 3, index=R.columns)
    # the cap binds throughout
    vt = volatility_target_table(w, R, target=3.0, window=60, step=10, leverage_cap=1.5)
    assert len(vt) == 1
    np.testing.assert_allclose(vt.sum(axis=1), 1.5, rtol=1e-14)
    vt = volatility_target_table(w, R, target=0.1, band=0.05, window=60, step=10)  # scale moves freely
    scales = vt.sum(axis=1).to_numpy()
    assert len(vt) > 2 and (np.abs(np.diff(scales)) > 1e-12).all()


@pytest.mark.parametrize("seed", range(20))
def test_constant_correlation_two_assets_deterministic(seed):
    from riskkit.shrinkage import rolling_shrink, shrink

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((100, 2)) @ np.array([[1.0, 0.4], [0.0, 0.8]]) * 0.01
    res = shrink(X, method="ledoit_wolf", target="constant_correlation")
    assert res.intensity == 0.0  # the target is the sample covariance itself
    np.testing.assert_allclose(res.covariance.to_numpy(), np.cov(X, rowvar=False, ddof=0), rtol=1e-13)
    R = pd.DataFrame(X, columns=["a", "b"], index=pd.date_range("2024-01-01", periods=100))
    roll = rolling_shrink(R, window=30, step=7, method="ledoit_wolf", target="constant_correlation")
    assert (np.asarray(roll.intensity) == 0.0).all()


# ---------------------------------------------------------------- backtest summary: one annualisation rule


@pytest.mark.parametrize("given, expected", [(None, 365.0), (252, 252.0)])
def test_backtest_summary_annualises_with_the_one_rule(given, expected):
    """backtest().summary() annualises with the periods a year resolved once by
    riskkit.data.calendar.resolve_periods_per_year (given: that value; else the dates': 365
    on a 7-day calendar), checked against a naive volatility and growth rate."""
    from riskkit.data.calendar import resolve_periods_per_year
    from riskkit.rebalancing import Calendar, Config, backtest

    P = _prices()
    target = pd.Series([0.5, 0.5], index=P.columns)
    res = backtest(P, target, [Config("never", Calendar("Y"))], periods_per_year=given)
    assert res.periods_per_year == expected == resolve_periods_per_year(P, given)
    row = res.summary().loc["never"]
    v = res.values["never"].to_numpy()
    r = v[1:] / v[:-1] - 1
    assert row["volatility"] == pytest.approx(np.std(r, ddof=1) * math.sqrt(expected), rel=1e-12)
    assert row["cagr"] == pytest.approx((v[-1] / v[0]) ** (expected / len(r)) - 1, rel=1e-12)
    assert row["units"] == "annual"
