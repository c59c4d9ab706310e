"""The result contract (DESIGN.md): every result object has ``summary() -> DataFrame``, a short
one-line ``__repr__``, ``_repr_html_``, named fields (no tuples, no ``DataFrame.attrs``) and pickles."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import numpy as np
import pandas as pd
import pytest

import riskkit
from riskkit._core.result import Result
from riskkit.simulation import simulate_market


def _market():
    m = simulate_market(n_assets=4, n_periods=400, seed=11)
    w = pd.Series([0.4, 0.3, 0.2, 0.1], index=m.returns.columns)
    return m, w


def _decomposition():
    m, w = _market()
    return riskkit.decomposition.decompose(w, returns=m.returns, stress_windows=(5,))


def _contributions():
    m, w = _market()
    return riskkit.decomposition.risk_contributions(w, m.returns.cov(), periods_per_year=365)


def _bets():
    m, w = _market()
    return riskkit.decomposition.effective_number_of_bets(w, m.returns.cov())


def _tail():
    m, w = _market()
    return riskkit.tail.tail_risk(w, m.returns)


def _factor_model():
    m, _ = _market()
    return riskkit.factors.factor_exposures(m.returns, m.returns[["A01"]].rename(columns={"A01": "MKT"}))


def _drawdowns():
    m, _ = _market()
    return riskkit.metrics.drawdowns(m.prices.iloc[:, 0])


def _shrinkage():
    m, _ = _market()
    return riskkit.shrinkage.shrink(m.returns, method="ledoit_wolf", target="constant_correlation")


def _rolling():
    m, _ = _market()
    return riskkit.shrinkage.rolling_shrink(m.returns, window=100, step=50)


def _backtest():
    from riskkit.rebalancing import Calendar, Config, Never, backtest

    m, w = _market()
    return backtest(m.prices, w, [Config("monthly", Calendar("M")), Config("hold", Never())])


def _decision():
    from riskkit.policies import Threshold

    m, w = _market()
    return riskkit.rebalancing.decision(Threshold(0.05), w * [1.3, 0.9, 0.9, 0.5], w, dates=m.prices.index)


def _position():
    m, _ = _market()
    return riskkit.trades.position(m.prices, holdings={"A01": 2.0, "A02": 1.0}, cash=100.0)


def _trade_list():
    p = _position()
    return riskkit.trades.trade_list(p.units, p.prices, pd.Series(0.25, index=p.units.index), cash=p.cash)


def _hedge_ratio():
    m, _ = _market()
    return riskkit.hedging.hedge_ratio(m.returns["A01"], m.returns["A02"])


FACTORIES = {
    "BacktestResult": _backtest,
    "Decision": _decision,
    "Position": _position,
    "TradeList": _trade_list,
    "HedgeRatio": _hedge_ratio,
    "PriceData": lambda: riskkit.data.load("crypto_sim"),
    "ShrinkageResult": _shrinkage,
    "RollingShrinkage": _rolling,
    "SimulatedMarket": lambda: _market()[0],
    "RiskDecomposition": _decomposition,
    "RiskContributions": _contributions,
    "EffectiveBets": _bets,
    "TailRisk": _tail,
    "FactorModel": _factor_model,
    "Drawdowns": _drawdowns,
}


def _all_result_classes() -> set[str]:
    for info in pkgutil.walk_packages(riskkit.__path__, "riskkit."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    seen, todo = set(), [Result]
    while todo:
        for sub in todo.pop().__subclasses__():
            seen.add(sub.__name__)
            todo.append(sub)
    return seen


def test_every_result_class_is_checked_here():
    """A new result class must keep the contract: add a factory above."""
    assert _all_result_classes() <= set(FACTORIES), sorted(_all_result_classes() - set(FACTORIES))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_result_contract(name):
    result = FACTORIES[name]()
    assert type(result).__name__ == name
    summary = result.summary()
    assert isinstance(summary, pd.DataFrame) and len(summary) >= 1
    text = repr(result)
    assert text.startswith(f"{name}(") and "\n" not in text and len(text) <= 240
    html = result._repr_html_()
    assert f"<strong>{name}</strong>" in html and "<table" in html
    again = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(again.summary(), summary)
    for value in vars(result).values():
        assert not isinstance(value, tuple), "named fields, not tuples"
        if isinstance(value, pd.DataFrame | pd.Series):
            assert not value.attrs, "no hidden DataFrame.attrs"


def test_repr_shows_scalars_and_shapes():
    d = _decomposition()
    text = repr(d)
    assert f"volatility={d.volatility:.6g}" in text and "periods_per_year=365" in text
    assert "assets=<DataFrame 4x6>" in text
    assert np.isfinite(d.volatility)
