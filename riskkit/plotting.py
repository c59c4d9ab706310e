"""Figures: one function per figure, each returning a matplotlib Figure.

Contents
--------
plot_prices   price paths rebased to 1 on a log scale, optional shaded periods

Functions take riskkit results or DataFrames and never change global
matplotlib or seaborn settings (styles are applied in a context).
"""

from __future__ import annotations

import pandas as pd

from riskkit._validation import check_frame

__all__ = ["plot_prices"]

_STYLE = "whitegrid"


def plot_prices(
    prices: pd.DataFrame,
    /,
    *,
    rebase: bool = True,
    log_scale: bool = True,
    shade: pd.Series | None = None,
    shade_label: str = "shaded",
    title: str | None = None,
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
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    check_frame("prices", prices)
    data = prices / prices.iloc[0] if rebase else prices
    long = data.rename_axis(index="date", columns="asset").stack().rename("value").reset_index()
    with sns.axes_style(_STYLE):
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        sns.lineplot(data=long, x="date", y="value", hue="asset", ax=ax, linewidth=0.9)
        if shade is not None:
            _shade(
                ax,
                shade.reindex(data.index, fill_value=False).to_numpy(dtype=bool),
                data.index,
                shade_label,
            )
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel("")
        ax.set_ylabel("growth of 1" if rebase else "price")
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
