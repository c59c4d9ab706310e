"""The Whalley-Wilmott band (riskkit.hedging.bands): its formula, its use by banded_rehedging
(trading to the band's edge), and the comparison with fixed bands over simulated paths."""

import math

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.hedging import banded_rehedging
from riskkit.hedging.bands import WhalleyWilmott, compare_bands, whalley_wilmott_band
from riskkit.hedging.greeks import option_greeks
from riskkit.rebalancing.costs import Costs


def test_the_formula():
    """H = (3/2 e^{-r(T-t)} lambda S Gamma^2 / gamma)^{1/3}, by hand: 1.5 x 0.001 x 100 x 0.002^2 / 0.01
    = 6e-5, whose cube root is 0.0391487..."""
    got = whalley_wilmott_band(0.002, 100.0, proportional=0.001, risk_aversion=0.01)
    assert float(got) == pytest.approx(6e-5 ** (1 / 3), rel=1e-14)
    with_rate = whalley_wilmott_band(
        0.002, 100.0, proportional=0.001, risk_aversion=0.01, rate=0.05, expiry=2.0
    )
    assert float(with_rate) == pytest.approx((6e-5 * math.exp(-0.1)) ** (1 / 3), rel=1e-14)
    # cost to the 1/3, risk aversion to the -1/3, gamma to the 2/3
    assert float(whalley_wilmott_band(0.002, 100.0, proportional=0.008, risk_aversion=0.01)) == pytest.approx(
        2 * float(got)
    )
    assert float(whalley_wilmott_band(0.016, 100.0, proportional=0.001, risk_aversion=0.01)) == pytest.approx(
        4 * float(got)
    )


BOOK = pd.DataFrame(
    {"kind": ["call"], "strike": [30000.0], "expiry": [0.5], "vol": [0.6], "quantity": [-10.0]}
)


def test_banded_rehedging_keeps_the_hedge_inside_the_band_and_trades_to_its_edge():
    """Naive re-implementation: hedge starts at -delta_0; each date, if outside -delta_t +/- H_t,
    move to the nearest edge; count the trades and the cost (10 bp of the traded notional)."""
    path = rk.explorers.price_paths(realised_vol=0.6, days=40, spot=30000.0, n_paths=2, seed=4).iloc[:, 0]
    policy = WhalleyWilmott(1e-4)
    table = banded_rehedging(BOOK, path, bands=(policy,), costs=Costs(proportional=0.001))
    tau = 0.5 - np.arange(len(path)) / 365
    g = option_greeks(path.to_numpy(), 30000.0, tau, 0.6)
    delta, gamma = -10 * g["delta"].to_numpy(), -10 * g["gamma"].to_numpy()
    H = whalley_wilmott_band(gamma, path.to_numpy(), proportional=0.001, risk_aversion=1e-4)
    held, trades, cost = -delta[0], 0, 0.0
    for t in range(1, len(path)):
        lo, hi = -delta[t] - H[t], -delta[t] + H[t]
        new = min(max(held, lo), hi)
        if new != held:
            trades += 1
            cost += 0.001 * abs(new - held) * path.iloc[t]
            held = new
    assert str(policy) == "Whalley-Wilmott (risk aversion 0.0001)"
    row = table.loc[str(policy)]
    assert row["rehedges"] == trades and trades > 0
    assert row["hedging_cost"] == pytest.approx(cost, rel=1e-12)


def test_whalley_wilmott_beats_the_fixed_bands_at_moderate_risk_aversion():
    """400 paths, 10 short ATM calls (60% vol, 120 days), 10 bp: at risk aversion 3e-5 the WW band's
    loss (mean cost + gamma/2 variance) is below every fixed band's."""
    paths = rk.explorers.price_paths(realised_vol=0.6, days=120, spot=30000.0, n_paths=400, seed=1)
    res = compare_bands(
        BOOK,
        paths,
        bands=(0.0, 0.02, 0.05, 0.1, 0.2, 0.5),
        risk_aversion=3e-5,
        costs=Costs(proportional=0.001),
    )
    table = res.table
    fixed_names = ["fixed 0% (every period)", "fixed 2%", "fixed 5%", "fixed 10%", "fixed 20%", "fixed 50%"]
    assert list(table.index) == [*fixed_names, "Whalley-Wilmott"]
    ww = table.loc["Whalley-Wilmott", "loss"]
    fixed = table.drop(index="Whalley-Wilmott")["loss"]
    assert ww < fixed.min()
    # the loss is what it says
    row = table.loc["fixed 10%"]
    assert row["loss"] == pytest.approx(row["hedging_cost"] + 0.5 * 3e-5 * row["pnl_std"] ** 2, rel=1e-12)
    assert set(table["units"]) == {"per path"}
