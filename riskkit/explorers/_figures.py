"""The explorers' figures (re-exported by :mod:`riskkit.explorers.widgets`): each takes a result of
:mod:`riskkit.explorers` and returns a matplotlib Figure, without touching global settings.

An explorer keeps its figures between slider moves (:class:`Chart`): built once, each move
replaces the artists' data (line data, bar heights, scatter offsets) and the axis limits, and
draws the figure once to PNG. Building a figure and its constrained layout took most of a
move's time; the layout is recomputed only when a tick label's length changes.

Contents
--------
Chart                   a figure kept across updates, shown as one PNG draw
plot_rebalancing_paths  premium distribution over paths and its mean split
plot_shrinkage_trials   mean eigenvalues and each trial's loss, sample against shrunk
plot_delta_hedge        hedged P&L paths, their mean split and the bands' cost against risk
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd

from riskkit.plotting import _style

_SPLIT = ["diversification_return", "dispersion", "timing", "costs"]
_HEDGE_SPLIT = ["theta", "gamma", "unhedged_delta", "costs"]


class Chart:
    """A figure an explorer keeps across slider moves.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        Built with ``layout="constrained"``.
    redraw : callable
        ``redraw(figure, *data, **options)`` puts new data into the figure's artists.

    Shown (``_repr_png_``) as one draw of the figure to PNG at its own dpi: the constrained
    layout is run again only when a tick label's length changed since the last layout (the
    axes' margins depend on nothing else that moves), so a move costs one draw.
    """

    def __init__(self, figure, redraw: Callable, /):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure, self._redraw = figure, redraw
        FigureCanvasAgg(figure)  # drawn by Agg directly: savefig would draw twice under a layout engine
        self._engine = figure.get_layout_engine()
        self._key = None

    def update(self, *data, **options) -> Chart:
        self._redraw(self.figure, *data, **options)
        return self

    def _layout_key(self) -> tuple:
        key = []
        for ax in self.figure.axes:
            for axis in (ax.xaxis, ax.yaxis):
                locs = axis.get_majorticklocs()
                labels = axis.major.formatter.format_ticks(locs) if len(locs) else []
                key.append(max((len(s) for s in labels), default=0))
        return tuple(key)

    def _repr_png_(self) -> bytes:
        fig = self.figure
        key = self._layout_key()
        relayout = key != self._key and self._engine is not None
        if relayout:
            fig.set_layout_engine(self._engine)  # runs in the draw below, then is frozen
        fig.canvas.draw()  # one draw at the figure's dpi, as IPython's inline PNG
        buf = io.BytesIO()
        _png(fig, buf)
        if relayout:
            fig.set_layout_engine("none")
        self._key = key
        return buf.getvalue()

    def __repr__(self) -> str:
        return repr(self.figure)


def _png(fig, buf) -> None:
    """The drawn figure as PNG: RGB when its face is opaque (a quarter less to encode, and a
    smaller file), at zlib level 1 (a third of level 6's time, the file ~3% larger)."""
    from PIL import Image

    size, rgba = fig.canvas.get_width_height(), fig.canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1)
    if fig.get_facecolor()[3] == 1.0:
        image = image.convert("RGB")
    image.save(buf, format="png", compress_level=1, dpi=(fig.dpi, fig.dpi))


def _figure(figsize, ncols: int):
    """A constrained-layout Figure of ``ncols`` axes, outside pyplot (nothing to close); call
    it and add the artists inside :func:`riskkit.plotting._style`."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(1, ncols)


def _limits(ax, low: float, high: float, *, axis: str = "y", pad: float = 0.05) -> None:
    span = (high - low) or max(abs(high), 1e-12)
    (ax.set_ylim if axis == "y" else ax.set_xlim)(low - pad * span, high + pad * span)


# --------------------------------------------------------------------------- rebalancing


def rebalancing_chart(result, /, *, figsize: tuple[float, float] = (11.0, 3.8)) -> Chart:
    """:func:`plot_rebalancing_paths` as a :class:`Chart` (25 histogram bins, 4 bars)."""
    from matplotlib.ticker import PercentFormatter

    with _style():
        fig, (ax1, ax2) = _figure(figsize, 2)
        ax1.bar(np.arange(25.0), np.zeros(25), width=1.0, align="edge", color="C0", alpha=0.7,
                edgecolor="white", linewidth=0.5)  # fmt: skip
        ax1.axvline(0.0, color="0.3", lw=0.8)
        ax1.axvline(0.0, color="C3", lw=1.5, label="mean")
        ax1.set_xlabel("premium over buy-and-hold (annual log growth)")
        ax1.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax1.legend(frameon=False, fontsize="small", loc="upper left")
        labels = ["diversification\nreturn", "dispersion\n(buy-and-hold's\nwinners)",
                  "timing\n(band vs daily)", "costs"]  # fmt: skip
        x = np.arange(4.0)
        ax2.bar(x, np.zeros(4), color=["C2", "C1", "C0", "C3"])
        ax2.errorbar(x, np.zeros(4), yerr=np.zeros(4), fmt="none", ecolor="0.2", capsize=3, lw=1.0)
        ax2.set_xticks(x, labels)
        ax2.axhline(0.0, color="C2", ls="--", lw=1.0, label="½(Σwσ² − σ²ₚ): expected diversification return")
        ax2.axhline(0.0, color="0.3", lw=0.8)
        ax2.set_ylabel("mean over paths (annual log growth)")
        ax2.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax2.tick_params(axis="x", labelsize=8)
        ax2.legend(frameon=False, fontsize="small", loc="lower left")
    return Chart(fig, _redraw_rebalancing).update(result)


def _redraw_rebalancing(fig, result) -> None:
    ax1, ax2 = fig.axes
    p = result.paths
    premium = p["premium"].to_numpy()
    counts, edges = np.histogram(premium, bins=25)
    for rect, left, right, count in zip(ax1.patches, edges[:-1], edges[1:], counts, strict=True):
        rect.set_x(left)
        rect.set_width(right - left)
        rect.set_height(count)
    mean_line = ax1.lines[1]
    mean_line.set_xdata([premium.mean()] * 2)
    ax1.get_legend().get_texts()[0].set_text(f"mean {premium.mean():.2%}")
    _limits(ax1, min(edges[0], 0.0), max(edges[-1], 0.0), axis="x")
    ax1.set_ylim(0, counts.max() * 1.08)
    ax1.set_ylabel(f"paths (of {len(p)})")
    mean = p[_SPLIT].mean().to_numpy()
    err = 2 * p[_SPLIT].std(ddof=1).to_numpy() / np.sqrt(len(p))
    for rect, m in zip(ax2.patches, mean, strict=True):
        rect.set_height(m)
    x = np.arange(4.0)
    _, (cap_low, cap_high), (bars,) = ax2.containers[1].lines
    cap_low.set_data(x, mean - err)
    cap_high.set_data(x, mean + err)
    bars.set_segments([[(xi, m - e), (xi, m + e)] for xi, m, e in zip(x, mean, err, strict=True)])
    expected = result.expected_diversification_return
    ax2.lines[-2].set_ydata([expected] * 2)
    _limits(ax2, min(0.0, (mean - err).min(), expected), max(0.0, (mean + err).max(), expected), pad=0.1)


def plot_rebalancing_paths(result, /, *, figsize: tuple[float, float] = (11.0, 3.8)):
    """Distribution of the premium over buy-and-hold across paths (left) and its mean
    split with two standard errors (right), for a :class:`riskkit.explorers.RebalancingPaths`."""
    return rebalancing_chart(result, figsize=figsize).figure


# --------------------------------------------------------------------------- shrinkage


def shrinkage_chart(result, /, *, figsize: tuple[float, float] = (11.0, 3.8)) -> Chart:
    """:func:`plot_shrinkage_trials` as a :class:`Chart`."""
    n = len(result.eigenvalues)
    with _style():
        fig, (ax1, ax2) = _figure(figsize, 2)
        for col, style in zip(result.eigenvalues.columns, ["k--", "C0-o", "C2-o"], strict=True):
            ax1.plot(np.arange(1, n + 1), np.ones(n), style, ms=3, lw=1.2, label=col)
        ax1.set_yscale("log")
        ax1.set_xlabel("rank")
        ax1.set_ylabel("eigenvalue (correlation, mean of trials)")
        ax1.legend(frameon=False, fontsize="small", loc="upper right")
        zeros = np.zeros(len(result.trials))
        points = ax2.scatter(zeros, zeros, c=zeros, cmap="viridis", vmin=0, vmax=1, s=25)
        ax2.plot([0, 1], [0, 1], color="0.3", lw=0.8)
        ax2.set_xlabel("relative loss, sample covariance")
        ax2.set_ylabel("relative loss, shrunk")
        fig.colorbar(points, ax=ax2, label="shrinkage intensity")
        ax2.set_title("below the diagonal: shrinkage wins", fontsize="small")
    return Chart(fig, _redraw_shrinkage).update(result)


def _redraw_shrinkage(fig, result) -> None:
    ax1, ax2 = fig.axes[:2]
    ev, t = result.eigenvalues, result.trials
    values = np.maximum(ev.to_numpy(dtype=float), 1e-6)
    for line, col in zip(ax1.lines, range(values.shape[1]), strict=True):
        line.set_data(ev.index.to_numpy(), values[:, col])
    low, high = values.min(), values.max()
    ax1.set_ylim(low / (high / low) ** 0.05, high * (high / low) ** 0.05)
    ax1.set_xlim(0.5, len(ev) + 0.5)
    top = float(max(t["loss_sample"].max(), t["loss_shrunk"].max())) * 1.05
    points = ax2.collections[0]
    points.set_offsets(np.column_stack([t["loss_sample"], t["loss_shrunk"]]))
    points.set_array(t["intensity"].to_numpy())
    ax2.lines[0].set_data([0, top], [0, top])
    ax2.set_xlim(0, top)
    ax2.set_ylim(0, top)


def plot_shrinkage_trials(result, /, *, figsize: tuple[float, float] = (11.0, 3.8)):
    """Mean eigenvalues of the true, sample and shrunk correlation matrices (left) and
    each trial's loss, sample against shrunk (right), for a
    :class:`riskkit.explorers.ShrinkageTrials`."""
    return shrinkage_chart(result, figsize=figsize).figure


# --------------------------------------------------------------------------- delta hedging


def hedging_chart(
    result,
    tradeoff: pd.DataFrame | None = None,
    /,
    *,
    band: float | None = None,
    paths: int = 30,
    figsize: tuple[float, float] = (13.0, 3.8),
) -> Chart:
    """:func:`plot_delta_hedge` as a :class:`Chart` (``paths`` lines and the mean)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import StrMethodFormatter

    single = result.pnl.shape[1] == 1
    index = result.pnl.index
    with _style():
        fig, axes = _figure(figsize, 3 if tradeoff is not None else 2)
        for _ in range(min(paths, result.pnl.shape[1])):
            axes[0].plot(index, np.zeros(len(index)), color="C0", lw=1.5 if single else 0.6,
                         alpha=1.0 if single else 0.5)  # fmt: skip
        if not single:
            axes[0].plot(index, np.zeros(len(index)), color="C3", lw=1.8, label="mean of all paths")
            axes[0].legend(frameon=False, fontsize="small", loc="upper left")
        axes[0].axhline(0.0, color="0.3", lw=0.8)
        for ax in axes:  # currency as the tables print it: 16,266
            ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes[0].set_ylabel("cumulative hedged P&L (currency)")
        dates = mdates.AutoDateLocator(minticks=3, maxticks=5)  # few unrotated labels: cheap to draw, to read
        axes[0].xaxis.set_major_locator(dates)
        axes[0].xaxis.set_major_formatter(mdates.ConciseDateFormatter(dates))
        axes[0].tick_params(axis="x", labelsize=8)
        parts = ["theta", "gamma", "unhedged\ndelta", "costs"]
        axes[1].bar(parts, np.zeros(4), color=["C2", "C1", "C0", "C3"])
        axes[1].axhline(0.0, color="0.3", lw=0.8)
        axes[1].set_ylabel("total (currency)" if single else "mean over paths (currency)")
        axes[1].set_title(" ", fontsize="small")
        if tradeoff is not None:
            axes[2].plot([], [], "o-", color="0.5", ms=4)
            axes[2].plot([], [], "o", color="C3", ms=9, label="band")
            axes[2].legend(frameon=False, fontsize="small", loc="upper right")
            axes[2].xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
            axes[2].set_xlabel("mean hedging cost (currency)")
            axes[2].set_ylabel("residual risk: sd of daily hedged P&L")
    return Chart(fig, _redraw_hedging).update(result, tradeoff, band=band)


def _redraw_hedging(fig, result, tradeoff=None, *, band=None) -> None:
    axes = fig.axes
    pnl = result.pnl.to_numpy()
    shown = axes[0].lines[:-1]  # the last line is the zero line
    single = pnl.shape[1] == 1
    lines = shown if single else shown[:-1]
    for k, line in enumerate(lines):
        line.set_ydata(pnl[:, k])
    if not single:
        shown[-1].set_ydata(pnl.mean(axis=1))
    low, high = float(min(pnl[:, : len(lines)].min(), 0.0)), float(max(pnl[:, : len(lines)].max(), 0.0))
    _limits(axes[0], low, high)
    parts = result.components[_HEDGE_SPLIT].mean().to_numpy()
    for rect, v in zip(axes[1].patches, parts, strict=True):
        rect.set_height(v)
    _limits(axes[1], min(0.0, parts.min()), max(0.0, parts.max()), pad=0.08)
    axes[1].set_title(f"total {result.components['total'].mean():,.0f}", fontsize="small")
    if tradeoff is None:
        return
    ax = axes[2]
    curve, marker = ax.lines[:2]
    cost, risk = tradeoff["hedging_cost"].to_numpy(), tradeoff["residual_risk"].to_numpy()
    curve.set_data(cost, risk)
    for text in list(ax.texts):
        text.remove()
    for b, xi, yi in zip(tradeoff.index, cost, risk, strict=True):
        ax.annotate(f"{b:g}", (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
    chosen = band is not None and band in tradeoff.index
    marker.set_data(*(([tradeoff.loc[band, "hedging_cost"]], [tradeoff.loc[band, "residual_risk"]]) if chosen
                      else ([], [])))  # fmt: skip
    ax.get_legend().set_visible(chosen)
    if chosen:
        ax.get_legend().get_texts()[0].set_text(f"band {band:g}")
    _limits(ax, cost.min(), cost.max(), axis="x", pad=0.08)
    _limits(ax, risk.min(), risk.max(), pad=0.1)


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
    return hedging_chart(result, tradeoff, band=band, paths=paths, figsize=figsize).figure
