"""Package-level promises: cheap import, explicit public API, documented errors."""

import subprocess
import sys

import numpy as np

import riskkit
from riskkit import exceptions

HEAVY = ("scipy", "sklearn", "statsmodels", "matplotlib", "seaborn", "papermill")


def test_import_riskkit_loads_no_heavy_module():
    code = "import sys, riskkit; print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_reports_package_and_the_cli_load_neither_numpy_nor_pandas():
    """The runner starts kernels while it imports; a grid's fork server imports pandas in the
    kernel's own start-up. riskkit.reports importing pandas at once (a module-level import of
    riskkit._core.validation in the grid) gave forked kernels pandas' terminal display defaults:
    their tables differed from a cold kernel's."""
    code = (
        "import sys, riskkit.reports, riskkit.cli; "
        "print(','.join(m for m in ('numpy', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_main_reports_work_needs_neither_seaborn_nor_scipy_stats():
    """The risk report's figures, tail risk, stress and option greeks load neither
    (with its scipy.stats, seaborn is half a second of a report's start)."""
    code = (
        "import sys, numpy as np, pandas as pd, matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import riskkit as rk\n"
        "m = rk.simulation.simulate_market(n_assets=3, n_periods=300, seed=0)\n"
        "w = pd.Series(1 / 3, index=m.returns.columns)\n"
        "d = rk.decomposition.decompose(w, returns=m.returns, stress_windows=(5,),"
        " correlation_blends=(0.5,))\n"
        "rk.tail.tail_risk(w, m.returns, method='cornish_fisher')\n"
        "rk.plotting.plot_prices(m.prices)\n"
        "rk.plotting.plot_correlation_heatmaps({'a': m.returns.corr()})\n"
        "rk.plotting.plot_shares(d.assets, columns={'weight': 'weight', 'percent': 'risk'})\n"
        "book = pd.DataFrame({'underlying': ['A'], 'kind': ['call'], 'strike': [1.0], 'expiry': [0.5],"
        " 'vol': [0.8], 'quantity': [-2.0]})\n"
        "rk.hedging.hedge_status(book, pd.Series({'A': 1.1}))\n"
        "print(','.join(m for m in ('seaborn', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_normal_distribution_is_scipy_stats_norm_bit_for_bit():
    from scipy.stats import norm

    from riskkit._core import normal as _normal

    x = np.concatenate([np.linspace(-40, 40, 2001), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300]])
    p = np.concatenate([np.linspace(0, 1, 2001), [1e-300, 1 - 1e-16, 0.5, np.nan]])
    np.testing.assert_array_equal(_normal.cdf(x), norm.cdf(x))
    np.testing.assert_array_equal(_normal.pdf(x), norm.pdf(x))
    np.testing.assert_array_equal(_normal.ppf(p), norm.ppf(p))
    assert _normal.ppf(0.99) == norm.ppf(0.99) and _normal.pdf(2.326) == norm.pdf(2.326)


def test_submodules_are_reachable_lazily():
    for name in riskkit.__all__:
        assert getattr(riskkit, name) is not None


def test_every_exception_is_documented_and_typed():
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert name in exceptions.__doc__
        if name == "RiskkitError":
            continue
        if name.endswith("Error"):
            assert issubclass(cls, exceptions.RiskkitError)
            assert issubclass(cls, ValueError | TypeError)
        else:
            assert issubclass(cls, exceptions.RiskkitWarning)
