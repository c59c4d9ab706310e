"""riskkit: portfolio risk balancing and rebalancing for Jupyter.

Modules (imported on first use, so ``import riskkit`` stays cheap):

data         read and validate prices, repairs on request, returns
calendar     periods per year, resampling, aligning 24/7 with business days
shrinkage    covariance shrinkage (Ledoit-Wolf, OAS, nonlinear, denoising), rolling
evaluation   estimator loss against a known truth, out-of-sample minimum-variance risk
decomposition  risk by asset, group, cluster; concentration; decompose() in one call
tail         VaR and expected shortfall with contributions
stress       scenario, correlation and worst-window stress tests
factors      factor exposures (statsmodels OLS) and the factor split of risk
policies     rebalancing policies: calendar, threshold, risk-budget and volatility triggers
costs        the trading cost model (Costs; also ``rk.Costs``): bps, fixed, minimum trade, impact
rebalancing  backtests of many configurations in one pass, today's decision
metrics      performance statistics, drawdowns, rebalancing premium
trades       today's trade list from holdings, prices, cash and targets
allocation   target weights: equal, inverse volatility, minimum variance, max diversification, risk budgets
hedging      hedge ratios (OLS), Black-Scholes greeks, banded re-hedging
explorers    what-if experiments behind the notebooks' interactive explorers
widgets      the explorers' figures and their ipywidgets controls (JupyterLab)
estimators   scikit-learn estimator wrapping riskkit.shrinkage
simulation   a seeded market simulator with a known true covariance
datasets     bundled simulated crypto and real stock data
exceptions   the errors and warnings riskkit raises
plotting     figures in seaborn's look, one function per figure
display      numbers as people read them: rounding noise shown as such
reports      run notebooks into reproducible reports (papermill)

>>> import riskkit as rk
>>> prices = rk.datasets.load("crypto_sim")
>>> returns = rk.data.to_returns(prices)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = (
    "allocation",
    "calendar",
    "costs",
    "data",
    "datasets",
    "decomposition",
    "display",
    "evaluation",
    "estimators",
    "metrics",
    "exceptions",
    "factors",
    "hedging",
    "explorers",
    "plotting",
    "policies",
    "rebalancing",
    "reports",
    "trades",
    "shrinkage",
    "widgets",
    "simulation",
    "stress",
    "tail",
)

_NAMES = {"Costs": "costs"}  # classes re-exported at the top level, from their module

__all__ = ["__version__", *_SUBMODULES, *_NAMES]

if TYPE_CHECKING:  # pragma: no cover
    from riskkit import (  # noqa: F401
        allocation,
        calendar,
        costs,
        data,
        datasets,
        decomposition,
        display,
        estimators,
        evaluation,
        exceptions,
        explorers,
        factors,
        hedging,
        metrics,
        plotting,
        policies,
        rebalancing,
        reports,
        shrinkage,
        simulation,
        stress,
        tail,
        trades,
        widgets,
    )
    from riskkit.costs import Costs  # noqa: F401


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(f"riskkit.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"riskkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'riskkit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
