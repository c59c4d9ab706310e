"""Interactive explorers for JupyterLab: sliders wired to :mod:`riskkit.explorers`.

Contents
--------
Explorer                   controls, the function they drive, and the figures and tables it shows
rebalancing_explorer       volatility, correlation, drift dispersion, mean reversion, band, cost
shrinkage_explorer         T/N and the true factor structure
risk_explorer              weights, volatilities, one correlation, and an ERC button
hedging_explorer           band, cost, realised and implied volatility
plot_rebalancing_paths, plot_shrinkage_trials, plot_delta_hedge
                           the explorers' figures (matplotlib Figures, usable on their own)
answer                     a worked answer to an exercise, collapsed until clicked

An explorer returned as a cell's value shows its controls, then its figures and
tables computed at the defaults. Those outputs are ordinary display outputs, so a
notebook executed by papermill keeps a static report (neither the HTML nor the
comparison of re-run reports needs a kernel); in a live kernel moving a control
recomputes and replaces them in place (``update_display``): each figure is built once and
kept (:class:`riskkit.explorers._figures.Chart`), a move puts the new data into its artists and
draws it once to PNG, so a move answers within about 0.3 s (``benchmarks/run.py --only
explorer``; the browser's side in tests/test_browser.py). ipywidgets is imported
only when an explorer is built. The widget's ``text/plain`` fallback is a fixed
sentence, so executed notebooks compare equal; only the widget-view model id (and
the notebook's widget-state metadata) varies between runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from riskkit._core.formats import money, percent
from riskkit.exceptions import InvalidParameterError
from riskkit.explorers import delta_hedge_paths, rebalancing_paths, shrinkage_trials
from riskkit.explorers._figures import (
    Chart,
    hedging_chart,
    plot_delta_hedge,
    plot_rebalancing_paths,
    plot_shrinkage_trials,
    rebalancing_chart,
    shrinkage_chart,
)

__all__ = [
    "Explorer",
    "answer",
    "hedging_explorer",
    "plot_delta_hedge",
    "plot_rebalancing_paths",
    "plot_shrinkage_trials",
    "rebalancing_explorer",
    "risk_explorer",
    "shrinkage_explorer",
]


def _explores(compute: Callable[..., Any]) -> Callable[[Callable[[dict], Explorer]], Callable[..., Explorer]]:
    """An explorer of ``compute`` takes ``compute``'s keywords, with its defaults
    (written once, on ``compute``): they start the sliders and fix the rest. The
    decorated function receives them all as one mapping."""

    def wrap(make: Callable[[dict], Explorer]) -> Callable[..., Explorer]:
        defaults = inspect.unwrap(compute).__kwdefaults__  # under @renamed: the function's own

        @functools.wraps(make)
        def explorer(**start: Any) -> Explorer:
            unknown = [k for k in start if k not in defaults]
            if unknown:
                raise InvalidParameterError(
                    f"{make.__name__} has no option {', '.join(map(repr, unknown))}; "
                    f"its options are {', '.join(defaults)}."
                )
            return make(defaults | start)

        explorer.__signature__ = inspect.signature(compute).replace(return_annotation="Explorer")
        return explorer

    return wrap


def _pct(table: pd.DataFrame | pd.Series, digits: int = 2) -> pd.DataFrame | pd.Series:
    """Percent strings at a fixed precision (what rounding noise cannot move)."""
    return table.map(lambda v: percent(v, digits))


def _money(table: pd.DataFrame) -> pd.DataFrame:
    return table.map(money)


def answer(*parts, summary: str = "Answer: the numbers (click to open)"):
    """A worked answer, shown collapsed: an HTML ``<details>`` element holding ``parts``
    (DataFrames or Series as tables, strings as paragraphs, in order).

    Collapsed in JupyterLab, in the HTML report and on GitHub alike, so a student who runs
    every cell still has to open it; cells tagged ``answer`` can also be removed for a
    student copy (``nbconvert --TagRemovePreprocessor.remove_cell_tags=answer``).
    """
    from html import escape

    from IPython.display import HTML

    body = []
    for part in parts:
        if isinstance(part, pd.Series):
            part = part.to_frame()
        body.append(part.to_html() if isinstance(part, pd.DataFrame) else f"<p>{escape(str(part))}</p>")
    return HTML(f"<details><summary>{escape(summary)}</summary>{''.join(body)}</details>")


# --------------------------------------------------------------------------- the widget frame


class Explorer:
    """Controls wired to a computation whose figures and tables are shown below them.

    Parameters
    ----------
    compute : callable
        Called with the controls' values as keyword arguments; returns a result.
    render : callable
        Result -> list of objects to display (figures, DataFrames, Markdown), always
        the same number.
    controls : mapping of str to ipywidgets.ValueWidget
        Keyword name -> control.
    title : str
    extra : list of widgets, optional
        Further widgets shown with the controls (buttons).

    Attributes
    ----------
    result
        The latest result.
    outputs : list
        The latest rendered objects.
    status : str
        Empty, or why the last change of a control was not computed.
    """

    def __init__(
        self,
        compute: Callable,
        render: Callable,
        controls: Mapping,
        /,
        *,
        title: str,
        extra: list | None = None,
    ):
        self.compute, self.render, self.controls = compute, render, dict(controls)
        self.title, self.extra = title, list(extra or [])
        self._handles: list = []
        self._paused = False
        self._status = None
        self.status = ""
        self.result = compute(**self.values())
        self.outputs = list(render(self.result))
        for control in self.controls.values():
            control.observe(self._changed, names="value")

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _changed(self, change) -> None:
        if not self._paused:
            self.update()

    def set(self, **values) -> None:
        """Set several controls at once and recompute once."""
        self._paused = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._paused = False
        self.update()

    def update(self) -> None:
        """Recompute from the controls and replace the shown outputs. A combination the
        computation refuses (a riskkit error) is reported under the controls and leaves
        the outputs as they were."""
        from riskkit.exceptions import RiskkitError

        try:
            result = self.compute(**self.values())
        except RiskkitError as exc:
            self.status = f"not updated: {exc}"
        else:
            self.result, self.status = result, ""
            self.outputs = list(self.render(result))
            for handle, obj in zip(self._handles, self.outputs, strict=False):
                handle.update(obj)
        if self._status is not None:
            self._status.value = self.status

    def widget(self):
        import ipywidgets as w

        rows = list(self.controls.values()) + self.extra
        # a slider track of at least ~400 px (the cell is 560 px less the 120 px description): wide
        # enough to set a value to its step; as many columns as the page's width holds
        grid = w.GridBox(rows, layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(560px, 1fr))"))
        self._status = w.Label(self.status)
        return w.VBox([w.HTML(f"<b>{self.title}</b>"), grid, self._status])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        box = self.widget()
        names = ", ".join(self.controls)
        display(
            {
                "application/vnd.jupyter.widget-view+json": {
                    "model_id": box.model_id,
                    "version_major": 2,
                    "version_minor": 0,
                },
                "text/plain": f"[{self.title}: controls for {names}; run the notebook in JupyterLab to move "
                "them. The outputs below are the defaults.]",
            },
            raw=True,
        )
        self._handles = [display(obj, display_id=True) for obj in self.outputs]


def _slider(description: str, value: float, low: float, high: float, step: float, fmt: str = ".2f"):
    import ipywidgets as w

    return w.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        readout_format=fmt,
        continuous_update=False,
        style={"description_width": "120px"},
        layout=w.Layout(width="95%"),
    )


# --------------------------------------------------------------------------- the explorers


@_explores(rebalancing_paths)
def rebalancing_explorer(v: dict) -> Explorer:
    """Sliders for :func:`riskkit.explorers.rebalancing_paths`: the weight drift of one
    path, the premium's distribution over paths and its split, and a summary table."""
    from IPython.display import Markdown

    from riskkit.plotting import plot_weights

    controls = {
        "volatility": _slider("volatility", v["volatility"], 0.1, 1.5, 0.05, ".0%"),
        "correlation": _slider("correlation", v["correlation"], 0.0, 0.95, 0.05),
        "dispersion": _slider("drift dispersion", v["dispersion"], 0.0, 1.0, 0.05, ".0%"),
        "reversion": _slider("reversion /yr", v["reversion"], 0.0, 4.0, 0.25),
        "band": _slider("band", v["band"], 0.01, 0.25, 0.01, ".0%"),
        "proportional": _slider("cost (of trade)", v["proportional"], 0.0, 0.01, 0.0005, ".2%"),
    }

    charts: list[Chart] = []  # built at the first render, updated in place by every move

    def compute(**sliders):
        return rebalancing_paths(**(v | sliders))

    def render(res):
        s = res.summary()
        mean = s["mean"]
        table = pd.DataFrame(
            {
                "mean": [
                    *_pct(mean[["premium", "diversification_return", "dispersion", "timing", "costs"]]),
                    f"{mean['rebalances']:.1f}",
                    _pct(mean[["drift_buy_and_hold"]]).iloc[0],
                    _pct(mean[["drift_policy"]]).iloc[0],
                    percent(mean["won"], 0),
                ],
                "5% of paths": [
                    *_pct(s["5%"][["premium", "diversification_return", "dispersion", "timing", "costs"]]),
                    f"{s['5%']['rebalances']:.0f}",
                    *_pct(s["5%"][["drift_buy_and_hold", "drift_policy"]]),
                    "",
                ],
                "95% of paths": [
                    *_pct(s["95%"][["premium", "diversification_return", "dispersion", "timing", "costs"]]),
                    f"{s['95%']['rebalances']:.0f}",
                    *_pct(s["95%"][["drift_buy_and_hold", "drift_policy"]]),
                    "",
                ],
            },
            index=pd.Index(
                [
                    "premium over buy-and-hold (a year)",
                    "= diversification return",
                    "+ dispersion",
                    "+ timing",
                    "+ costs",
                    "trades (rebalances, 5 years)" if v["years"] == 5 else f"trades ({v['years']} years)",
                    "drift from target, buy-and-hold",
                    "drift from target, policy",
                    "paths where the policy won",
                ],
                name=f"{v['n_paths']} paths",
            ),
        )
        note = Markdown(
            "Expected diversification return ½(Σwᵢσᵢ² − σₚ²): "
            f"**{percent(res.expected_diversification_return, 2)}** a year. "
            "Drift from target: mean of ‖w − w*‖₁/2 over time."
        )
        drift = {"path 1, buy and hold": res.weights["buy and hold"], "path 1, policy": res.weights["policy"]}
        if not charts:
            weights = plot_weights(drift, target=res.target, figsize_per_panel=(11.0, 2.0))
            charts.extend([Chart(weights, _redraw_weights), rebalancing_chart(res)])
        charts[0].update(drift)
        charts[1].update(res)
        return [*charts, table, note]

    return Explorer(compute, render, controls, title="Rebalancing explorer")


@_explores(shrinkage_trials)
def shrinkage_explorer(v: dict) -> Explorer:
    """Sliders for :func:`riskkit.explorers.shrinkage_trials`."""
    controls = {
        "ratio": _slider("T/N", v["ratio"], 0.5, 20.0, 0.5, ".1f"),
        "market_loading": _slider("market loading", v["market_loading"], 0.0, 0.9, 0.05),
        "group_loading": _slider("sector loading", v["group_loading"], 0.0, 0.4, 0.05),
    }

    charts: list[Chart] = []

    def compute(**sliders):
        return shrinkage_trials(**(v | sliders))

    def render(res):
        r = res.reductions()  # the readings the notebook's prose uses: no mean of per-trial ratios
        table = pd.DataFrame(
            {
                "value": [
                    f"{r['intensity (mean)']:.2f}",
                    percent(r["mean loss, sample"], 1),
                    percent(r["mean loss, shrunk"], 1),
                    percent(r["reduction of the mean loss"], 1),
                    percent(r["median reduction per trial"], 1),
                    f"{r['trials where shrinkage loses']:.0f} of {r['trials']:.0f}",
                ]
            },
            index=pd.Index(
                [
                    "shrinkage intensity (mean)",
                    "mean relative loss, sample",
                    "mean relative loss, shrunk",
                    "reduction of the mean loss",
                    "median reduction per trial",
                    "trials where shrinkage loses",
                ],
                name=f"{v['n_assets']} assets, T = {res.parameters['observations']}, {v['n_trials']} trials",
            ),
        )
        if not charts:
            charts.append(shrinkage_chart(res))
        return [charts[0].update(res), table]

    return Explorer(compute, render, controls, title="Shrinkage explorer")


def risk_explorer(
    volatilities: Mapping[str, float] | None = None,
    /,
    *,
    weights: Mapping[str, float] | None = None,
    correlation: float = 0.3,
) -> Explorer:
    """Sliders for :func:`riskkit.explorers.risk_shares`: one weight and one volatility
    per asset and a common correlation; the ERC button sets the weights to equal
    risk contributions. Weights are normalised to sum to one."""
    import ipywidgets as w

    from riskkit.explorers import risk_shares
    from riskkit.plotting import plot_shares

    vols = dict(volatilities or {"BTC": 0.55, "ETH": 0.75, "SOL": 1.1, "DOGE": 1.3})
    start = dict(weights or {a: 1.0 / len(vols) for a in vols})
    n = len(vols)
    # weights in % like the chart (the shown weight is the slider's over the sliders' sum)
    controls = {f"w_{a}": _slider(f"weight {a}", start[a], 0.0, 1.0, 0.001, ".1%") for a in vols}
    controls |= {f"vol_{a}": _slider(f"volatility {a}", v, 0.05, 2.0, 0.05, ".0%") for a, v in vols.items()}
    controls["correlation"] = _slider("correlation", correlation, round(-1.0 / (n - 1), 2) + 0.01, 0.99, 0.01)

    def compute(**v):
        wts = {a: v[f"w_{a}"] for a in vols}
        total = sum(wts.values()) or 1.0
        return risk_shares(
            {a: x / total for a, x in wts.items()} if sum(wts.values()) else {a: 1.0 / n for a in vols},
            {a: v[f"vol_{a}"] for a in vols},
            correlation=v["correlation"],
        )

    columns = {"weight": "weight", "percent": "share of risk", "erc_weight": "ERC weight"}
    charts: list[Chart] = []

    def render(res):
        c = res.contributions
        if not charts:
            fig = plot_shares(c, columns=columns, title="Weight, share of risk and the ERC weights")
            charts.append(Chart(fig, _redraw_shares))
        fig = charts[0].update(c[list(columns)])
        table = pd.DataFrame(
            {
                "value": [
                    percent(res.volatility, 2),
                    f"{res.effective_bets:.2f} of {n}",
                    f"{res.effective_assets:.2f} of {n}",
                    _largest(c["percent"]),
                    ", ".join(f"{a} {percent(x, 1)}" for a, x in c["weight"].items()),
                ]
            },
            index=pd.Index(
                [
                    "portfolio volatility (annual)",
                    "effective number of bets",
                    "effective number of risk contributors",
                    "largest share of risk",
                    "weights (the sliders over their sum)",
                ]
            ),
        )
        return [fig, table]

    explorer = None
    button = w.Button(description="ERC: equal risk", button_style="info")

    def to_erc(_):
        erc = explorer.result.contributions["erc_weight"]
        explorer.set(**{f"w_{a}": round(float(erc[a]), 3) for a in vols})

    button.on_click(to_erc)
    explorer = Explorer(compute, render, controls, title="Risk contribution explorer", extra=[button])
    return explorer


def _redraw_weights(fig, weights: dict) -> None:
    """New data for :func:`riskkit.plotting.plot_weights`' figure: each panel's lines (one per
    asset, labelled by it; the dashed target lines stay)."""
    for ax, w in zip(fig.axes, weights.values(), strict=True):
        x = w.index.to_numpy()
        for line in ax.get_lines():
            if line.get_label() in w.columns:
                line.set_data(x, w[line.get_label()].to_numpy())
        ax.relim()
        ax.autoscale_view()


def _redraw_shares(fig, table: pd.DataFrame) -> None:
    """New bar lengths for :func:`riskkit.plotting.plot_shares`' figure of ``table`` (the bars
    are drawn column by column, each column's rows in order)."""
    ax = fig.axes[0]
    for rect, value in zip(ax.patches, table.to_numpy(dtype=float).T.ravel(), strict=True):
        rect.set_width(value)
    ax.relim()
    ax.autoscale_view(scaley=False)


# shares this close to the largest are named as tied with it: the ERC button snaps the weights to the
# sliders' 0.001 steps, which leaves equal-risk shares up to 0.24 percentage point apart (two assets
# of 30% and 190% volatility; 0.05 point on the notebook's four coins)
TIE_TOLERANCE = 0.0025
_ALL = {2: "both", 3: "all three", 4: "all four", 5: "all five", 6: "all six", 7: "all seven", 8: "all eight"}


def _largest(shares: pd.Series, tolerance: float = TIE_TOLERANCE) -> str:
    """The largest share and its asset, or the assets tied with it (within ``tolerance``, a
    fraction; the text states it): "all four at 25.0% (equal within 0.25 percentage point)"
    rather than one of them."""
    top = float(shares.max())
    tied = [str(a) for a, x in shares.items() if top - x <= tolerance]
    within = f"equal within {100 * tolerance:g} percentage point"
    if len(tied) == 1:
        return f"{percent(top)} ({tied[0]})"
    if len(tied) == len(shares):
        return f"{_ALL.get(len(tied), f'all {len(tied)}')} at {percent(float(shares.mean()))} ({within})"
    names = ", ".join(tied[:-1]) + f" and {tied[-1]}"
    return f"{percent(top)}, {names} tied ({within})"


@_explores(delta_hedge_paths)
def hedging_explorer(v: dict) -> Explorer:
    """Sliders for :func:`riskkit.explorers.delta_hedge_paths`."""
    controls = {
        "band": _slider("band (share of Δ₀)", v["band"], 0.0, 0.5, 0.01),
        "proportional": _slider("cost (of trade)", v["proportional"], 0.0, 0.005, 0.0001, ".2%"),
        "realised_vol": _slider("realised volatility", v["realised_vol"], 0.1, 1.5, 0.05, ".0%"),
        "implied_vol": _slider("implied volatility", v["implied_vol"], 0.1, 1.5, 0.05, ".0%"),
    }
    n_paths = v["n_paths"]
    charts: list[Chart] = []

    def compute(**sliders):
        return delta_hedge_paths(**(v | sliders))

    def render(res):
        hedge, tradeoff = res
        c = hedge.components
        table = (
            pd.DataFrame(
                {
                    "mean": _money(
                        c[["theta", "gamma", "unhedged_delta", "costs", "total"]].mean().to_frame()
                    ).iloc[:, 0],
                    "sd across paths": _money(
                        c[["theta", "gamma", "unhedged_delta", "costs", "total"]].std(ddof=1).to_frame()
                    ).iloc[:, 0],
                },
            )
            .rename(index={"unhedged_delta": "unhedged delta"})
            .rename_axis(f"hedged P&L, {n_paths} paths (currency)")
        )
        table.loc["re-hedges"] = [f"{c['rehedges'].mean():.1f}", f"{c['rehedges'].std(ddof=1):.1f}"]
        band_now = float(controls["band"].value)
        if not charts:
            charts.append(hedging_chart(hedge, tradeoff, band=band_now))
        return [charts[0].update(hedge, tradeoff, band=band_now), table]

    return Explorer(compute, render, controls, title="Delta-hedging explorer")
