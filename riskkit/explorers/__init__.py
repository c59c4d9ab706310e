"""What-if experiments behind the teaching notebooks' interactive explorers.

May import: riskkit._core, riskkit.exceptions, riskkit.data, riskkit.shrinkage,
riskkit.decomposition, riskkit.allocation, riskkit.rebalancing, riskkit.hedging,
riskkit.metrics, riskkit.simulation, riskkit.evaluation, riskkit.plotting.

Inside: ``_estimates``, ``_rebalancing``, ``_hedging`` (the experiments by topic), ``_common``
(their shared checks), ``_figures`` (their figures), ``widgets`` (public: the ipywidgets
controls that call them).

Each function runs one experiment from a handful of plain numbers (the values
a slider sets) and returns a result with labelled DataFrames; the widgets that
call them live in :mod:`riskkit.explorers.widgets`. Everything random comes from ``seed``.

Contents
--------
rebalancing_paths   a rebalancing policy against buy-and-hold on many simulated markets:
                    weight drift, trades, and the premium split into diversification
                    return, dispersion, timing and costs
shrinkage_trials    sample against Ledoit-Wolf shrunk covariances on simulated markets of a
                    chosen T/N and factor structure: eigenvalues, loss, intensity
reduction_table     how much shrinkage helps, read three ways (mean of per-trial reductions,
                    reduction of the mean loss, median), for several runs side by side
risk_shares         risk contributions and effective number of bets of a small portfolio
                    with given volatilities and one common correlation; ERC weights
delta_hedge         banded delta hedging of an option book along price paths: hedged P&L
                    split into theta, gamma, the band's unhedged delta and costs
delta_hedge_paths   the same on simulated paths, with the cost against residual risk of
                    several bands
price_paths         the simulated price paths of one underlying those hedges run along

The premium split of :func:`rebalancing_paths`, per path and in annual log
growth (:math:`g = \\ln(V_T / V_0) / \\text{years}`):

.. math::

    g_\\text{policy} - g_\\text{BH}
    = \\underbrace{g_\\text{CM} - \\textstyle\\sum_i w_i g_i}_{\\text{diversification return}}
    + \\underbrace{\\textstyle\\sum_i w_i g_i - g_\\text{BH}}_{\\text{dispersion} \\,\\le\\, 0}
    + \\underbrace{g_\\text{gross} - g_\\text{CM}}_{\\text{timing}}
    + \\underbrace{g_\\text{policy} - g_\\text{gross}}_{\\text{costs}}

with CM the constant mix rebalanced every period for free, BH buy-and-hold and
:math:`g_i` each asset's growth. The diversification return is the variance
reduction of the rebalanced mix, :math:`\\tfrac12(\\sum_i w_i\\sigma_i^2 - w^\\top\\Sigma w)`
in expectation (Booth & Fama 1992; Willenbrock 2011; Fernholz & Shay 1982):
it needs volatility and imperfect correlation, not mean reversion. Buy-and-hold
lets the winners grow, which by Jensen's inequality gives it at least the
weighted average growth: the dispersion term is never positive, and trends
(drift dispersion) make it large. Mean reversion of relative prices keeps it
small, so the premium grows.
"""

from riskkit.explorers._estimates import (
    RiskShares,
    ShrinkageTrials,
    reduction_table,
    risk_shares,
    shrinkage_trials,
)
from riskkit.explorers._hedging import DeltaHedge, delta_hedge, delta_hedge_paths, price_paths
from riskkit.explorers._rebalancing import RebalancingPaths, rebalancing_paths

__all__ = [
    "DeltaHedge",
    "RebalancingPaths",
    "RiskShares",
    "ShrinkageTrials",
    "delta_hedge",
    "delta_hedge_paths",
    "price_paths",
    "rebalancing_paths",
    "reduction_table",
    "risk_shares",
    "shrinkage_trials",
]
