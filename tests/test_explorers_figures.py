"""riskkit.explorers' widgets and figures (issue 26 item 5): a slider move updates the figures it
built once (the same artists, the new data: what a freshly built figure of the new result holds),
readouts in the charts' units, ties named as ties, and the faster simulations give the same
numbers as the code they replace (naive versions kept here)."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import riskkit as rk
from riskkit.explorers._figures import Chart
from riskkit.explorers.widgets import _largest

PNG = b"\x89PNG\r\n\x1a\n"


def _artists(fig) -> list:
    """Every data-bearing artist's data and each axes' limits, in drawing order."""
    out = []
    for ax in fig.axes:
        out.append(("limits", np.round([*ax.get_xlim(), *ax.get_ylim()], 12)))
        out += [("line", np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float))
                for line in ax.get_lines()]  # fmt: skip
        out += [("patch", np.array([p.get_x(), p.get_y(), p.get_width(), p.get_height()]))
                for p in ax.patches]  # fmt: skip
        out += [
            ("points", np.asarray(c.get_offsets(), dtype=float))
            for c in ax.collections
            if c.get_offsets().size
        ]
        out += [("text", t.get_text(), tuple(np.round(t.xy, 9))) for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out.append(("legend", [t.get_text() for t in legend.get_texts()]))
        out.append(("title", ax.get_title(), ax.get_ylabel()))
    return out


def _same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x[0] == y[0]
        for u, v in zip(x[1:], y[1:], strict=True):
            if isinstance(u, np.ndarray):
                np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)
            else:
                assert u == v


EXPLORERS = {
    "rebalancing": (lambda: rk.widgets.rebalancing_explorer(n_paths=8, years=1), "volatility", 0.5),
    "shrinkage": (lambda: rk.widgets.shrinkage_explorer(n_assets=8, n_trials=4), "ratio", 5.0),
    "risk": (lambda: rk.widgets.risk_explorer(), "correlation", 0.7),
    "hedging": (lambda: rk.widgets.hedging_explorer(n_paths=12, days=30), "band", 0.13),
}


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_a_move_updates_the_same_figures_to_what_a_fresh_build_shows(name):
    make, control, value = EXPLORERS[name]
    explorer = make()
    charts = [o for o in explorer.outputs if isinstance(o, Chart)]
    assert charts, f"{name}: its figures are Charts"
    before = [_artists(c.figure) for c in charts]
    pngs = [c._repr_png_() for c in charts]
    explorer.controls[control].value = value
    after = [o for o in explorer.outputs if isinstance(o, Chart)]
    assert [id(c) for c in after] == [id(c) for c in charts]  # reused, not rebuilt
    fresh = make()
    fresh.controls[control].value = value  # a new explorer moved the same way
    fresh_charts = [o for o in fresh.outputs if isinstance(o, Chart)]
    for c, f, b, png in zip(after, fresh_charts, before, pngs, strict=True):
        _same(_artists(c.figure), _artists(f.figure))
        with pytest.raises(AssertionError):
            _same(_artists(c.figure), b)  # the move changed what is drawn
        new = c._repr_png_()
        assert new.startswith(PNG) and new != png


def test_reused_rebalancing_chart_holds_the_new_results_numbers():
    explorer = rk.widgets.rebalancing_explorer(n_paths=8, years=1)
    explorer.controls["band"].value = 0.12
    res = explorer.result
    fig = explorer.outputs[1].figure
    hist, split = fig.axes
    counts, edges = np.histogram(res.paths["premium"], bins=25)
    np.testing.assert_array_equal([p.get_height() for p in hist.patches], counts)
    np.testing.assert_allclose([p.get_x() for p in hist.patches], edges[:-1])
    assert hist.lines[1].get_xdata()[0] == pytest.approx(res.paths["premium"].mean())
    assert hist.get_legend().get_texts()[0].get_text() == f"mean {res.paths['premium'].mean():.2%}"
    terms = res.paths[["diversification_return", "dispersion", "timing", "costs"]]
    np.testing.assert_allclose([p.get_height() for p in split.patches], terms.mean())
    low, high = split.containers[1].lines[1]
    np.testing.assert_allclose(high.get_ydata() - low.get_ydata(), 4 * terms.std(ddof=1) / np.sqrt(8))
    weights = explorer.outputs[0].figure.axes[1]
    line = next(x for x in weights.get_lines() if x.get_label() == res.weights["policy"].columns[0])
    np.testing.assert_array_equal(line.get_ydata(), res.weights["policy"].iloc[:, 0])


def test_chart_reruns_the_layout_when_tick_labels_grow():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])

    def redraw(fig, top):
        fig.axes[0].lines[0].set_ydata([0, top])
        fig.axes[0].set_ylim(0, top)

    chart = Chart(fig, redraw)
    chart._repr_png_()
    x0 = ax.get_position().x0
    chart.update(1.0)._repr_png_()
    assert ax.get_position().x0 == x0  # same tick labels: the layout is kept
    chart.update(123456.0)._repr_png_()  # "120000": longer labels need a wider margin
    assert ax.get_position().x0 > x0
    renderer = fig.canvas.get_renderer()
    assert min(t.get_window_extent(renderer).x0 for t in ax.get_yticklabels() if t.get_text()) >= 0


def test_ties_are_named_as_ties_with_the_tolerance():
    s = pd.Series
    assert _largest(s({"BTC": 0.24996, "ETH": 0.25029, "SOL": 0.24996, "DOGE": 0.24979})) == (
        "all four at 25.0% (equal within 0.25 percentage point)"
    )
    assert _largest(s({"x": 0.50119, "y": 0.49881})) == "both at 50.0% (equal within 0.25 percentage point)"
    assert (
        _largest(s({"a": 0.40, "b": 0.398, "c": 0.202}))
        == "40.0%, a and b tied (equal within 0.25 percentage point)"
    )
    assert _largest(s({"a": 0.40, "b": 0.397, "c": 0.203})) == "40.0% (a)"  # 0.3 point apart: no tie
    assert (
        _largest(s({"a": 0.5, "b": 0.5}), tolerance=0.0) == "both at 50.0% (equal within 0 percentage point)"
    )


def test_readouts_are_in_the_charts_units():
    """Issue 26: 04's readouts said 0.250 beside a chart in %; 01's "loss reduction" was the
    mean of per-trial ratios while the prose reads the reduction of the mean loss."""
    from matplotlib.ticker import PercentFormatter

    risk = rk.widgets.risk_explorer()
    assert isinstance(risk.outputs[0].figure.axes[0].xaxis.get_major_formatter(), PercentFormatter)
    assert all(risk.controls[f"w_{a}"].readout_format == ".1%" for a in ("BTC", "ETH", "SOL", "DOGE"))
    assert all(risk.controls[f"vol_{a}"].readout_format == ".0%" for a in ("BTC", "ETH", "SOL", "DOGE"))
    assert risk.outputs[1]["value"]["portfolio volatility (annual)"].endswith("%")

    shrink = rk.widgets.shrinkage_explorer(n_assets=8, n_trials=6)
    t = shrink.result.trials
    table = shrink.outputs[1]["value"]
    by_hand = 1 - t["loss_shrunk"].mean() / t["loss_sample"].mean()
    assert table["reduction of the mean loss"] == f"{100 * by_hand:.1f}%"
    assert table["median reduction per trial"] == f"{np.median(t['improvement']):.1f}%"
    assert table["trials where shrinkage loses"] == f"{int((t['loss_shrunk'] > t['loss_sample']).sum())} of 6"
    assert table["mean relative loss, sample"] == f"{100 * t['loss_sample'].mean():.1f}%"
    assert "loss reduction" not in table.index  # the mean of per-trial ratios is not a readout


def test_sliders_are_wide_enough_to_set_a_step():
    explorer = rk.widgets.risk_explorer()
    box = explorer.widget()
    grid = box.children[1]
    assert grid.layout.grid_template_columns == "repeat(auto-fill, minmax(560px, 1fr))"
    corr = explorer.controls["correlation"]
    assert corr.layout.width == "95%" and corr.style.description_width == "120px"
    track = 0.95 * 560 - 120 - 60  # the cell less the description and the readout, px
    assert track / ((corr.max - corr.min) / corr.step) >= 2.5  # px per step of 0.01


# --------------------------------------------------------------------------- same numbers, faster


def test_simple_log_returns_are_simulate_simple_markets():
    from riskkit.simulation import _simple_log_returns, simulate_simple_market

    for n, vol, rho, spread in [(4, 0.8, 0.3, 0.0), (3, 0.4, 0.0, 0.5), (6, 1.2, 0.9, 0.2)]:
        rng_a, rng_b = np.random.default_rng(11), np.random.default_rng(11)
        sim = simulate_simple_market(n_assets=n, n_periods=400, volatility=vol, correlation=rho,
                                     dispersion=spread, seed=rng_a)  # fmt: skip
        r, cov = _simple_log_returns(n_assets=n, n_periods=400, volatility=vol, correlation=rho,
                                     dispersion=spread, seed=rng_b)  # fmt: skip
        np.testing.assert_array_equal(r, sim.returns.to_numpy())
        np.testing.assert_array_equal(cov, sim.true_covariance.to_numpy())


@pytest.mark.parametrize("loading", [0.0, 0.6])
def test_simulator_without_crashes_or_clustering_matches_its_recursions(loading):
    """The no-crash, no-GARCH shortcuts (and, at loading 0, independent assets) against the
    recursions they skip, written out here: every period calm, h_t = 1, shocks eps @ L' with
    L L' the calm correlation (L = I at loading 0)."""
    sim = rk.simulation.simulate_market(
        n_assets=5, n_periods=300, seed=3, crash_probability=0.0, garch=(0.0, 0.0),
        market_loading=(loading, loading), group_loading=(0.0, 0.0), annual_vol=[0.5] * 5, dof=6.0,
        annual_drift=0.1,
    )  # fmt: skip
    assert (sim.regimes == "calm").all() and (sim.variance_multiplier == 1.0).all()
    rng = np.random.default_rng(3)
    rng.uniform(loading, loading, 5), rng.uniform(0, 0, 5)  # the loadings' draws
    rng.random(300), rng.random()  # the regimes' draws
    eps = rng.standard_normal((300, 5))
    w = rng.chisquare(6.0, 300) / 6.0
    corr = np.full((5, 5), loading**2)
    np.fill_diagonal(corr, 1.0)
    shocks = eps @ np.linalg.cholesky(corr).T * np.sqrt(4.0 / (6.0 * w))[:, None]
    expected = 0.1 / 365 + shocks * 0.5 / np.sqrt(365)
    np.testing.assert_allclose(sim.returns.to_numpy(), expected, rtol=1e-13, atol=1e-16)


def _naive_tradeoff(**kw):
    """delta_hedge_paths as it was: each band hedged by delta_hedge on freshly simulated paths."""
    from riskkit.costs import Costs

    from riskkit.explorers import delta_hedge, price_paths

    prices = price_paths(
        realised_vol=kw["realised_vol"], days=kw["days"], n_paths=kw["n_paths"], seed=kw["seed"]
    )
    book = pd.DataFrame({"kind": ["call"], "strike": [30000.0], "expiry": [0.5], "vol": [kw["implied_vol"]],
                         "quantity": [-10.0]})  # fmt: skip
    return {b: delta_hedge(book, prices, band=b, costs=Costs(proportional=kw["proportional"]))
            for b in (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, kw["band"])}  # fmt: skip


@pytest.mark.parametrize("realised_vol, implied_vol, band", [(0.6, 0.6, 0.05), (0.9, 0.5, 0.13)])
def test_hedging_on_cached_paths_gives_each_bands_own_hedge(realised_vol, implied_vol, band):
    kw = dict(realised_vol=realised_vol, implied_vol=implied_vol, band=band, proportional=0.002, days=40,
              n_paths=15, seed=4)  # fmt: skip
    for _ in range(2):  # the second call reads the cached paths and book values
        hedge, tradeoff = rk.explorers.delta_hedge_paths(**kw)
        naive = _naive_tradeoff(**kw)
        pd.testing.assert_frame_equal(hedge.pnl, naive[band].pnl)
        pd.testing.assert_frame_equal(hedge.components, naive[band].components)
        for b, res in naive.items():
            assert tradeoff.loc[b, "hedging_cost"] == -res.components["costs"].mean()
            assert tradeoff.loc[b, "residual_risk"] == res.residual_risk.mean()
    from riskkit.explorers._hedging import _paths_book

    along = _paths_book(realised_vol, implied_vol, 40, 0.5, 1.0, -10.0, 30000.0, 15, 4)
    assert not any(a.flags.writeable for a in along[:5])  # the cache cannot be changed by a caller
