"""Figures: one function per figure, each returning a matplotlib Figure.

May import: riskkit._core, riskkit.exceptions.

Contents
--------
plot_prices              price paths rebased to 1 on a log scale, optional shaded periods
plot_correlation_heatmaps  correlation matrices side by side (e.g. sample vs shrunk)
plot_eigenvalues         eigenvalue spectra of several covariance estimates
plot_estimation_error    loss improvement over the sample covariance as T/N varies
plot_shares              side-by-side bars of shares (weight vs risk, ES contributions, factors)
plot_rolling_risk        volatility and risk shares through time
plot_regimes             the regime monitors' readings against their thresholds, alerts shaded
plot_weights             weights through time against their targets (drift)
plot_heatmap             a metric over a two-parameter grid (band x cost)
plot_frontier            one metric against another across configurations (cost vs tracking error)
plot_stress_grid         a derivative book's P&L over spot moves x volatility shocks, and the Taylor error

Functions take riskkit results or DataFrames and never change global
matplotlib or seaborn settings (styles are applied in a context). They draw in
seaborn's look; only the statistical ones (estimation error with its
confidence band, annotated grid heatmaps, scatter by hue) import seaborn itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from riskkit._core.validation import check_frame

__all__ = [
    "plot_correlation_heatmaps",
    "plot_eigenvalues",
    "plot_estimation_error",
    "plot_frontier",
    "plot_heatmap",
    "plot_prices",
    "plot_regimes",
    "plot_rolling_risk",
    "plot_shares",
    "plot_stress_grid",
    "plot_weights",
]


def _style(kind: str = "whitegrid"):
    """A context with seaborn's ``kind`` axes style, as matplotlib ships it
    (``seaborn-v0_8-*``): the look of seaborn without importing it, which with
    the scipy.stats it loads costs half a second of a report's start."""
    import matplotlib.pyplot as plt

    return plt.style.context(f"seaborn-v0_8-{kind}")


def _colors(n: int) -> list:
    """``n`` distinct colours: the current colour cycle when it has enough, else
    tab20's ten dark shades then their ten light ones, else evenly spaced hues."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if n <= len(cycle):
        return cycle[:n]
    if n <= 20:
        pairs = mpl.colormaps["tab20"].colors
        return list(pairs[0::2] + pairs[1::2])[:n]
    return [mpl.colormaps["hsv"](i / n) for i in range(n)]


def _plain_log(**options):
    """matplotlib's log-axis labeller with ``options`` (it decides which ticks get
    a label), writing the labels as plain numbers: 0.5, 2, 100."""
    from matplotlib.ticker import LogFormatter

    class PlainLog(LogFormatter):
        def __call__(self, x, pos=None):
            return f"{x:g}" if super().__call__(x, pos) else ""

    return PlainLog(**options)


def plot_prices(
    prices: pd.DataFrame,
    /,
    *,
    rebase: bool = True,
    log_scale: bool = True,
    shade: pd.Series | None = None,
    shade_label: str = "shaded",
    title: str | None = None,
    ylabel: str | None = None,
    figsize: tuple[float, float] = (10.0, 4.5),
):
    """Price paths, rebased to 1 at the first date, on a log scale.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
    rebase : bool, default=True
        Divide each column by its first value.
    log_scale : bool, default=True
    shade : Series of bool, optional
        Dates to shade (for example the crash regime of a simulation).
    shade_label : str
        Legend label of the shaded dates.
    ylabel : str, optional
        Label of the y-axis (default "growth of 1" when rebased, else "price"); say
        what the lines are when they are not prices (a hedge ratio, a P&L).
    """
    import matplotlib.pyplot as plt

    check_frame("prices", prices)
    data = prices / prices.iloc[0] if rebase else prices
    with _style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        for col, color in zip(data.columns, _colors(data.shape[1]), strict=True):
            ax.plot(data.index, data[col].to_numpy(dtype=float), lw=0.9, color=color, label=str(col))
        if shade is not None:
            _shade(
                ax,
                shade.reindex(data.index, fill_value=False).to_numpy(dtype=bool),
                data.index,
                shade_label,
            )
        if log_scale:
            ax.set_yscale("log")
            # plain numbers (0.5, 2, 10), not 2 x 10^0; minor ticks labelled only where the range is short
            ax.yaxis.set_major_formatter(_plain_log(labelOnlyBase=False))
            ax.yaxis.set_minor_formatter(_plain_log(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
        if isinstance(data.index, pd.DatetimeIndex):  # 2024, Feb, Mar ... not overlapping full dates
            from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

            locator = AutoDateLocator()
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_ylabel(ylabel or ("growth of 1" if rebase else "price"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
        if title:
            ax.set_title(title)
    plt.close(fig)
    return fig


def _shade(ax, flags, index, label: str) -> None:
    """Shade runs of True in ``flags`` over ``index``."""
    start = None
    first = True
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        if start is not None and (not f or i == len(flags) - 1):
            ax.axvspan(
                index[start],
                index[i],
                color="0.6",
                alpha=0.3,
                lw=0,
                label=label if first else None,
            )
            first, start = False, None


def plot_correlation_heatmaps(
    correlations: Mapping[str, pd.DataFrame],
    /,
    *,
    annotate: bool | None = None,
    figsize_per_panel: float = 4.6,
    title: str | None = None,
):
    """Correlation matrices side by side, one panel per entry, on a shared -1..1 scale.

    ``correlations`` maps a title to a correlation DataFrame (for example
    ``{"sample": s.correlation, "Ledoit-Wolf": lw.correlation}``). Values are
    written in the cells when there are at most 12 assets (``annotate``). ``title``
    goes above the panels (say there which assets a wide universe's panels show).
    """
    import matplotlib.pyplot as plt

    suptitle = title
    n = len(correlations)
    first = next(iter(correlations.values()))
    annotate = first.shape[0] <= 12 if annotate is None else annotate
    with _style("white"):
        fig, axes = plt.subplots(
            1,
            n,
            figsize=(figsize_per_panel * n + 1.0, figsize_per_panel),
            layout="constrained",
            squeeze=False,
        )
        for k, (ax, (title, corr)) in enumerate(zip(axes[0], correlations.items(), strict=True)):
            mesh = _heatmap(ax, corr, annotate=annotate, ylabels=k == 0)
            if k == n - 1:
                fig.colorbar(mesh, ax=axes[0].tolist(), shrink=0.7)
            ax.set_title(title)
        if suptitle:
            fig.suptitle(suptitle)
    plt.close(fig)
    return fig


def _heatmap(ax, corr: pd.DataFrame, *, annotate: bool, ylabels: bool):
    """A correlation heatmap on a -1..1 diverging scale, values written in the cells.

    What seaborn's ``heatmap`` draws, without its trial renderings of the whole
    figure (two per panel, to decide on rotating labels): labels are always
    vertical here. Text is dark on light cells and white on dark ones, by the
    relative luminance seaborn uses.
    """
    import matplotlib as mpl

    values = corr.to_numpy(dtype=float)
    rows, cols = values.shape
    cmap = mpl.colormaps["RdBu_r"]
    norm = mpl.colors.Normalize(vmin=-1.0, vmax=1.0)
    mesh = ax.pcolormesh(values, cmap=cmap, norm=norm)
    ax.set(xlim=(0, cols), ylim=(rows, 0), aspect="equal")
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xticks(np.arange(cols) + 0.5, [str(c) for c in corr.columns], rotation=90)
    ax.set_yticks(np.arange(rows) + 0.5, [str(i) for i in corr.index] if ylabels else [])
    ax.tick_params(labelsize=7, length=0)
    if annotate:
        rgba = cmap(norm(values))
        lum = (rgba[..., :3] ** 2.2) @ np.array([0.2126, 0.7152, 0.0722])  # relative luminance
        for i in range(rows):
            for j in range(cols):
                if np.isfinite(values[i, j]):
                    colour = ".15" if lum[i, j] > 0.408 else "w"
                    ax.text(j + 0.5, i + 0.5, f"{values[i, j]:.2f}", ha="center", va="center",
                            fontsize=6, color=colour)  # fmt: skip
    return mesh


def plot_eigenvalues(
    covariances: Mapping[str, pd.DataFrame],
    /,
    *,
    correlation: bool = True,
    figsize: tuple[float, float] = (8.0, 4.0),
):
    """Eigenvalues of each estimate, largest first, on a log scale.

    With ``correlation=True`` the spectra are those of the implied correlation
    matrices (sum = number of assets), which makes estimators comparable.
    Shrinkage lifts the smallest eigenvalues, which the sample estimate
    understates, and lowers the largest.
    """
    import matplotlib.pyplot as plt

    with _style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        for label, cov in covariances.items():
            a = np.asarray(cov, dtype=float)
            if correlation:
                sd = np.sqrt(np.diag(a))
                a = a / np.outer(sd, sd)
            ev = np.maximum(np.sort(np.linalg.eigvalsh(a))[::-1], 1e-16)
            ax.plot(np.arange(1, len(ev) + 1), ev, marker="o", markersize=3, label=str(label))
        ax.set_xlabel("rank (largest first)")
        ax.set_yscale("log")
        # plain numbers (0.2, 0.5, 1, 6), not 6 x 10^0: minor ticks labelled when the range is short
        ax.yaxis.set_major_formatter(_plain_log(labelOnlyBase=False))
        ax.yaxis.set_minor_formatter(_plain_log(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
        of = " of the correlation matrix" if correlation else ""
        ax.set_ylabel(f"eigenvalue{of} (log scale)")
        ax.legend(frameon=False, fontsize="small")
    plt.close(fig)
    return fig


def plot_estimation_error(table: pd.DataFrame, /, *, figsize: tuple[float, float] = (8.0, 4.0)):
    """Improvement of each method's loss over the sample covariance against T/N.

    ``table`` is the output of :func:`riskkit.evaluation.estimation_experiment`.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    data = table[table["method"] != "sample"]
    with _style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        sns.lineplot(data=data, x="T/N", y="improvement", hue="method", marker="o", ax=ax)
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("observations per asset, T/N (log scale)")
        ax.set_ylabel("loss reduction vs sample covariance (%)")
        ax.legend(frameon=False, fontsize="small")
    plt.close(fig)
    return fig


def plot_shares(
    table: pd.DataFrame,
    /,
    *,
    columns: Mapping[str, str] | None = None,
    title: str | None = None,
    percent: bool = True,
    xlabel: str | None = None,
    figsize: tuple[float, float] | None = None,
):
    """Horizontal bars comparing shares per row, one colour per column.

    ``columns`` maps column names of ``table`` to legend labels (default: all
    columns as they are). For a decomposition: ``{"weight": "weight",
    "percent": "share of risk"}`` shows which positions carry more risk than
    capital. Rows keep the table's order. With ``percent`` the values are
    fractions shown as percentages on the axis; ``xlabel`` says what they are
    and in which unit when they are not shares of the portfolio ("loss, % of
    portfolio value in one day").
    """
    import matplotlib.pyplot as plt

    columns = dict(columns) if columns else {c: str(c) for c in table.columns}
    n, m = len(table), len(columns)
    height = max(2.5, 0.35 * n * max(1, m / 2) + 1.0)
    bar = 0.8 / m  # each row's bars fill 0.8 of its slot, first column on top
    with _style():
        fig, ax = plt.subplots(figsize=figsize or (8.0, height), layout="constrained")
        for j, (col, color) in enumerate(zip(columns, _colors(m), strict=True)):
            ax.barh(np.arange(n) - 0.4 + bar * (j + 0.5), table[col].to_numpy(dtype=float), height=bar,
                    color=color, edgecolor="white", linewidth=0.5, label=columns[col])  # fmt: skip
        ax.set_yticks(np.arange(n), [str(i) for i in table.index])
        ax.set_ylim(n - 0.5, -0.5)  # rows in the table's order, top down
        ax.axvline(0.0, color="0.3", lw=0.8)
        if percent:
            ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        if xlabel:
            ax.set_xlabel(xlabel)
        ax.legend(frameon=False, fontsize="small", loc="best")
        if title:
            ax.set_title(title)
    plt.close(fig)
    return fig


def plot_rolling_risk(table: pd.DataFrame, /, *, top: int = 6, figsize: tuple[float, float] = (10.0, 6.0)):
    """Volatility (top panel) and the ``top`` largest average risk shares (bottom) through time.

    ``table`` is the output of :func:`riskkit.decomposition.rolling_decompose`. When it has
    more than ``top`` assets, the lower panel's title says which are shown: the ``top`` with
    the largest mean share of risk over the table's dates.
    """
    import matplotlib.pyplot as plt

    shares = table.drop(columns=["volatility", "effective_risk_assets"])
    keep = shares.mean().sort_values(ascending=False).index[:top]
    shown = (
        f"the {len(keep)} of {shares.shape[1]} assets with the largest mean share of risk"
        if len(keep) < shares.shape[1]
        else "every asset"
    )
    with _style():
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=figsize, sharex=True, layout="constrained")
        ax1.plot(table.index, table["volatility"], color="0.2", lw=1.2)
        ax1.set_ylabel("volatility (annualised)")
        ax1.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        for col in keep:
            ax2.plot(shares.index, shares[col], lw=1.0, label=str(col))
        ax2.set_ylabel("share of risk")
        ax2.set_title(f"Share of risk: {shown}", fontsize="medium")
        ax2.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        ax2.legend(frameon=False, fontsize="small", ncol=3)
    plt.close(fig)
    return fig


def plot_regimes(
    monitor,
    /,
    *,
    start: str | None = None,
    end: str | None = None,
    shade: pd.Series | None = None,
    shade_label: str = "shaded",
    title: str | None = None,
    figsize: tuple[float, float] = (10.0, 6.5),
):
    """One panel per monitor of a :class:`riskkit.decomposition.regimes.RegimeMonitor`: its reading
    and threshold (dimensionless; the average correlation also with its band's lower edge) from
    ``start`` to ``end``, red ticks on the dates its alert is on, and ``shade`` (a boolean Series by
    date, such as the simulator's crash periods) shaded grey."""
    import matplotlib.pyplot as plt

    names = {"absorption_ratio": "absorption ratio shift (sd)", "turbulence": "turbulence (mean)",
             "average_correlation": "average correlation"}  # fmt: skip
    with _style():
        fig, axes = plt.subplots(len(monitor.monitors), 1, figsize=figsize, sharex=True, layout="constrained")
        for ax, (name, mon) in zip(np.atleast_1d(axes), monitor.monitors.items(), strict=True):
            t = mon.table.loc[start:end]
            ax.plot(t.index, t[mon.reading], color="0.2", lw=1.0, label="reading")
            ax.plot(t.index, t["threshold"], color="C3", lw=1.0, ls="--", label="threshold")
            if "band_low" in t:
                ax.plot(t.index, t["band_low"], color="C3", lw=0.8, ls=":", label="band")
            if shade is not None:
                flags = shade.reindex(t.index, fill_value=False).to_numpy(dtype=bool)
                _shade(ax, flags, t.index, shade_label)
            on = t.index[t["alert"].to_numpy(dtype=bool)]
            low = np.nanmin(t[mon.reading].to_numpy(dtype=float)) if t[mon.reading].notna().any() else 0.0
            ax.plot(on, np.full(len(on), low), "|", color="C3", ms=8, label="alert on")
            ax.set_ylabel(names.get(name, name))
        np.atleast_1d(axes)[0].legend(frameon=False, fontsize="small", ncol=5, loc="upper left")
        if title:
            fig.suptitle(title)
    plt.close(fig)
    return fig


def plot_weights(
    weights: Mapping[str, pd.DataFrame],
    /,
    *,
    target: pd.Series | None = None,
    figsize_per_panel: tuple[float, float] = (10.0, 2.6),
):
    """Weights through time, one panel per path (e.g. buy-and-hold vs a policy),
    with the target as dashed lines."""
    import matplotlib.pyplot as plt

    n = len(weights)
    with _style():
        fig, axes = plt.subplots(
            n,
            1,
            figsize=(figsize_per_panel[0], figsize_per_panel[1] * n),
            sharex=True,
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        palette = _colors(len(next(iter(weights.values())).columns))
        for ax, (title, w) in zip(axes[:, 0], weights.items(), strict=True):
            for color, col in zip(palette, w.columns, strict=True):
                ax.plot(w.index, w[col], lw=1.0, color=color, label=str(col))
                if target is not None and col in target.index:
                    ax.axhline(target[col], color=color, lw=0.8, ls="--")
            ax.set_title(title, fontsize="medium")
            ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        axes[0, 0].legend(frameon=False, fontsize="small", ncol=min(6, len(palette)), loc="upper left")
    plt.close(fig)
    return fig


def _number_formatter(fmt: str):
    """A tick formatter writing numbers as ``fmt`` does (``".2%"``: 0.0125 -> 1.25%), so that
    a colour bar or an axis reads in the unit of the numbers beside it; a percentage format
    picks its own decimals from the axis' range (2%, 4%; 0.5%, 1.0%)."""
    from matplotlib.ticker import PercentFormatter, StrMethodFormatter

    return PercentFormatter(1.0) if fmt.endswith("%") else StrMethodFormatter("{x:" + fmt + "}")


def plot_heatmap(
    table: pd.DataFrame,
    /,
    *,
    title: str | None = None,
    fmt: str = ".2%",
    label: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    cmap: str = "viridis",
    figsize: tuple[float, float] = (7.0, 4.5),
):
    """A metric over a two-parameter grid: ``table`` is the pivot (rows x columns).

    The cells are written with ``fmt`` and the colour bar reads in the same unit (a
    percentage format gives a colour bar in %); ``label`` names the colour bar's quantity,
    ``xlabel`` and ``ylabel`` the grid's axes (default: the pivot's column and index names).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    with _style("white"):
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        bar = {"format": _number_formatter(fmt), **({"label": label} if label else {})}
        sns.heatmap(table, annot=True, fmt=fmt, cmap=cmap, ax=ax, annot_kws={"fontsize": 8}, cbar_kws=bar)
        ax.tick_params(axis="y", labelrotation=0)
        if xlabel:
            ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
    plt.close(fig)
    return fig


def plot_frontier(
    table: pd.DataFrame,
    /,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    label: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    percent: Iterable[str] = (),
    figsize: tuple[float, float] = (7.0, 4.5),
):
    """Scatter of column ``y`` against ``x`` across configurations (one point per row).

    With ``label``, the names in that column (or the index) annotate the points.
    ``xlabel`` and ``ylabel`` say what the axes are, with their units ("tracking error
    (% a year)"); without them the column names are written as words (``cost_drag`` ->
    "cost drag"). Columns named in ``percent`` are fractions, shown on their axis as
    percentages, as :func:`riskkit.display.table` shows them.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import PercentFormatter

    percent = set(percent)
    data = table.reset_index()
    with _style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        sns.scatterplot(data=data, x=x, y=y, hue=hue, ax=ax, s=30)
        if label is not None:
            for _, row in data.iterrows():
                ax.annotate(
                    str(row[label]), (row[x], row[y]), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
        ax.set_xlabel(xlabel or str(x).replace("_", " "))
        ax.set_ylabel(ylabel or str(y).replace("_", " "))
        for column, axis in ((x, ax.xaxis), (y, ax.yaxis)):
            if column in percent:
                axis.set_major_formatter(PercentFormatter(1.0))
        if hue is not None:
            ax.legend(frameon=False, fontsize="small", title=hue)
    plt.close(fig)
    return fig


def plot_stress_grid(grid, /, *, taylor: bool = True, figsize: tuple[float, float] | None = None):
    """Heatmap of a :class:`riskkit.hedging.stress.StressGrid`: the full revaluation P&L (currency)
    by spot move (%) and volatility shock (vol points), the requirement's cell outlined; with
    ``taylor``, beside it the Taylor estimate's error (Taylor minus full revaluation)."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import StrMethodFormatter

    from riskkit._core import formats

    def axes_labels(table: pd.DataFrame) -> pd.DataFrame:  # "+15%", "0%"; "-10", "0" (vol points)
        return table.set_axis([formats.signed(m, percent=True) for m in table.index], axis=0).set_axis(
            [formats.signed(v * 100) for v in table.columns], axis=1
        )

    panels = {"P&L, full revaluation (currency)": grid.pnl}
    if taylor:
        panels["Taylor estimate minus full revaluation (currency)"] = grid.taylor - grid.pnl
    with _style("white"):
        fig, axes = plt.subplots(
            1, len(panels), figsize=figsize or (5.0 * len(panels), 4.5), layout="constrained", squeeze=False
        )
        for ax, (title, table) in zip(axes[0], panels.items(), strict=True):
            lim = float(np.nanmax(np.abs(table.to_numpy()))) or 1.0
            sns.heatmap(
                axes_labels(table),
                annot=table.map(lambda v: formats.money(v)).to_numpy(),  # "0", never "-0"
                fmt="",
                cmap="RdBu",
                vmin=-lim,
                vmax=lim,
                ax=ax,
                annot_kws={"fontsize": 7},
                cbar_kws={"label": "currency", "format": StrMethodFormatter("{x:,.0f}")},
            )
            ax.tick_params(axis="y", labelrotation=0)
            i, j = grid.pnl.index.get_loc(grid.worst_move), grid.pnl.columns.get_loc(grid.worst_shock)
            ax.add_patch(Rectangle((j, i), 1, 1, fill=False, edgecolor="black", lw=2))
            ax.set_xlabel("volatility shock (vol points)")
            ax.set_ylabel("spot move (%)")
            ax.set_title(title, fontsize=10)
    plt.close(fig)
    return fig
