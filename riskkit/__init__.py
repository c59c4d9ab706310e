"""riskkit: portfolio risk balancing and rebalancing for Jupyter.

One subpackage per topic, in the order the data flow through them (each
imports only from those above it; ``tests/test_layout.py`` holds them to it):

data           read and validate prices, repairs on request, returns, calendars
               (``data.calendar``: periods per year, resampling, 24/7 against business days)
shrinkage      covariance shrinkage (Ledoit-Wolf, OAS, nonlinear, denoising), rolling estimates,
               the scikit-learn estimator (``shrinkage.estimators``)
decomposition  risk by asset, group, cluster, factor (``decomposition.factors``); VaR and
               expected shortfall (``decomposition.tail``); stress tests (``decomposition.stress``)
allocation     target weights: equal, inverse volatility, minimum variance, max diversification, risk budgets
rebalancing    backtests of many configurations in one pass, today's decision; policies
               (``rebalancing.policies``), the cost model (``rebalancing.costs``, also ``rk.Costs``),
               trade lists (``rebalancing.trades``)
hedging        hedge ratios (OLS), Black-Scholes greeks, banded re-hedging
explorers      what-if experiments behind the notebooks' interactive explorers, and their
               widgets (``explorers.widgets``)
reports        run notebooks into reproducible reports (papermill)

Modules beside them:

metrics        performance statistics, drawdowns, rebalancing premium
simulation     a seeded market simulator with a known true covariance
datasets       bundled simulated crypto and real stock data
evaluation     estimator loss against a known truth, out-of-sample minimum-variance risk
plotting       figures in seaborn's look, one function per figure
display        numbers as people read them: rounding noise shown as such
exceptions     the errors and warnings riskkit raises
_core          (private) validation, the result contract, the normal distribution, packaged files

The modules that lived at the top before the subpackages keep their import paths
(``riskkit.policies``, ``riskkit.calendar``, ``rk.tail``, ...): each is the module of
its subpackage under a second name (``riskkit.policies is riskkit.rebalancing.policies``).
Everything is imported on first use, so ``import riskkit`` stays cheap.

>>> import riskkit as rk
>>> prices = rk.datasets.load("crypto_sim")
>>> returns = rk.data.to_returns(prices)
>>> rk.policies is rk.rebalancing.policies
True
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = (
    "allocation",
    "data",
    "datasets",
    "decomposition",
    "display",
    "evaluation",
    "exceptions",
    "explorers",
    "hedging",
    "metrics",
    "plotting",
    "rebalancing",
    "reports",
    "shrinkage",
    "simulation",
)

# public modules that moved into a topic's subpackage: their old paths stay
_MOVED = {
    "calendar": "riskkit.data.calendar",
    "costs": "riskkit.rebalancing.costs",
    "estimators": "riskkit.shrinkage.estimators",
    "factors": "riskkit.decomposition.factors",
    "policies": "riskkit.rebalancing.policies",
    "stress": "riskkit.decomposition.stress",
    "tail": "riskkit.decomposition.tail",
    "trades": "riskkit.rebalancing.trades",
    "widgets": "riskkit.explorers.widgets",
}

_NAMES = {"Costs": "riskkit.rebalancing.costs"}  # classes re-exported at the top level, from their module

__all__ = ["__version__", *sorted((*_SUBMODULES, *_MOVED)), *_NAMES]


class _SecondName:
    """``import riskkit.policies`` gives the module ``riskkit.rebalancing.policies``
    itself (one module object, so classes, patches and pickles agree). A finder and
    loader by protocol (``find_spec``; ``create_module``, ``exec_module``), not by the
    ``importlib.abc`` base classes, whose import costs more than the rest of riskkit's."""

    def find_spec(self, fullname, path=None, target=None):
        prefix, _, name = fullname.partition(".")
        if prefix == "riskkit" and name in _MOVED:
            from importlib.machinery import ModuleSpec

            return ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(_MOVED[spec.name.partition(".")[2]])

    def exec_module(self, module):
        pass


if not any(isinstance(f, _SecondName) for f in sys.meta_path):
    sys.meta_path.append(_SecondName())

if TYPE_CHECKING:  # pragma: no cover
    from riskkit import (  # noqa: F401
        allocation,
        data,
        datasets,
        decomposition,
        display,
        evaluation,
        exceptions,
        explorers,
        hedging,
        metrics,
        plotting,
        rebalancing,
        reports,
        shrinkage,
        simulation,
    )
    from riskkit.data import calendar  # noqa: F401
    from riskkit.decomposition import factors, stress, tail  # noqa: F401
    from riskkit.explorers import widgets  # noqa: F401
    from riskkit.rebalancing import costs, policies, trades  # noqa: F401
    from riskkit.rebalancing.costs import Costs  # noqa: F401
    from riskkit.shrinkage import estimators  # noqa: F401


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in _MOVED:
        value = importlib.import_module(_MOVED[name])
    elif name in _SUBMODULES:
        value = importlib.import_module(f"riskkit.{name}")
    else:
        raise AttributeError(f"module 'riskkit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
