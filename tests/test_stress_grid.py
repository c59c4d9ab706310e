"""Stress grid (riskkit.hedging.stress): a straddle and a short perpetual revalued cell by cell
against a naive Black-Scholes kept here, the SPAN requirement, and the Taylor estimate."""

import math

import numpy as np
import pytest
from conftest import straddle_and_short_perp

from riskkit.exceptions import InvalidParameterError
from riskkit.hedging.stress import span_grid, stress_grid


def _N(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def bs(S, K, T, v, kind):
    d1 = (math.log(S / K) + 0.5 * v * v * T) / (v * math.sqrt(T))
    d2 = d1 - v * math.sqrt(T)
    return S * _N(d1) - K * _N(d2) if kind == "call" else K * _N(-d2) - S * _N(-d1)


BOOK = straddle_and_short_perp()


def test_straddle_and_short_perp_cell_by_cell():
    """Each cell: 2 x (call + put) at S (1 + m), vol 0.6 + dv, 0.25 - 1/365 years, minus today's;
    the short perp loses 0.5 x 30000 m and receives 0.5 x 30000 x 0.0001 x 3 = 4.5 of funding."""
    grid = stress_grid(BOOK, {"BTC": 30000.0})
    today = 2 * (bs(30000, 30000, 0.25, 0.6, "call") + bs(30000, 30000, 0.25, 0.6, "put"))
    for m in grid.pnl.index:
        for dv in grid.pnl.columns:
            S, v, T = 30000 * (1 + m), 0.6 + dv, 0.25 - 1 / 365
            want = (
                2 * (bs(S, 30000, T, v, "call") + bs(S, 30000, T, v, "put")) - today - 0.5 * 30000 * m + 4.5
            )
            assert grid.pnl.loc[m, dv] == pytest.approx(want, rel=1e-9, abs=1e-6), (m, dv)


def test_hand_checked_cells():
    """At the money, no move, no vol shock, no time: the straddle and the perp are unchanged (0);
    up 10% with the options aged 0 days and vol unchanged, the perp loses exactly 1,500."""
    grid = stress_grid(
        BOOK.drop(index=["call", "put"]),
        {"BTC": 30000.0},
        spot_moves=[-0.1, 0.0, 0.1],
        vol_shocks=[0.0],
        horizon_days=0.0,
    )
    assert grid.pnl[0.0].tolist() == pytest.approx([1500.0, 0.0, -1500.0])
    assert grid.requirement == pytest.approx(1500.0) and grid.worst_move == 0.1
    # the perp's surplus after the worst cell: 5000 - 1500 - 0.005 x 0.5 x 33000
    assert grid.positions.loc["perp", "surplus_after"] == pytest.approx(3500.0 - 82.5)


def test_span_grid_and_its_requirement():
    moves, _, weights = span_grid(0.15, 0.1)
    assert moves.tolist() == pytest.approx([-0.45, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.45])
    assert np.isfinite(weights).sum() == 16
    assert weights[0, 1] == weights[-1, 1] == 0.35 and np.isnan(weights[0, 0]) and np.isnan(weights[4, 1])
    grid = stress_grid(BOOK, {"BTC": 30000.0})
    counted = (-grid.weights * grid.pnl).stack().dropna()
    assert grid.requirement == pytest.approx(max(counted.max(), 0.0))
    assert (grid.worst_move, grid.worst_shock) == counted.idxmax()


def test_taylor_is_exact_for_the_perp_and_close_for_small_moves():
    perp = stress_grid(BOOK.loc[["perp"]], {"BTC": 30000.0})
    np.testing.assert_allclose(perp.taylor.to_numpy(), perp.pnl.to_numpy(), rtol=1e-12, atol=1e-9)
    grid = stress_grid(BOOK, {"BTC": 30000.0}, spot_moves=[-0.01, 0.01], vol_shocks=[-0.01, 0.01])
    assert np.abs(grid.taylor - grid.pnl).to_numpy().max() < 0.02 * np.abs(grid.pnl).to_numpy().max()
    # and fails on the extreme moves: the long straddle's gamma is not constant
    span = stress_grid(BOOK, {"BTC": 30000.0})
    assert abs(span.taylor.iloc[0, 1] - span.pnl.iloc[0, 1]) > 100.0  # spot -45%, vol unchanged


def test_vol_shock_below_zero_names_the_rows():
    with pytest.raises(InvalidParameterError, match=r"rows 'call', 'put'"):
        stress_grid(BOOK, {"BTC": 30000.0}, spot_moves=[0.0], vol_shocks=[-0.7])
