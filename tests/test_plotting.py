"""riskkit.plotting: every function returns a Figure with the expected content."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskkit import evaluation, plotting
from riskkit.shrinkage import shrink
from riskkit.simulation import simulate_market


def test_plot_prices_with_shading():
    m = simulate_market(n_assets=3, n_periods=300, seed=0)
    fig = plotting.plot_prices(m.prices, shade=m.regimes == "crash", title="t")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "t"
    assert len(ax.get_lines()) >= 3
    assert ax.get_ylabel() == "growth of 1"
    ratio = plotting.plot_prices(m.prices, rebase=False, log_scale=False, ylabel="hedge ratio")
    assert ratio.axes[0].get_ylabel() == "hedge ratio"


def test_heatmaps_eigenvalues_and_error_plots():
    r = simulate_market(n_assets=5, n_periods=100, seed=1).returns
    s, lw = shrink(r, method="sample"), shrink(r)
    fig = plotting.plot_correlation_heatmaps({"sample": s.correlation, "lw": lw.correlation})
    assert [ax.get_title() for ax in fig.axes[:2]] == ["sample", "lw"]
    fig = plotting.plot_eigenvalues({"sample": s.covariance, "lw": lw.covariance})
    ys = fig.axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(np.sort(ys)[::-1], np.sort(np.linalg.eigvalsh(s.correlation.to_numpy()))[::-1])
    table = evaluation.estimation_experiment(methods=["oas"], n_assets=5, ratios=(1, 2), seed=(0,))
    fig = plotting.plot_estimation_error(table)
    assert fig.axes[0].get_xscale() == "log"


def test_plots_leave_inputs_alone():
    m = simulate_market(n_assets=3, n_periods=50, seed=0)
    p = m.prices.copy()
    plotting.plot_prices(m.prices)
    pd.testing.assert_frame_equal(p, m.prices)


def test_shares_and_rolling_risk_plots():
    from riskkit import decomposition as D

    m = simulate_market(n_assets=4, n_periods=400, seed=2)
    w = pd.Series(0.25, index=m.returns.columns)
    d = D.decompose(w, returns=m.returns)
    fig = plotting.plot_shares(d.assets, columns={"weight": "weight", "percent": "share of risk"}, title="x")
    ax = fig.axes[0]
    assert ax.get_title() == "x"
    widths = sorted(round(p.get_width(), 10) for p in ax.patches if p.get_height() > 0)
    expected = sorted(round(v, 10) for v in [*d.assets["weight"], *d.assets["percent"]])
    assert widths == expected
    roll = D.rolling_decompose(w, m.returns, window=100, step=50)
    fig = plotting.plot_rolling_risk(roll, top=2)
    assert len(fig.axes[1].get_lines()) == 2


def test_every_line_of_a_wide_universe_has_its_own_colour():
    prices = pd.DataFrame(
        np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, (50, 12)), axis=0)),
        index=pd.date_range("2024-01-01", periods=50),
        columns=[f"A{i}" for i in range(12)],
    )
    lines = plotting.plot_prices(prices).axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == list(prices.columns)
    assert len({matplotlib.colors.to_hex(ln.get_color()) for ln in lines}) == 12
    np.testing.assert_allclose(lines[3].get_ydata(), prices["A3"] / prices["A3"].iloc[0])


def test_price_axes_read_as_plain_numbers_and_short_dates():
    """A log axis read 2×10⁰ and 10⁰, and 20 daily dates overlapped in full."""
    idx = pd.date_range("2024-12-12", periods=20, freq="D")
    prices = pd.DataFrame({"A": np.linspace(100, 90, 20), "B": np.linspace(100, 112, 20)}, index=idx)
    fig = plotting.plot_prices(prices)
    fig = fig if hasattr(fig, "canvas") else fig.figure
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    shown = [
        t.get_text()
        for t in [*ax.get_yticklabels(), *ax.get_yticklabels(minor=True)]
        if t.get_text() and lo <= t.get_position()[1] <= hi
    ]
    assert "1" in shown and "0.9" in shown and all("10^" not in s and "×" not in s for s in shown)
    dates = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert all(len(d) <= 2 for d in dates)  # day numbers; the month and year once, in the offset
    assert ax.xaxis.get_major_formatter().get_offset() == "2024-Dec"


def _tick_texts(ax, axis: str) -> list[str]:
    """The tick labels matplotlib draws on ``axis`` ("x" or "y") within the axis' limits."""
    ax.figure.canvas.draw()
    which = ax.xaxis if axis == "x" else ax.yaxis
    lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    k = 0 if axis == "x" else 1
    ticks = [*which.get_ticklabels(), *which.get_ticklabels(minor=True)]
    return [t.get_text() for t in ticks if t.get_text() and lo <= t.get_position()[k] <= hi]


def test_eigenvalue_axis_reads_as_plain_numbers():
    """The log axis read 6×10⁰ and 2×10⁻¹; a spectrum of 12 assets from 0.2 to 6 reads 0.2 ... 6."""
    rng = np.random.default_rng(3)
    r = pd.DataFrame(rng.normal(size=(200, 12)) + rng.normal(size=(200, 1)), columns=list("ABCDEFGHIJKL"))
    fig = plotting.plot_eigenvalues({"sample": shrink(r, method="sample").covariance})
    shown = _tick_texts(fig.axes[0], "y")
    assert "1" in shown and all("^" not in s and "×" not in s and "10" != s[:2] for s in shown), shown
    assert fig.axes[0].get_ylabel() == "eigenvalue of the correlation matrix (log scale)"


def test_frontier_axes_have_words_and_units_not_column_names():
    table = pd.DataFrame({"tracking_error": [0.02, 0.10], "cost_drag": [0.0074, 0.0012]}, index=["W", "Y"])
    fig = plotting.plot_frontier(
        table, x="tracking_error", y="cost_drag", percent=list(table), xlabel="tracking error (% a year)"
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "tracking error (% a year)" and ax.get_ylabel() == "cost drag"
    x, y = _tick_texts(ax, "x"), _tick_texts(ax, "y")
    assert "10.0%" in x and "0.50%" in y and all(s.endswith("%") for s in x + y), (x, y)
    ys = ax.collections[0].get_offsets()[:, 1]
    np.testing.assert_allclose(ys, [0.0074, 0.0012])  # percent changes the labels, not the data


def test_heatmap_colour_bar_reads_in_the_cells_unit():
    """Cells in % (fmt ".2%") had a colour bar in fractions (0.02, 0.04): both read in % now."""
    table = pd.DataFrame([[0.0165, -0.0339], [0.0736, 0.0677]], index=["1%", "20%"], columns=["0", "100"])
    fig = plotting.plot_heatmap(table, label="premium (% a year)", xlabel="cost (bp)", ylabel="band")
    ax, bar = fig.axes
    assert sorted(t.get_text() for t in ax.texts) == ["-3.39%", "1.65%", "6.77%", "7.36%"]
    assert bar.get_ylabel() == "premium (% a year)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("cost (bp)", "band")
    ticks = _tick_texts(bar, "y")
    assert ticks and all(t.endswith("%") for t in ticks) and "0%" in [t.replace(".0", "") for t in ticks]


def test_rolling_risk_says_which_assets_it_shows():
    from riskkit import decomposition as D

    m = simulate_market(n_assets=4, n_periods=400, seed=2)
    w = pd.Series(0.25, index=m.returns.columns)
    roll = D.rolling_decompose(w, m.returns, window=100, step=50)
    shares = roll.drop(columns=["volatility", "effective_risk_assets"]).mean().sort_values(ascending=False)
    ax = plotting.plot_rolling_risk(roll, top=2).axes[1]
    assert ax.get_title() == "Share of risk: the 2 of 4 assets with the largest mean share of risk"
    assert [ln.get_label() for ln in ax.get_lines()] == list(shares.index[:2])
    assert plotting.plot_rolling_risk(roll, top=6).axes[1].get_title() == "Share of risk: every asset"


def test_shares_axis_label():
    table = pd.DataFrame({"historical ES": [0.004, 0.009]}, index=["A", "B"])
    ax = plotting.plot_shares(table, xlabel="loss (% of portfolio value, one day)").axes[0]
    assert ax.get_xlabel() == "loss (% of portfolio value, one day)"
    assert all(t.endswith("%") for t in _tick_texts(ax, "x"))
