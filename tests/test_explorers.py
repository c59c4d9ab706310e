"""riskkit.explorers: the numbers behind the teaching explorers.

Identities (the premium split adds up, the hedged P&L split adds up), bounds
(dispersion never positive, ENB between 1 and N, intensity in [0, 1]), hand
calculations and naive rewrites kept here, over several seeds.
"""

import numpy as np
import pandas as pd
import pytest
from riskkit.costs import Costs

import riskkit as rk
from riskkit.exceptions import InvalidParameterError
from riskkit.explorers import (
    delta_hedge,
    delta_hedge_paths,
    rebalancing_paths,
    risk_shares,
    shrinkage_trials,
)
from riskkit.explorers._rebalancing import _mean_revert

SPLIT = ["diversification_return", "dispersion", "timing", "costs"]

# --------------------------------------------------------------------------- rebalancing


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"dispersion": 0.6, "band": 0.02},
        {"reversion": 2.0, "correlation": 0.0, "proportional": 0.005},
        {"volatility": 0.3, "correlation": 0.8, "band": 0.15, "n_assets": 3},
    ],
)
@pytest.mark.parametrize("seed", [0, 7])
def test_premium_split_adds_up_and_dispersion_is_never_positive(options, seed):
    res = rebalancing_paths(years=2, n_paths=12, seed=seed, **options)
    p = res.paths
    np.testing.assert_allclose(p[SPLIT].sum(axis=1), p["premium"], rtol=0, atol=1e-12)
    # buy-and-hold earns at least the weighted average growth of its assets (Jensen)
    assert (p["dispersion"] <= 1e-12).all()
    assert (p["costs"] <= 0).all()
    assert (p["drift_policy"] <= p["drift_buy_and_hold"] + 1e-12).all()
    assert len(p) == 12 and set(res.weights) == {"buy and hold", "policy"}


def test_no_costs_no_cost_term_and_paths_do_not_depend_on_their_number():
    a = rebalancing_paths(years=1, n_paths=4, proportional=0.0, seed=3)
    b = rebalancing_paths(years=1, n_paths=6, proportional=0.0, seed=3)
    assert (a.paths["costs"] == 0).all()
    pd.testing.assert_frame_equal(a.paths, b.paths.iloc[:4])


def test_diversification_return_matches_booth_fama():
    # 1/2 (sum w sigma^2 - w' Sigma w) for 4 assets at 80% volatility, correlation 0.3
    res = rebalancing_paths(years=3, n_paths=40, band=0.05, seed=11)
    n, vol, rho = 4, 0.8, 0.3
    by_hand = 0.5 * (vol**2 - vol**2 * (1 + (n - 1) * rho) / n)
    assert res.expected_diversification_return == pytest.approx(by_hand, rel=1e-12)
    assert res.paths["diversification_return"].mean() == pytest.approx(by_hand, rel=0.05)


def test_mean_reversion_and_trend_move_the_premium_in_opposite_directions():
    base = rebalancing_paths(years=4, n_paths=30, seed=5).paths
    revert = rebalancing_paths(years=4, n_paths=30, reversion=3.0, seed=5).paths
    trend = rebalancing_paths(years=4, n_paths=30, dispersion=0.8, seed=5).paths
    assert revert["premium"].mean() > base["premium"].mean() > trend["premium"].mean()
    assert revert["drift_buy_and_hold"].mean() < base["drift_buy_and_hold"].mean()
    assert trend["dispersion"].mean() < base["dispersion"].mean()


@pytest.mark.parametrize("seed", range(5))
def test_mean_revert_matches_a_naive_loop(seed):
    rng = np.random.default_rng(seed)
    r = rng.normal(0, 0.03, (300, 4)) + 0.001
    drift = np.array([-0.2, 0.0, 0.1, 0.3])
    out = _mean_revert(r, drift, 2.0, 365.0)
    a = np.exp(-2.0 / 365.0)
    market = r.mean(axis=1)
    trend = (drift - drift.mean()) / 365.0
    y_prev = np.zeros(4)
    naive = np.empty_like(r)
    for t in range(len(r)):
        e = r[t] - market[t] - trend
        y = a * y_prev + e
        naive[t] = market[t] + trend + (y - y_prev)
        y_prev = y
    np.testing.assert_allclose(out, naive, rtol=0, atol=1e-14)
    np.testing.assert_allclose(out.mean(axis=1), market, atol=1e-15)  # the market is kept
    assert _mean_revert(r, drift, 0.0, 365.0) is r


@pytest.mark.parametrize(
    ("options", "word"),
    [({"correlation": 1.0}, "correlation"), ({"band": -0.1}, "band"), ({"n_assets": 1}, "n_assets")],
)
def test_rebalancing_paths_errors_name_the_argument(options, word):
    with pytest.raises(InvalidParameterError, match=word):
        rebalancing_paths(n_paths=2, years=1, **options)


def test_rebalancing_paths_summary_states_units_per_row():
    res = rebalancing_paths(years=2, n_paths=5, seed=4)
    s = res.summary()
    assert res.periods_per_year == 365.0
    annual = ["premium", *SPLIT, "annual_turnover"]
    assert (s.loc[annual, "units"] == "annual").all()
    assert (s.loc[["rebalances", "won"], "units"] == "per path").all()
    assert (s.loc[["drift_buy_and_hold", "drift_policy"], "units"] == "per period").all()
    # the figures themselves are the paths' statistics, unchanged by the units column
    assert s.loc["premium", "mean"] == res.paths["premium"].mean()
    assert s.loc["won", "mean"] == (res.paths["premium"] > 0).mean()
    assert s.loc["rebalances", "95%"] == res.paths["rebalances"].quantile(0.95)


def test_rebalancing_paths_premium_is_annual_log_growth():
    # the premium over 2 years of 365 days is half the log growth of policy over buy-and-hold
    from riskkit.explorers._common import _spawn
    from riskkit.rebalancing import Config, Never, Threshold, backtest
    from riskkit.simulation import simulate_simple_market

    res = rebalancing_paths(years=2, n_paths=2, seed=9, proportional=0.002)
    sim = simulate_simple_market(
        n_assets=4, n_periods=730, volatility=0.8, correlation=0.3, seed=_spawn(9, 2)[0]
    )
    configs = [Config("policy", Threshold(0.05), Costs(proportional=0.002)), Config("buy and hold", Never())]
    bt = backtest(sim.prices, pd.Series(0.25, index=sim.prices.columns), configs)
    by_hand = np.log(bt.values["policy"].iloc[-1] / bt.values["buy and hold"].iloc[-1]) / 2
    assert res.paths["premium"].iloc[0] == pytest.approx(by_hand, rel=1e-9)


# --------------------------------------------------------------------------- shrinkage


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shrinkage_trials_bounds_and_identities(seed):
    res = shrinkage_trials(n_assets=10, ratio=1.5, n_trials=6, seed=seed)
    t = res.trials
    assert ((t["intensity"] >= 0) & (t["intensity"] <= 1)).all()
    np.testing.assert_allclose(t["improvement"], 100 * (1 - t["loss_shrunk"] / t["loss_sample"]), atol=1e-12)
    # eigenvalues of correlation matrices add up to the number of assets, largest first
    np.testing.assert_allclose(res.eigenvalues.sum(), 10.0, rtol=1e-10)
    assert (res.eigenvalues.diff().iloc[1:] <= 1e-12).all().all()
    # shrinkage toward the identity lifts the smallest eigenvalue and lowers the largest
    assert res.eigenvalues["shrunk"].iloc[-1] > res.eigenvalues["sample"].iloc[-1]
    assert res.eigenvalues["shrunk"].iloc[0] < res.eigenvalues["sample"].iloc[0]


def test_shrinkage_intensity_falls_as_data_grow_and_truth_is_the_simulators():
    few = shrinkage_trials(n_assets=10, ratio=1.0, n_trials=8, seed=4)
    many = shrinkage_trials(n_assets=10, ratio=20.0, n_trials=8, seed=4)
    assert few.trials["intensity"].mean() > many.trials["intensity"].mean()
    assert few.trials["loss_sample"].mean() > many.trials["loss_sample"].mean()
    # independent assets: the true correlation is the identity
    ind = shrinkage_trials(n_assets=6, market_loading=0.0, group_loading=0.0, n_trials=2)
    np.testing.assert_allclose(ind.eigenvalues["truth"], 1.0, atol=1e-12)


# --------------------------------------------------------------------------- risk shares


def test_risk_shares_by_hand():
    r = risk_shares({"a": 0.5, "b": 0.5}, {"a": 0.2, "b": 0.1}, correlation=0.5)
    var = 0.25 * 0.04 + 0.25 * 0.01 + 2 * 0.25 * 0.5 * 0.02  # 0.0175
    assert r.volatility == pytest.approx(np.sqrt(var), rel=1e-12)
    assert r.contributions.loc["a", "percent"] == pytest.approx(
        0.5 * (0.5 * 0.04 + 0.5 * 0.01) / var, rel=1e-12
    )
    # ERC of two assets: weights inversely proportional to volatility, 1/3 and 2/3
    np.testing.assert_allclose(r.contributions["erc_weight"], [1 / 3, 2 / 3], rtol=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_risk_shares_sum_to_one_and_enb_within_bounds(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    names = [f"x{i}" for i in range(n)]
    w = pd.Series(rng.dirichlet(np.ones(n)), index=names)
    vol = pd.Series(rng.uniform(0.1, 1.5, n), index=names)
    rho = float(rng.uniform(-0.9 / (n - 1), 0.95))
    r = risk_shares(w, vol, correlation=rho)
    assert r.contributions["percent"].sum() == pytest.approx(1.0, abs=1e-12)
    assert 1.0 - 1e-9 <= r.effective_bets <= n + 1e-9
    assert r.effective_assets == pytest.approx(1.0 / (r.contributions["percent"] ** 2).sum(), rel=1e-12)
    erc = risk_shares(r.contributions["erc_weight"], vol, correlation=rho)
    np.testing.assert_allclose(erc.contributions["percent"], 1.0 / n, atol=1e-9)


def test_enb_limits():
    vol = {k: 0.5 for k in "abcd"}
    eq = {k: 0.25 for k in "abcd"}
    assert risk_shares(eq, vol, correlation=0.0).effective_bets == pytest.approx(4.0, rel=1e-12)
    assert risk_shares(eq, vol, correlation=0.999).effective_bets < 1.01
    with pytest.raises(InvalidParameterError, match="correlation"):
        risk_shares(eq, vol, correlation=-0.5)  # below -1/(N-1): not positive definite
    with pytest.raises(InvalidParameterError, match=r"volatilities must be positive.*'c'"):
        risk_shares(eq, vol | {"c": -0.2})


# --------------------------------------------------------------------------- delta hedging


def _book(spot=100.0, vol=0.5, quantity=-10.0, expiry=0.5):
    return pd.DataFrame(
        {"kind": ["call"], "strike": [spot], "expiry": [expiry], "vol": [vol], "quantity": [quantity]}
    )


def _paths(seed, n_paths=5, days=60, vol=0.5):
    rng = np.random.default_rng(seed)
    r = rng.normal(-0.5 * vol**2 / 365, vol / np.sqrt(365), (days, n_paths))
    idx = pd.date_range("2024-01-01", periods=days + 1, freq="D")
    return pd.DataFrame(100 * np.exp(np.vstack([np.zeros(n_paths), np.cumsum(r, 0)])), index=idx)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("band", [0.0, 0.1, 0.3])
def test_hedged_pnl_identities(seed, band):
    prices = _paths(seed)
    res = delta_hedge(_book(), prices, band=band, costs=Costs(proportional=0.001))
    d = res.daily
    # a naive rewrite: book value change + hedge gain, Black-Scholes per date
    tau = 0.5 - np.arange(len(prices)) / 365
    for col in prices.columns:
        S = prices[col].to_numpy()
        V = np.array(
            [
                -10 * rk.hedging.black_scholes(s, 100.0, t, 0.5)["price"].iloc[0]
                for s, t in zip(S, tau, strict=True)
            ]
        )
        h = d["hedge"][col].to_numpy()
        naive = np.diff(V) + h[:-1] * np.diff(S)
        split = d["theta"][col] + d["gamma"][col] + d["unhedged_delta"][col]
        np.testing.assert_allclose(split.to_numpy(), naive, rtol=0, atol=1e-8)
        assert res.pnl[col].iloc[-1] == pytest.approx(naive.sum() + d["costs"][col].sum(), abs=1e-8)
    c = res.components
    np.testing.assert_allclose(
        c[["theta", "gamma", "unhedged_delta", "costs"]].sum(axis=1), c["total"], atol=1e-8
    )
    assert (res.pnl.iloc[0] == 0).all()
    if band == 0.0:
        np.testing.assert_allclose(d["unhedged_delta"].to_numpy(), 0.0, atol=1e-9)
        assert (c["rehedges"] == len(prices) - 1).all()


@pytest.mark.parametrize("seed", range(3))
def test_delta_hedge_agrees_with_banded_rehedging(seed):
    prices = _paths(seed, n_paths=1)
    costs = Costs(proportional=0.0015, fixed=2.0)
    table = rk.hedging.banded_rehedging(_book(), prices[0], bands=(0.0, 0.05, 0.2), costs=costs)
    for band, row in table.iterrows():
        res = delta_hedge(_book(), prices, band=band, costs=costs)
        assert res.components.loc[0, "rehedges"] == row["rehedges"]
        assert -res.components.loc[0, "costs"] == pytest.approx(row["hedging_cost"], rel=1e-12)
        assert res.residual_risk.iloc[0] == pytest.approx(row["residual_risk"], rel=1e-12)


def test_gamma_term_is_half_gamma_times_squared_move():
    res = delta_hedge(_book(vol=0.3), _paths(1, n_paths=20, days=90, vol=0.3), band=0.0)
    g, approx = res.daily["gamma"].to_numpy().sum(), res.daily["gamma_approx"].to_numpy().sum()
    assert g == pytest.approx(approx, rel=0.03)


def test_theta_pays_for_gamma_when_realised_equals_implied():
    hedge, _ = delta_hedge_paths(
        realised_vol=0.6, implied_vol=0.6, band=0.0, proportional=0.0, n_paths=400, seed=2
    )
    c = hedge.components
    se = c["total"].std(ddof=1) / np.sqrt(len(c))
    assert abs(c["total"].mean()) < 3 * se
    assert abs(c["total"].mean()) < 0.05 * c["theta"].mean()
    # a short option loses when the market moves more than implied, wins when it moves less
    rich, _ = delta_hedge_paths(
        realised_vol=0.9, implied_vol=0.6, band=0.0, proportional=0.0, n_paths=100, seed=2
    )
    calm, _ = delta_hedge_paths(
        realised_vol=0.3, implied_vol=0.6, band=0.0, proportional=0.0, n_paths=100, seed=2
    )
    assert rich.components["total"].mean() < 0 < calm.components["total"].mean()


def test_tradeoff_wider_bands_trade_less_and_leave_more_risk():
    hedge, tradeoff = delta_hedge_paths(band=0.07, n_paths=50, seed=1)
    assert 0.07 in tradeoff.index
    assert tradeoff["rehedges"].is_monotonic_decreasing
    assert tradeoff["hedging_cost"].is_monotonic_decreasing
    assert tradeoff["residual_risk"].iloc[-1] > tradeoff["residual_risk"].iloc[0]
    assert hedge.components["rehedges"].mean() == tradeoff.loc[0.07, "rehedges"]


def test_delta_hedge_summary_and_tradeoff_state_units():
    prices = _paths(3, n_paths=4)
    res = delta_hedge(_book(), prices, band=0.1, costs=Costs(proportional=0.001))
    s = res.summary()
    assert res.periods_per_year == 365.0
    assert s.loc["residual_risk", "units"] == "per period"
    assert (s.drop(index="residual_risk")["units"] == "per path").all()
    # per period: the residual risk is one day's standard deviation of the hedged P&L before costs,
    # not annualised; the components are totals over the path's dates
    d = res.daily
    daily = (d["theta"] + d["gamma"] + d["unhedged_delta"]).to_numpy()
    np.testing.assert_allclose(res.residual_risk.to_numpy(), daily.std(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(res.components["theta"].to_numpy(), d["theta"].sum().to_numpy(), rtol=1e-12)
    _, tradeoff = delta_hedge_paths(days=20, n_paths=3, compare_bands=(0.0, 0.1), seed=1)
    assert list(tradeoff["units"]) == ["per period"] * 3


def test_delta_hedge_errors():
    with pytest.raises(InvalidParameterError, match="expire"):
        delta_hedge(_book(expiry=0.1), _paths(0))
    bad = _paths(0)
    bad.iloc[3, 2] = -1.0
    from riskkit.exceptions import NonPositivePriceError

    with pytest.raises(NonPositivePriceError, match=r"prices must be positive; zero or negative at"):
        delta_hedge(_book(), bad)


def test_cost_bps_is_now_proportional_a_fraction():
    new = rebalancing_paths(years=1, n_paths=2, proportional=0.002, seed=1)
    with pytest.warns(
        FutureWarning, match=r"rebalancing_paths\(cost_bps=\) is now rebalancing_paths\(proportional=\)"
    ):
        old = rebalancing_paths(years=1, n_paths=2, cost_bps=20.0, seed=1)  # basis points, divided by 1e4
    pd.testing.assert_frame_equal(old.paths, new.paths)
    assert new.parameters["proportional"] == 0.002
    kw = dict(days=20, n_paths=3, compare_bands=(0.0,), seed=1)
    _, a = delta_hedge_paths(proportional=0.001, **kw)
    with pytest.warns(FutureWarning, match=r"delta_hedge_paths\(cost_bps=\) is now"):
        _, b = delta_hedge_paths(cost_bps=10.0, **kw)
    pd.testing.assert_frame_equal(a, b)


def test_reductions_read_three_ways_by_hand():
    """Mean of per-trial reductions, reduction of the mean loss, median: by hand on three trials."""
    from riskkit.explorers import ShrinkageTrials, reduction_table

    trials = pd.DataFrame(
        {"intensity": [0.2, 0.4, 0.6], "loss_sample": [1.0, 0.5, 0.2], "loss_shrunk": [0.5, 0.45, 0.3]}
    )
    trials["improvement"] = 100 * (1 - trials["loss_shrunk"] / trials["loss_sample"])  # 50, 10, -50
    r = ShrinkageTrials(trials, pd.DataFrame()).reductions()
    assert r["mean of per-trial reductions"] == pytest.approx((0.5 + 0.1 - 0.5) / 3)
    assert r["reduction of the mean loss"] == pytest.approx(1 - (1.25 / 3) / (1.7 / 3))
    assert r["median reduction per trial"] == pytest.approx(0.1)
    assert r["trials where shrinkage loses"] == 1 and r["trials"] == 3
    table = reduction_table({"toy": ShrinkageTrials(trials, pd.DataFrame())})
    assert table.loc["toy", "reduction of the mean loss"] == "26.5%"
    assert table.loc["toy", "intensity (mean)"] == "0.40" and table.loc["toy", "trials"] == "3"
