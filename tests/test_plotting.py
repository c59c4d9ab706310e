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
