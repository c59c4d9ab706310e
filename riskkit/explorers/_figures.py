"""The explorers' figures (re-exported by :mod:`riskkit.explorers.widgets`): each takes a result of
:mod:`riskkit.explorers` and returns a matplotlib Figure, without touching global settings."""

from __future__ import annotations

import numpy as np
import pandas as pd

_STYLE = "whitegrid"


def plot_rebalancing_paths(result, /, *, figsize: tuple[float, float] = (11.0, 3.8)):
    """Distribution of the premium over buy-and-hold across paths (left) and its mean
    split with two standard errors (right), for a :class:`riskkit.explorers.RebalancingPaths`."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    p = result.paths
    split = ["diversification_return", "dispersion", "timing", "costs"]
    mean = p[split].mean()
    err = 2 * p[split].std(ddof=1) / np.sqrt(len(p))
    with sns.axes_style(_STYLE):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
        sns.histplot(p["premium"], bins=25, ax=ax1, color="C0")
        ax1.axvline(0.0, color="0.3", lw=0.8)
        ax1.axvline(p["premium"].mean(), color="C3", lw=1.5, label=f"mean {p['premium'].mean():.2%}")
        ax1.set_xlabel("premium over buy-and-hold (annual log growth)")
        ax1.set_ylabel(f"paths (of {len(p)})")
        ax1.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        ax1.legend(frameon=False, fontsize="small")
        labels = [
            "diversification\nreturn",
            "dispersion\n(buy-and-hold's\nwinners)",
            "timing\n(band vs daily)",
            "costs",
        ]
        ax2.bar(labels, mean.to_numpy(), yerr=err.to_numpy(), color=["C2", "C1", "C0", "C3"], capsize=3)
        ax2.axhline(
            result.expected_diversification_return,
            color="C2",
            ls="--",
            lw=1.0,
            label="½(Σwσ² − σ²ₚ): expected diversification return",
        )
        ax2.axhline(0.0, color="0.3", lw=0.8)
        ax2.set_ylabel("mean over paths (annual log growth)")
        ax2.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        ax2.tick_params(axis="x", labelsize=8)
        ax2.legend(frameon=False, fontsize="small", loc="lower left")
    plt.close(fig)
    return fig


def plot_shrinkage_trials(result, /, *, figsize: tuple[float, float] = (11.0, 3.8)):
    """Mean eigenvalues of the true, sample and shrunk correlation matrices (left) and
    each trial's loss, sample against shrunk (right), for a
    :class:`riskkit.explorers.ShrinkageTrials`."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ev, t = result.eigenvalues, result.trials
    with sns.axes_style(_STYLE):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
        for col, style in zip(ev.columns, ["k--", "C0-o", "C2-o"], strict=True):
            ax1.plot(ev.index, np.maximum(ev[col], 1e-6), style, ms=3, lw=1.2, label=col)
        ax1.set_yscale("log")
        ax1.set_xlabel("rank")
        ax1.set_ylabel("eigenvalue (correlation, mean of trials)")
        ax1.legend(frameon=False, fontsize="small")
        top = float(max(t["loss_sample"].max(), t["loss_shrunk"].max())) * 1.05
        ax2.scatter(
            t["loss_sample"], t["loss_shrunk"], c=t["intensity"], cmap="viridis", vmin=0, vmax=1, s=25
        )
        ax2.plot([0, top], [0, top], color="0.3", lw=0.8)
        ax2.set_xlim(0, top)
        ax2.set_ylim(0, top)
        ax2.set_xlabel("relative loss, sample covariance")
        ax2.set_ylabel("relative loss, shrunk")
        fig.colorbar(ax2.collections[0], ax=ax2, label="shrinkage intensity")
        ax2.set_title("below the diagonal: shrinkage wins", fontsize="small")
    plt.close(fig)
    return fig


def plot_delta_hedge(
    result,
    tradeoff: pd.DataFrame | None = None,
    /,
    *,
    band: float | None = None,
    paths: int = 30,
    figsize: tuple[float, float] = (13.0, 3.8),
):
    """Cumulative hedged P&L of the first ``paths`` paths (left), the mean P&L split
    into theta, gamma, unhedged delta and costs (middle) and, with ``tradeoff``,
    each band's mean cost against its residual risk (right) for a
    :class:`riskkit.explorers.DeltaHedge`."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    n = 3 if tradeoff is not None else 2
    with sns.axes_style(_STYLE):
        fig, axes = plt.subplots(1, n, figsize=figsize, layout="constrained")
        pnl = result.pnl.iloc[:, :paths]
        single = result.pnl.shape[1] == 1
        axes[0].plot(
            pnl.index, pnl.to_numpy(), color="C0", lw=1.5 if single else 0.6, alpha=1.0 if single else 0.5
        )
        if not single:
            axes[0].plot(
                result.pnl.index, result.pnl.mean(axis=1), color="C3", lw=1.8, label="mean of all paths"
            )
            axes[0].legend(frameon=False, fontsize="small")
        axes[0].axhline(0.0, color="0.3", lw=0.8)
        axes[0].set_ylabel("cumulative hedged P&L (currency)")
        axes[0].tick_params(axis="x", labelrotation=30, labelsize=8)
        parts = result.components[["theta", "gamma", "unhedged_delta", "costs"]].mean()
        axes[1].bar(
            ["theta", "gamma", "unhedged\ndelta", "costs"], parts.to_numpy(), color=["C2", "C1", "C0", "C3"]
        )
        axes[1].axhline(0.0, color="0.3", lw=0.8)
        axes[1].set_ylabel("total (currency)" if single else "mean over paths (currency)")
        axes[1].set_title(f"total {result.components['total'].mean():,.0f}", fontsize="small")
        if tradeoff is not None:
            ax = axes[2]
            ax.plot(tradeoff["hedging_cost"], tradeoff["residual_risk"], "o-", color="0.5", ms=4)
            for b, row in tradeoff.iterrows():
                ax.annotate(
                    f"{b:g}",
                    (row["hedging_cost"], row["residual_risk"]),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
            if band is not None and band in tradeoff.index:
                ax.plot(
                    [tradeoff.loc[band, "hedging_cost"]],
                    [tradeoff.loc[band, "residual_risk"]],
                    "o",
                    color="C3",
                    ms=9,
                    label=f"band {band:g}",
                )
                ax.legend(frameon=False, fontsize="small")
            ax.set_xlabel("mean hedging cost (currency)")
            ax.set_ylabel("residual risk: sd of daily hedged P&L")
    plt.close(fig)
    return fig
