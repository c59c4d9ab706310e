"""riskkit.rebalancing.costs: the one cost model, by formula."""

import numpy as np
import pytest

from riskkit.exceptions import InvalidParameterError
from riskkit.rebalancing import Config, Threshold, sweep
from riskkit.rebalancing.costs import Costs, trade_cost


def test_cost_of_a_trade_by_formula():
    # c |x| + F + V (a u + b u^1.5), u = |x| / V: 25 bp, fee 50, impact (0.001, 0.01), V = 1e6
    c = Costs(proportional=0.0025, fixed=50.0, impact=(0.001, 0.01))
    x = np.array([100_000.0, -40_000.0, 0.0])
    u = np.abs(x) / 1e6
    want = 0.0025 * np.abs(x) + 50.0 + 1e6 * (0.001 * u + 0.01 * u**1.5)
    want[2] = 0.0  # no trade, no cost
    np.testing.assert_allclose(c.of(x, value=1e6), want, rtol=1e-14)
    assert c.of(100_000.0, value=1e6)[()] == pytest.approx(250.0 + 50.0 + 100.0 + 1e6 * 0.01 * 0.1**1.5)
    assert trade_cost(1000.0, 1e4, 0.001, 5.0, 0.0, 0.0) == pytest.approx(6.0)


def test_min_trade_and_per_asset_rates():
    c = Costs(proportional={"A": 0.001, "B": 0.003}, fixed=1.0, min_trade=500.0)
    np.testing.assert_array_equal(c.executed([1000.0, -400.0, 500.0]), [True, False, True])
    np.testing.assert_allclose(c.rates(["A", "B", "C"]), [0.001, 0.003, 0.0])
    np.testing.assert_allclose(c.of([1000.0, -2000.0], value=1e5, assets=["A", "B"]), [2.0, 7.0])
    with pytest.raises(InvalidParameterError, match="not traded: 'A'"):
        c.rates(["B"])
    with pytest.raises(InvalidParameterError, match="say which assets"):
        c.rates()


def test_proportional_is_a_fraction_and_basis_points_are_refused():
    assert Costs(proportional=0.001).rates() == 0.001  # 10 bp
    with pytest.raises(
        InvalidParameterError,
        match=r"fraction of traded notional.*got 10: if that is basis points, pass 0.001 \(10 bp\)",
    ):
        Costs(proportional=10)
    with pytest.raises(InvalidParameterError, match="proportional must lie in"):
        Costs(proportional=-0.001)


def test_sweep_proportional_and_the_former_cost_bps():
    new = sweep(bands=[0.05], proportional=[0.0, 0.001], band_type="relative")
    assert [c.name for c in new] == ["band=0.05|cost=0bp|to=target", "band=0.05|cost=10bp|to=target"]
    assert new[1] == Config("band=0.05|cost=10bp|to=target", Threshold(0.05, band_type="relative"),
                            Costs(proportional=0.001))  # fmt: skip
    with pytest.warns(FutureWarning, match=r"sweep\(cost_bps=\) is now sweep\(proportional=\)"):
        old = sweep(bands=[0.05], cost_bps=[0, 10], band_type="relative")  # basis points, divided by 1e4
    assert old == new
    with pytest.warns(FutureWarning, match=r"sweep\(kind=\) is now sweep\(band_type=\)"):
        assert sweep(bands=[0.05], proportional=[0.0, 0.001], kind="relative") == new
    with pytest.raises(InvalidParameterError, match="pass proportional= only"):
        sweep(bands=[0.05], proportional=[0.001], cost_bps=[10])
