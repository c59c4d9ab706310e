"""Side-by-side timings of riskkit and its peers, in one run.

    python benchmarks/run.py [--quick] [--only SUBSTRING] [--out reports/benchmarks.md]

(``--only hedging`` runs the option Greeks and stress-grid rows alone.)

For every case, riskkit and each installed peer run on the same synthetic
data in the same process, alternating (riskkit, peer 1, peer 2, ..., then
again), after one warm-up call each; the table reports median times, the
ratio riskkit / peer (below 1: riskkit is faster), the ratio to the floor
where there is one (numpy ``Xc.T @ Xc`` for covariance estimators), and the
numerical agreement of the outputs (largest absolute difference, and the
same relative to the largest entry).

The test suite holds no timing assertions; this is the only place speed is
measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SLOW = 10.0  # seconds: a contender slower than this is timed once


@dataclass
class Contender:
    name: str
    fn: Callable[[], object]
    to_matrix: Callable[[object], np.ndarray] | None = None  # output -> comparable array
    note: str = ""


@dataclass
class Case:
    group: str
    name: str
    riskkit: Contender
    peers: list[Contender] = field(default_factory=list)
    floor: Callable[[], object] | None = None


_FLUSH = np.ones(8 * 2**20)  # 64 MiB, more than the CPU caches


def _time(fn: Callable[[], object]) -> float:
    """Wall time of one call, started with cold caches for every contender alike."""
    _FLUSH.sum()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_case(case: Case, repeats: int) -> list[dict]:
    contenders = [case.riskkit, *case.peers]
    outputs, times = {}, {c.name: [] for c in contenders}
    floor_times: list[float] = []
    if case.floor is not None:
        case.floor()
    warmup = {}
    for c in contenders:  # warm-up (not timed in the median), and the outputs to compare
        _FLUSH.sum()
        t = time.perf_counter()
        outputs[c.name] = c.fn()
        warmup[c.name] = time.perf_counter() - t
    for _ in range(repeats):
        if case.floor is not None:  # timed like every contender: once a round, right before riskkit
            floor_times.append(_time(case.floor))
        for c in contenders:
            if warmup[c.name] < SLOW:
                times[c.name].append(_time(c.fn))
    for c in contenders:  # a contender slower than SLOW is reported from its single run
        if not times[c.name]:
            times[c.name].append(warmup[c.name])
    ours = statistics.median(times[case.riskkit.name])
    floor = statistics.median(floor_times) if floor_times else None
    ref = case.riskkit.to_matrix(outputs[case.riskkit.name]) if case.riskkit.to_matrix else None
    rows = [
        {
            "group": case.group,
            "case": case.name,
            "library": case.riskkit.name,
            "median_s": ours,
            "riskkit/peer": None,
            "x floor": None if floor is None else ours / floor,
            "max_abs_diff": None,
            "rel_diff": None,
            "note": case.riskkit.note,
        }
    ]
    for c in case.peers:
        med = statistics.median(times[c.name])
        diff = rel = None
        if ref is not None and c.to_matrix is not None:
            other = c.to_matrix(outputs[c.name])
            diff = float(np.max(np.abs(np.asarray(other) - ref)))
            rel = diff / float(np.max(np.abs(ref)))
        rows.append(
            {
                "group": case.group,
                "case": case.name,
                "library": c.name,
                "median_s": med,
                "riskkit/peer": ours / med,
                "x floor": None if floor is None else med / floor,
                "max_abs_diff": diff,
                "rel_diff": rel,
                "note": c.note + (" (timed once: slow)" if warmup[c.name] >= SLOW else ""),
            }
        )
    return rows


# ----------------------------------------------------------------------------- cases


def _returns(T: int, N: int, seed: int = 0) -> pd.DataFrame:
    from riskkit.simulation import simulate_market

    m = simulate_market(n_assets=N, n_periods=T, seed=seed, calendar="business", annual_vol=(0.15, 0.5))
    return m.returns


def shrinkage_cases(sizes: list[tuple[int, int]]) -> list[Case]:
    from riskkit.shrinkage import shrink

    cases = []
    for T, N in sizes:
        r = _returns(T, N)
        X = r.to_numpy()
        Xc = X - X.mean(axis=0)
        size = f"T={T}, N={N}"

        def floor(Xc=Xc):
            return Xc.T @ Xc

        def ours(r=r, **kw):
            return Contender("riskkit", lambda: shrink(r, **kw), lambda res: res.covariance.to_numpy())

        peers = _shrinkage_peers(r, X, T, N)
        cases.append(Case("shrinkage", f"Ledoit-Wolf identity, {size}", ours(), peers["identity"], floor))
        cases.append(Case("shrinkage", f"OAS, {size}", ours(method="oas"), peers["oas"], floor))
        cases.append(
            Case(
                "shrinkage",
                f"constant correlation, {size}",
                ours(target="constant_correlation"),
                peers["cc"],
                floor,
            )
        )
        cases.append(
            Case("shrinkage", f"single index, {size}", ours(target="single_index"), peers["si"], floor)
        )
        cases.append(
            Case(
                "shrinkage",
                f"EWMA (RiskMetrics 0.94), {size}",
                ours(method="riskmetrics"),
                peers["ewma"],
                floor,
            )
        )
    return cases


def _shrinkage_peers(r: pd.DataFrame, X: np.ndarray, T: int, N: int) -> dict[str, list[Contender]]:
    peers: dict[str, list[Contender]] = {"identity": [], "oas": [], "cc": [], "si": [], "ewma": []}
    try:
        from sklearn.covariance import ledoit_wolf, oas

        peers["identity"].append(
            Contender("scikit-learn ledoit_wolf", lambda: ledoit_wolf(X), lambda o: o[0])
        )
        peers["oas"].append(Contender("scikit-learn oas", lambda: oas(X), lambda o: o[0]))
    except ImportError:
        pass
    try:
        from pypfopt.risk_models import CovarianceShrinkage

        def pypfopt(target):
            def fn():
                return CovarianceShrinkage(r, returns_data=True, frequency=1).ledoit_wolf(
                    shrinkage_target=target
                )

            return fn

        note = "S with ddof=1 (the paper and riskkit: 1/T)"
        peers["cc"].append(
            Contender("PyPortfolioOpt", pypfopt("constant_correlation"), lambda o: o.to_numpy(), note)
        )
        peers["si"].append(Contender("PyPortfolioOpt", pypfopt("single_factor"), lambda o: o.to_numpy()))
        peers["oas"].append(
            Contender(
                "PyPortfolioOpt",
                lambda: CovarianceShrinkage(r, returns_data=True, frequency=1).oracle_approximating(),
                lambda o: o.to_numpy(),
            )
        )
    except ImportError:
        pass
    try:
        from skfolio.moments import EWCovariance, LedoitWolf

        peers["identity"].append(
            Contender("skfolio LedoitWolf", lambda: LedoitWolf().fit(X), lambda o: o.covariance_)
        )
        if N <= 500:
            peers["ewma"].append(
                Contender(
                    "skfolio EWCovariance",
                    lambda: EWCovariance(half_life=float(np.log(0.5) / np.log(0.94))).fit(X),
                    lambda o: o.covariance_,
                    "zero mean, as RiskMetrics",
                )
            )
    except ImportError:
        pass
    try:
        import riskfolio as rp

        peers["identity"].append(
            Contender(
                "Riskfolio-Lib covar_matrix(ledoit)",
                lambda: rp.ParamsEstimation.covar_matrix(r, method="ledoit"),
                _np,
            )
        )
        peers["oas"].append(
            Contender(
                "Riskfolio-Lib covar_matrix(oas)",
                lambda: rp.ParamsEstimation.covar_matrix(r, method="oas"),
                _np,
            )
        )
        if N <= 100:  # pairwise pandas ewm: about 100 s at N = 500
            peers["ewma"].append(
                Contender(
                    "Riskfolio-Lib covar_matrix(ewma1)",
                    lambda: rp.ParamsEstimation.covar_matrix(r, method="ewma1", d=0.94),
                    _np,
                    "pandas ewm with its bias correction and weighted mean; skipped above N = 100 (minutes)",
                )
            )
    except ImportError:
        pass
    return peers


def _np(o) -> np.ndarray:
    return np.asarray(o, dtype=float)


def rolling_cases(T: int, N: int) -> list[Case]:
    from riskkit.shrinkage import rolling_shrink

    r = _returns(T, N, seed=1)
    X = r.to_numpy()
    window, step = 252, 21
    ours = Contender(
        "riskkit rolling_shrink",
        lambda: rolling_shrink(r, window=window, step=step),
        lambda res: res.covariances,
    )
    peers = []
    try:
        from sklearn.covariance import LedoitWolf

        def refit():
            return np.stack(
                [LedoitWolf().fit(X[e - window + 1 : e + 1]).covariance_ for e in range(window - 1, T, step)]
            )

        peers.append(Contender("scikit-learn LedoitWolf refit per window", refit, lambda o: o))
    except ImportError:
        pass
    return [
        Case("shrinkage", f"rolling Ledoit-Wolf, T={T}, N={N}, window {window}, step {step}", ours, peers)
    ]


def decomposition_cases(N: int) -> list[Case]:
    """Decomposition of an N-asset portfolio with a given covariance: every output
    except stress tests (contributions, clusters, concentration, effective bets)."""
    from riskkit.decomposition import decompose
    from riskkit.shrinkage import shrink

    r = _returns(1000, N, seed=2)
    cov = shrink(r, target="constant_correlation").covariance
    w = pd.Series(np.random.default_rng(0).uniform(0.5, 1.5, N), index=r.columns)
    w /= w.sum()
    ours = Contender(
        "riskkit decompose",
        lambda: decompose(w, covariance=cov, periods_per_year=1),
        lambda res: res.assets["component"].to_numpy(),
        "contributions, clusters, concentration, effective bets (PCA)",
    )
    peers = []
    try:
        import riskfolio as rp

        peers.append(
            Contender(
                "Riskfolio-Lib Risk_Contribution (MV)",
                lambda: rp.Risk_Contribution(w.to_frame().to_numpy(), r, cov=cov, rm="MV"),
                lambda o: np.asarray(o, dtype=float).ravel(),
                "contributions only",
            )
        )
    except ImportError:
        pass
    return [Case("decomposition", f"decomposition, N={N}, given covariance", ours, peers)]


def hedging_cases(n_options: int, n_positions: int) -> list[Case]:
    """Greeks of a book of ``n_options`` options (riskkit.hedging.greeks.option_greeks; peer:
    py_vollib_vectorized's get_all_greeks, when installed), and the SPAN stress grid (9 spot moves x
    3 vol shocks, full revaluation and Taylor) of an ``n_positions`` book: options and perpetuals
    on 5 underlyings."""
    from riskkit.hedging.greeks import option_greeks
    from riskkit.hedging.stress import stress_grid

    rng = np.random.default_rng(5)
    S = np.full(n_options, 30000.0)
    K = S * rng.uniform(0.6, 1.4, n_options)
    T = rng.uniform(7, 365, n_options) / 365
    vol = rng.uniform(0.3, 1.2, n_options)
    kind = np.where(rng.random(n_options) < 0.5, "call", "put")
    ours = Contender(
        "riskkit option_greeks",
        lambda: option_greeks(S, K, T, vol, kind=kind, rate=0.03),
        lambda g: g["delta"].to_numpy(),
        "price, delta, gamma, vega, theta, rho, vanna, volga",
    )
    peers = []
    try:
        import py_vollib_vectorized as pv

        flag = np.where(kind == "call", "c", "p")
        peers.append(
            Contender(
                "py_vollib_vectorized get_all_greeks",
                lambda: pv.get_all_greeks(flag, S, K, T, 0.03, vol, model="black_scholes", return_as="dict"),
                lambda g: np.asarray(g["delta"], dtype=float).ravel(),
                "delta, gamma, theta, vega, rho",
            )
        )
    except ImportError:
        pass
    names = [f"U{k}" for k in range(5)]
    spots = dict(zip(names, 100.0 * (1 + np.arange(5)), strict=True))
    rows = []
    for k in range(n_positions):
        u = names[k % 5]
        row = {"underlying": u, "quantity": float(rng.choice([-3.0, -1.0, 1.0, 2.0]))}
        if k % 5 == 4:  # one position in five a short perpetual on margin
            row.update(instrument="perpetual", quantity=-2.0, entry_price=spots[u], collateral=0.3 * spots[u])
            row.update(maintenance=0.005, funding=0.0001)
        else:
            row.update(instrument="option", kind=("call", "put")[k % 2])
            row["strike"] = spots[u] * rng.uniform(0.8, 1.2)
            row.update(expiry=rng.uniform(0.05, 1.0), vol=rng.uniform(0.4, 1.0))
        rows.append(row)
    book = pd.DataFrame(rows, index=[f"p{k}" for k in range(n_positions)])
    grid = Contender(
        "riskkit stress_grid",
        lambda: stress_grid(book, spots),
        None,
        "CME SPAN default: 9 spot moves x 3 vol shocks, full revaluation and Taylor, one day",
    )
    return [
        Case("hedging", f"hedging, option_greeks over {n_options:,} options", ours, peers),
        Case("hedging", f"hedging, stress_grid of a {n_positions}-position book", grid),
    ]


def backtest_cases() -> list[Case]:
    """20 assets x 2520 business days (the bundled S&P 500 stocks): one calendar
    policy and one threshold policy against bt, and 1000 threshold configurations
    in one pass. Zero costs, fractional positions, final values compared."""
    from riskkit.datasets import load
    from riskkit.rebalancing import Calendar, Config, Threshold, backtest, sweep

    prices = load("sp500_stocks").iloc[-2521:]
    w = pd.Series(1.0 / prices.shape[1], index=prices.columns)
    last = lambda res: np.array([res.values.iloc[-1, 0]])  # noqa: E731
    cases = []
    for label, policy, algo in (
        ("monthly calendar", Calendar("M"), "RunMonthly"),
        ("5% relative band, checked daily", Threshold(0.05, band_type="relative"), "RunIfOutOfBounds"),
    ):
        ours = Contender("riskkit", lambda p=policy: backtest(prices, w, [Config("x", p)]), last)
        peers = []
        try:
            import bt

            def run_bt(algo=algo):
                run = bt.algos.RunMonthly() if algo == "RunMonthly" else bt.algos.RunIfOutOfBounds(0.05)
                stack = [bt.algos.SelectAll(), bt.algos.WeighEqually(), run, bt.algos.Rebalance()]
                if algo == "RunMonthly":
                    stack = [run, bt.algos.SelectAll(), bt.algos.WeighEqually(), bt.algos.Rebalance()]
                test = bt.Backtest(
                    bt.Strategy("s", stack), prices, initial_capital=1_000_000.0, integer_positions=False
                )
                bt.run(test)
                return test.strategy.values.iloc[-1]

            peers.append(Contender("bt", run_bt, lambda v: np.array([float(v)]), "integer_positions=False"))
        except ImportError:
            pass
        cases.append(Case("backtest", f"{label}, 20 assets x 2520 days", ours, peers))
    grid = sweep(
        bands=list(np.linspace(0.01, 0.2, 20)),
        proportional=[0.0, 0.0005, 0.001, 0.002, 0.005],
        to=["target", "edge", 0.25, 0.5, 0.75, 1.0, 0.9, 0.8, 0.6, 0.4][:10],
    )
    cases.append(
        Case(
            "backtest",
            f"{len(grid)} threshold configurations (band x cost x trade-to), one pass",
            Contender("riskkit", lambda: backtest(prices, w, grid, record_weights=False), note="2 cores"),
        )
    )
    return cases


def erc_cases(sizes: list[int]) -> list[Case]:
    """Equal risk contribution on the sample covariance of simulated returns; the
    peers solve the same problem by convex optimisation. Agreement: weights."""
    from riskkit.allocation import risk_budgeting

    cases = []
    for N in sizes:
        r = _returns(max(2 * N, 500), N, seed=3)
        cov = r.cov()
        ours = Contender(
            "riskkit risk_budgeting", lambda cov=cov: risk_budgeting(cov), lambda w: w.to_numpy()
        )
        peers = []
        try:
            import riskfolio as rp

            def riskfolio_erc(r=r):
                port = rp.Portfolio(returns=r)
                port.assets_stats(method_mu="hist", method_cov="hist")
                return port.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True)

            peers.append(
                Contender("Riskfolio-Lib rp_optimization", riskfolio_erc, lambda w: w.to_numpy().ravel())
            )
        except ImportError:
            pass
        try:
            from skfolio import RiskMeasure
            from skfolio.optimization import RiskBudgeting

            peers.append(
                Contender(
                    "skfolio RiskBudgeting",
                    lambda r=r: RiskBudgeting(risk_measure=RiskMeasure.VARIANCE).fit(r.to_numpy()),
                    lambda m: m.weights_,
                )
            )
        except ImportError:
            pass
        cases.append(Case("allocation", f"ERC, N={N}", ours, peers))
    return cases


def _student_t(T: int, N: int, seed: int) -> pd.DataFrame:
    """Student-t(4) returns with a common factor: fat tails, as the ES cases want."""
    rng = np.random.default_rng(seed)
    X = 0.01 * (rng.standard_t(4, size=(T, N)) + 0.5 * rng.standard_t(4, size=(T, 1)))
    return pd.DataFrame(X, columns=[f"S{i:03d}" for i in range(N)])


def es_budget_cases(sizes: list[tuple[int, int]]) -> list[Case]:
    """Equal ES contributions (level 0.95) on T Student-t(4) scenarios; the peers (when installed)
    solve the same Rockafellar-Uryasev programme by convex optimisation. Agreement: weights."""
    from riskkit.allocation import risk_budgeting

    cases = []
    for N, T in sizes:
        r = _student_t(T, N, seed=5)
        ours = Contender(
            "riskkit risk_budgeting(es)",
            lambda r=r: risk_budgeting(r, risk_measure="es", level=0.95),
            lambda res: res.weights.to_numpy(),
        )
        peers = []
        try:
            from skfolio import RiskMeasure
            from skfolio.optimization import RiskBudgeting

            peers.append(
                Contender(
                    "skfolio RiskBudgeting(CVAR)",
                    lambda r=r: RiskBudgeting(risk_measure=RiskMeasure.CVAR, cvar_beta=0.95).fit(
                        r.to_numpy()
                    ),
                    lambda m: m.weights_,
                )
            )
        except ImportError:
            pass
        try:
            import riskfolio as rp

            def riskfolio_cvar(r=r):
                port = rp.Portfolio(returns=r)
                port.alpha = 0.05
                port.assets_stats(method_mu="hist", method_cov="hist")
                return port.rp_optimization(model="Classic", rm="CVaR", rf=0, b=None, hist=True)

            peers.append(
                Contender(
                    "Riskfolio-Lib rp_optimization(CVaR)", riskfolio_cvar, lambda w: w.to_numpy().ravel()
                )
            )
        except ImportError:
            pass
        cases.append(Case("allocation", f"ES risk budgeting, N={N}, T={T}", ours, peers))
    return cases


def regime_cases() -> list[Case]:
    """The three regime monitors on the bundled S&P 500 stocks (20 assets, 8313 days); no peer ships them."""
    import riskkit as rk
    from riskkit.decomposition.regimes import regimes

    r = rk.data.to_returns(rk.datasets.load("sp500_stocks"))
    return [
        Case(
            "decomposition",
            f"regime monitors, N={r.shape[1]}, T={len(r)}",
            Contender("riskkit regimes", lambda: regimes(r)),
        )
    ]


def regime_detection_section() -> str:
    """The detection table of the regime monitors on the simulator (20 seeds), with turbulence under
    its default rule (its own trailing history) and under the chi-square law: not a timing."""
    from riskkit.evaluation import regime_detection

    lines = [
        "## Regime monitors on simulated crashes",
        "",
        "`riskkit.evaluation.regime_detection(seed=range(20))`"
        " (simulate_market defaults: 6 years, 12 assets);",
        "the turbulence rows compare its alert rules (`turbulence_options={'reference': ...}`).",
        "",
        "| rule | monitor | crashes | caught within 5 | caught | median delay | false alarms / calm year |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for ref in ("history", "chi2"):
        table = regime_detection(seed=tuple(range(20)), monitors={"turbulence_options": {"reference": ref}})
        for name, row in table.iterrows():
            if ref == "chi2" and name not in ("turbulence", "any"):
                continue
            lines.append(
                f"| {ref} | {name} | {int(row.crashes)} | {row.caught_within:.1%} | {row.caught:.1%} | "
                f"{row.median_delay:.0f} | {row.false_alarms_per_calm_year:.1f} |"
            )
    return "\n".join(lines) + "\n"


def long_only_cases(sizes: list[int]) -> list[Case]:
    """Long-only minimum variance and maximum diversification on the sample covariance of
    simulated returns. Agreement: weights, against the first peer, cvxpy with OSQP at tight
    tolerances (1e-12) and its active-set polishing on the same problem (an interior-point solver
    such as Clarabel stops about 1e-6 away on these flat objectives); PyPortfolioOpt's
    ``min_volatility`` and skfolio's ``MeanRisk`` / ``MaximumDiversification`` solve it with their
    default settings."""
    from riskkit.allocation import max_diversification, min_variance

    cases = []
    for N in sizes:
        r = _returns(2 * N, N, seed=5)
        cov = r.cov()
        S = cov.to_numpy()
        sd = np.sqrt(np.diag(S))
        for problem, ours_fn in (
            ("min variance", min_variance),
            ("max diversification", max_diversification),
        ):
            ours = Contender(f"riskkit {ours_fn.__name__}", lambda cov=cov, f=ours_fn: f(cov), _np)
            peers = []
            try:
                import cvxpy as cp

                def tight(S=S, sd=sd, problem=problem):
                    # both on the correlation scale, as a well-scaled QP: x = sd * w (min variance,
                    # with sum(x / sd) = 1) or x proportional to sd * w (max diversification)
                    C = S / np.outer(sd, sd)
                    x = cp.Variable(len(sd))
                    a = 1.0 / sd if problem == "min variance" else np.ones(len(sd))
                    cons = [a @ x == 1, x >= 0]
                    cp.Problem(cp.Minimize(cp.quad_form(x, cp.psd_wrap(C))), cons).solve(
                        solver="OSQP", eps_abs=1e-12, eps_rel=1e-12, max_iter=200_000, polishing=True
                    )
                    w = np.maximum(x.value, 0.0) / sd
                    return w / w.sum()

                peers.append(Contender("cvxpy + OSQP, tol 1e-12, polished", tight, _np))
            except ImportError:
                pass
            try:
                from pypfopt import EfficientFrontier

                if problem == "min variance":

                    def pypfopt_fn(cov=cov):
                        d = EfficientFrontier(None, cov, weight_bounds=(0, 1)).min_volatility()
                        return pd.Series(d).reindex(cov.index).to_numpy()

                    label = "PyPortfolioOpt min_volatility"
                else:  # no built-in: min_volatility on the correlation matrix, then w = x / sigma

                    def pypfopt_fn(cov=cov, sd=sd):
                        corr = cov / np.outer(sd, sd)
                        d = EfficientFrontier(None, corr, weight_bounds=(0, 1)).min_volatility()
                        w = pd.Series(d).reindex(cov.index).to_numpy() / sd
                        return w / w.sum()

                    label = "PyPortfolioOpt min_volatility on the correlation"
                peers.append(Contender(label, pypfopt_fn, _np))
            except ImportError:
                pass
            try:
                from skfolio.optimization import MaximumDiversification, MeanRisk

                model = MeanRisk if problem == "min variance" else MaximumDiversification
                peers.append(
                    Contender(
                        f"skfolio {model.__name__}",
                        lambda r=r, model=model: model().fit(r.to_numpy()),
                        lambda m: m.weights_,
                    )
                )
            except ImportError:
                pass
            cases.append(Case("allocation", f"long-only {problem}, N={N}", ours, peers))
    return cases


# ----------------------------------------------------------------------------- imports


IMPORTS = {
    "riskkit": "riskkit",
    "riskkit + riskkit.shrinkage": "riskkit.shrinkage",
    "pandas": "pandas",
    "scikit-learn (sklearn.covariance)": "sklearn.covariance",
    "PyPortfolioOpt": "pypfopt",
    "skfolio": "skfolio",
    "bt": "bt",
    "Riskfolio-Lib": "riskfolio",
}


def _import_seconds(module: str) -> float | None:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return float(out.stdout) if out.returncode == 0 else None


def bench_imports(repeats: int) -> list[dict]:
    times: dict[str, list[float]] = {k: [] for k in IMPORTS}
    for _ in range(repeats):  # alternate between libraries within each repeat
        for name, module in IMPORTS.items():
            t = _import_seconds(module)
            if t is not None:
                times[name].append(t)
    base = statistics.median(times["pandas"])
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts) if ts else None
        rows.append(
            {
                "group": "import",
                "case": "import (fresh interpreter)",
                "library": name,
                "median_s": med,
                "riskkit/peer": None,
                "x floor": None,
                "max_abs_diff": None,
                "rel_diff": None,
                "note": "not installed" if med is None else f"{med - base:+.3f} s vs import pandas",
            }
        )
    return rows


# ----------------------------------------------------------------------------- explorers

# the notebooks' explorers at their notebooks' settings, the slider each move sets and its first value
# and step: every move sets a value not set before (no cached experiment is reused)
EXPLORERS = {
    "rebalancing (03, 100 paths): band": ("rebalancing_explorer", {"n_paths": 100}, "band", (0.06, 0.01)),
    "rebalancing (03, 100 paths): volatility": ("rebalancing_explorer", {"n_paths": 100}, "volatility",
                                                (0.7, 0.05)),
    "shrinkage (01, 20 assets x 20 trials): T/N": ("shrinkage_explorer", {"n_assets": 20, "n_trials": 20},
                                                   "ratio", (3.0, 0.5)),
    "risk contributions (04): correlation": ("risk_explorer", {}, "correlation", (0.4, 0.05)),
    "delta hedging (05, 200 paths): band": ("hedging_explorer", {"n_paths": 200, "days": 120, "expiry": 0.5,
                                            "proportional": 0.001}, "band", (0.11, 0.01)),
    "delta hedging (05, 200 paths): realised volatility": ("hedging_explorer", {"n_paths": 200, "days": 120,
                                                           "expiry": 0.5, "proportional": 0.001},
                                                           "realised_vol", (0.65, 0.05)),
}  # fmt: skip


def bench_explorers(repeats: int) -> list[dict]:
    """Latency of one slider move: the control's observer (``Explorer.update``: the experiment
    and the figures' new data) plus each output's formatting as a live kernel sends it (figures
    to PNG by IPython's formatter: one draw of each kept figure), with a new value each time, so
    no cached experiment is reused. Target (issue 26): <= 0.3 s. The browser's own time (the
    message to the kernel and the image's display) is recorded by tests/test_browser.py."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    from riskkit import widgets

    shell = InteractiveShell.instance()
    select_figure_formats(shell, {"png"})
    rows = []
    for case, (name, options, control, (first, step)) in EXPLORERS.items():
        explorer = getattr(widgets, name)(**options)
        times, cpu = [], []
        for k in range(repeats + 1):  # the first move warms caches other than the explorer's own
            t, c = time.perf_counter(), time.process_time()
            explorer.controls[control].value = round(first + k * step, 4)
            for obj in explorer.outputs:
                shell.display_formatter.format(obj)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            plt.close("all")
        med = statistics.median(times[1:])
        # the CPU time and the load say how much of the wall time other processes took
        target = "meets" if med <= 0.3 else "misses"
        note = (f"{target} the 0.3 s target; CPU {statistics.median(cpu[1:]):.3f} s, "
                f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
        rows.append({"group": "explorers", "case": f"slider move, {case}", "library": "riskkit",
                     "median_s": med, "riskkit/peer": None, "x floor": None, "max_abs_diff": None,
                     "rel_diff": None, "note": note})  # fmt: skip
    return rows


# ----------------------------------------------------------------------------- reading files


def write_read_files(folder: Path) -> dict[str, Path]:
    """Three price files of about 35-40 MB, as exports write them: wide (4,200 business days x
    1,000 assets), long (date, ticker, close: 5,000 days x 300 tickers) and one asset's minute
    OHLCV export (620,000 rows)."""
    rng = np.random.default_rng(0)
    files = {}
    n, m = 4200, 1000
    p = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, m)), axis=0))
    wide = pd.DataFrame(
        p, index=pd.bdate_range("2000-01-03", periods=n), columns=[f"A{i:04d}" for i in range(m)]
    )
    files["wide"] = folder / "wide.csv"
    wide.rename_axis("Date").to_csv(files["wide"], float_format="%.4f")
    n, m = 5000, 300
    p = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, m)), axis=0))
    long = pd.DataFrame(
        p, index=pd.bdate_range("2000-01-03", periods=n), columns=[f"T{i:03d}" for i in range(m)]
    )
    long = long.rename_axis(index="Date", columns="Ticker").stack().rename("Close").reset_index()
    files["long"] = folder / "long.csv"
    long.to_csv(files["long"], index=False, float_format="%.4f")
    n = 620_000
    c = 30000 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    ohlcv = pd.DataFrame(
        {
            "Date": pd.date_range("2023-01-01", periods=n, freq="min"),
            "Open": c * 1.0001,
            "High": c * 1.001,
            "Low": c * 0.999,
            "Close": c,
            "Volume": rng.integers(1, 10**6, n),
        }
    )
    files["minute OHLCV export"] = folder / "BTCUSDT.csv"
    ohlcv.to_csv(files["minute OHLCV export"], index=False, float_format="%.2f")
    return files


_PEAK = """
import sys, time, warnings
import pandas, riskkit.data
def hwm():  # this process's peak resident size (ru_maxrss would start at the parent's: kept across exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
base = hwm()
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    riskkit.data.read(sys.argv[2]) if sys.argv[1] == "riskkit" else pandas.read_csv(sys.argv[2])
print(time.perf_counter() - t, hwm() - base)
"""


def bench_read_memory(repeats: int) -> list[dict]:
    """Peak memory of reading a ~40 MB CSV, in a fresh process (Linux): the largest resident
    size (``VmHWM``) less that after ``import pandas, riskkit.data``, divided by the file's size
    (issue 24: a small multiple), for ``riskkit.data.read`` (every check, flags included) and
    for ``pandas.read_csv`` alone (parsing only) on the same file."""
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "peak.py"  # run as a script, as users run one
        script.write_text(_PEAK)
        for kind, path in write_read_files(Path(folder)).items():
            med = {lib: _read_peak(script, lib, path, repeats) for lib in ("riskkit", "pandas")}
            size = path.stat().st_size
            for lib, (seconds, peak) in med.items():
                note = f"peak {peak / 2**20:.0f} MiB above import = {peak / size:.1f}x the file"
                if lib == "riskkit":
                    note += f" (pandas.read_csv: {med['pandas'][1] / size:.1f}x)"
                case = f"read_prices 40 MB CSV: peak memory / file size ({kind}, {size / 1e6:.0f} MB)"
                rows.append(
                    {
                        "group": "reading",
                        "case": case,
                        "library": "riskkit" if lib == "riskkit" else "pandas.read_csv",
                        "median_s": seconds,
                        "riskkit/peer": seconds / med["pandas"][0] if lib == "riskkit" else None,
                        "x floor": None,
                        "max_abs_diff": None,
                        "rel_diff": None,
                        "note": note,
                    }
                )
    return rows


def _read_peak(script: Path, lib: str, path: Path, repeats: int) -> tuple[float, float]:
    """Median seconds and bytes of peak memory above the imports, over ``repeats`` fresh processes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, str(script), lib, str(path)], capture_output=True, text=True, check=True, env=env
        )
        runs.append([float(x) for x in out.stdout.split()])
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


# ----------------------------------------------------------------------------- main report


def bench_report(repeats: int) -> list[dict]:
    """`riskkit report notebooks/risk_report.ipynb` in a fresh process, wall clock:
    interpreter start, parameter checks, kernel start, execution, HTML and manifest;
    then where the time of one run goes."""
    import tempfile

    exe = Path(sys.executable).with_name("riskkit")
    cmd = [str(exe), "report", str(ROOT / "notebooks" / "risk_report.ipynb")]
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats + 1):  # the first run warms the disk cache and numba's cache
            t = time.perf_counter()
            res = subprocess.run([*cmd, "--out", out], capture_output=True, text=True, check=False, cwd=ROOT)
            times.append(time.perf_counter() - t)
            if res.returncode != 0:
                raise RuntimeError(f"the main report failed:\n{res.stderr[-3000:]}")
    med = statistics.median(times[1:])
    parts = _report_breakdown()
    rows = [_report_row("main risk report end to end (riskkit report CLI, kernel start included)", med,
                        f"{len(times) - 1} runs after a warm-up; issue 17 target <= 5 s")]  # fmt: skip
    rows += [_report_row(f"  of which {k}", v, "one run, stamped in the CLI") for k, v in parts.items()]
    return rows


def write_wide_prices(path: str | Path, n_assets: int, n_rows: int, *, seed: int = 0) -> Path:
    """A wide CSV of simulated lognormal prices, as a terminal's export looks: a ``Date``
    column of business days ending 2024-06-28, then one column per ticker (1-4 capital
    letters, a class suffix such as ``.B`` for a few), prices with 4 decimals.

    Daily log-returns are one market factor (beta 0.5-1.5, 1.1% a day) plus an
    idiosyncratic part (1-3% a day); first prices are lognormal around 40.
    """
    rng = np.random.default_rng(seed)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    tickers: dict[str, None] = {}
    while len(tickers) < n_assets:
        size = int(rng.choice([1, 2, 3, 4], p=[0.02, 0.13, 0.45, 0.40]))
        name = "".join(rng.choice(letters, size))
        tickers[name + (".B" if rng.random() < 0.01 else "")] = None
    dates = pd.bdate_range(end="2024-06-28", periods=n_rows)
    beta = rng.uniform(0.5, 1.5, n_assets)
    idio = rng.uniform(0.01, 0.03, n_assets)
    market = rng.normal(0.0003, 0.011, (n_rows, 1))
    steps = market * beta + rng.normal(0.0, 1.0, (n_rows, n_assets)) * idio
    steps[0] = 0.0
    prices = np.exp(np.log(40.0) + rng.normal(0.0, 1.0, n_assets) + np.cumsum(steps, axis=0))
    frame = pd.DataFrame(prices, index=pd.Index(dates, name="Date"), columns=list(tickers))
    path = Path(path)
    frame.to_csv(path, float_format="%.4f", date_format="%Y-%m-%d")
    return path


# assets x rows, extra parameters (issue 24 item 7): within 60 s and 8 GiB, or refused at once with advice
WIDE_CASES = [(10_000, 30, []), (10_000, 30, ["-p", "target", "inverse_volatility"]), (2_000, 1_000, [])]


def bench_wide_report() -> list[dict]:
    """The main report on a wide CSV (:func:`write_wide_prices`) of each case in ``WIDE_CASES``, once
    each (a run is long): wall clock and the peak resident memory of the CLI and its kernel
    (``getrusage(RUSAGE_CHILDREN)`` of a fresh wrapper process, so one run's peak is its own). A
    refusal (exit 2) is a row too: how soon it came, and the advice it printed (the next case
    follows it)."""
    import tempfile

    exe = str(Path(sys.executable).with_name("riskkit"))
    nb = str(ROOT / "notebooks" / "risk_report.ipynb")
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print(time.perf_counter() - t, peak, r.returncode); "
        "sys.stderr.write(r.stderr[-3000:])"
    )
    rows = []
    for n_assets, n_rows, extra in WIDE_CASES:
        with tempfile.TemporaryDirectory() as out:
            data = write_wide_prices(Path(out) / f"wide_{n_assets}x{n_rows}.csv", n_assets, n_rows)
            params = ["-p", "data", str(data), "-p", "options", "[]", "-p", "hedges", "{}"]
            params += ["-p", "margined", "[]", *extra]
            cmd = [sys.executable, "-c", wrapper, exe, "report", nb, *params, "--out", out, "--no-progress"]
            res = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
        seconds, kib, code = res.stdout.split()
        gib = int(kib) / 2**20
        verdict = "meets" if float(seconds) <= 60 and gib <= 8 and code == "0" else "misses"
        last = res.stderr.strip().splitlines()[-1][:200] if res.stderr.strip() else ""
        if code == "0":
            note = f"peak RSS {gib:.2f} GiB; {verdict} the 60 s / 8 GiB limit"
        elif code == "2":
            note = f"refused at once (exit 2), peak RSS {gib:.2f} GiB; {last.split('; ', 1)[-1]}"
        else:
            note = f"failed (exit {code}): {last}"
        said = f", {' '.join(extra[1::3])} {' '.join(extra[2::3])}" if extra else ""
        rows.append(_report_row(f"main report, {n_assets:,} assets x {n_rows:,} rows{said} (CLI, one run)",
                                float(seconds), note))  # fmt: skip
    return rows


def _report_row(case: str, seconds: float, note: str) -> dict:
    return {"group": "report", "case": case, "library": "riskkit", "median_s": seconds, "riskkit/peer": None,
            "x floor": None, "max_abs_diff": None, "rel_diff": None, "note": note}  # fmt: skip


def _report_breakdown() -> dict[str, float]:
    """Where one run of the main report goes: the CLI run as usual, with its steps
    stamped (wall clock from just before the process is started). The runner's
    imports happen while the kernel starts, so the parts below are the critical path."""
    code = """
import builtins, sys, time
stamps = {}
from riskkit.reports import _runner
html = _runner._write_html
def write_html(*a, **k):
    stamps["html begins"] = time.time(); html(*a, **k); stamps["html ends"] = time.time()
_runner._write_html = write_html
_import = builtins.__import__
def imp(name, *a, **k):
    m = _import(name, *a, **k)
    if name == "papermill" and not hasattr(m, "_timed"):
        m._timed, execute = True, m.execute_notebook
        def ex(*a, **k):
            stamps["execution begins"] = time.time()
            r = execute(*a, **k)
            stamps["execution ends"] = time.time()
            return r
        m.execute_notebook = ex
    return m
builtins.__import__ = imp
from riskkit.cli import main
code = main(sys.argv[1:])
stamps["main returns"] = time.time()
import gc, json
print(json.dumps(stamps), file=sys.stderr)
gc.freeze()
sys.exit(code)
"""
    import tempfile

    nb = str(ROOT / "notebooks" / "risk_report.ipynb")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.time()
        res = subprocess.run([sys.executable, "-c", code, "report", nb, "--out", out], capture_output=True,
                             text=True, check=True, cwd=ROOT)  # fmt: skip
        t_end = time.time()
    s = json.loads(res.stderr.strip().splitlines()[-1])
    return {
        "start: interpreter, CLI, kernel start and its warm-up imports (the runner's imports meanwhile)":
            s["execution begins"] - t0,
        "notebook execution (papermill, warm kernel)": s["execution ends"] - s["execution begins"],
        "HTML export (the kernel shut down meanwhile)": s["html ends"] - s["html begins"],
        "the rest: notebook and manifest written, report moved into place, exit": t_end - s["html ends"]
        + (s["html begins"] - s["execution ends"]),
    }  # fmt: skip


def bench_grid(members: int) -> list[dict]:
    """A grid of ``members`` main reports (policy bands x costs x alert thresholds)
    with the CLI on this machine, wall clock; then three members compared with
    fresh single runs of the same parameters, output by output, exactly."""
    import itertools
    import tempfile

    import yaml

    from riskkit.reports import compare_notebooks

    bands = [0.01, 0.02, 0.03, 0.05, 0.1]
    costs = [0.0, 0.0005, 0.001, 0.0025, 0.005]  # proportional, a fraction of notional
    alerts = [0.1, 0.15, 0.2, 0.3]
    runs = [
        {"band": b, "proportional": c, "alert_share": a}
        for b, c, a in itertools.product(bands, costs, alerts)
    ]
    runs = runs[:members]
    exe = str(Path(sys.executable).with_name("riskkit"))
    nb = str(ROOT / "notebooks" / "risk_report.ipynb")
    with tempfile.TemporaryDirectory() as out:
        grid = Path(out) / "grid.yaml"
        grid.write_text(yaml.safe_dump({"runs": runs}))
        t = time.perf_counter()
        cmd = [exe, "report", nb, "--grid", str(grid), "--out", out, "--quiet"]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
        seconds = time.perf_counter() - t
        if res.returncode != 0:
            raise RuntimeError(f"the grid failed:\n{res.stderr[-3000:]}")
        width = max(3, len(str(len(runs))))
        same = 0
        for i in (1, len(runs) // 2, len(runs)):
            member = f"risk_report-{i:0{width}d}"
            params = [x for k, v in runs[i - 1].items() for x in ("-p", k, str(v))]
            cmd = [exe, "report", nb, *params, "--out", f"{out}/fresh", "--name", member]
            subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
            a = Path(out) / "risk_report-grid" / member / f"{member}.ipynb"
            *_, diffs = compare_notebooks(a, Path(out) / "fresh" / member / f"{member}.ipynb", rtol=1e-300)
            same += not diffs
    note = f"2 workers; {same} of 3 members checked identical to a fresh run, output by output"
    return [
        _report_row(f"grid of {len(runs)} main reports (CLI, --quiet)", seconds, note + "; target <= 180 s")
    ]


# ----------------------------------------------------------------------------- report


def _machine() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        blas = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # informational only
        blas = "?"
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, BLAS {blas}"


def _versions() -> str:
    names = ["riskkit", "numpy", "pandas", "scikit-learn", "PyPortfolioOpt", "skfolio", "bt", "Riskfolio-Lib"]
    out = []
    for n in names:
        try:
            out.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            out.append(f"{n} (not installed)")
    return ", ".join(out)


def _fmt(v, spec: str) -> str:
    return "" if v is None else format(v, spec)


def render(rows: list[dict], header: list[str]) -> str:
    lines = [*header, ""]
    for group in dict.fromkeys(r["group"] for r in rows):
        lines += [
            f"## {group}",
            "",
            "| case | library | median (s) | riskkit / peer | × floor | max abs diff | rel diff | note |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in (r for r in rows if r["group"] == group):
            cells = [
                r["case"],
                r["library"],
                _fmt(r["median_s"], ".4f"),
                _fmt(r["riskkit/peer"], ".3f"),
                _fmt(r["x floor"], ".2f"),
                _fmt(r["max_abs_diff"], ".1e"),
                _fmt(r["rel_diff"], ".1e"),
                r["note"],
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats, for development")
    parser.add_argument("--only", default="", help="run only cases whose name contains this text")
    parser.add_argument(
        "--out",
        default=None,
        help="file for the table (default reports/benchmarks.md; with --only, printed only unless --out)",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed repeats per contender (default 7, quick 3)"
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    sizes = [(1000, 50), (2520, 500)] if args.quick else [(1000, 50), (2520, 500), (5000, 2000)]
    cases = (
        shrinkage_cases(sizes)
        + rolling_cases(*((756, 100) if args.quick else (2520, 500)))
        + decomposition_cases(100 if args.quick else 500)
        + backtest_cases()
        + erc_cases([20, 100] if args.quick else [20, 100, 500, 1000])
        + long_only_cases([100] if args.quick else [200, 500])
        + hedging_cases(10_000, 100)
        + es_budget_cases([(50, 2000)] if args.quick else [(50, 2000), (200, 5000)])
        + regime_cases()
    )
    rows: list[dict] = []
    for case in cases:
        if args.only and args.only not in case.name:
            continue
        print(f"... {case.name}", file=sys.stderr, flush=True)
        rows += run_case(case, repeats)
    if not args.only or "report" in args.only:
        print("... main risk report", file=sys.stderr, flush=True)
        rows += bench_report(1 if args.quick else 3)
    if not args.only or "wide" in args.only:
        print("... main report on wide universes", file=sys.stderr, flush=True)
        rows += bench_wide_report()
    if not args.only or "grid" in args.only:
        print("... grid of main reports", file=sys.stderr, flush=True)
        rows += bench_grid(10 if args.quick else 100)
    if not args.only or "explorer" in args.only:
        print("... explorers' slider moves", file=sys.stderr, flush=True)
        rows += bench_explorers(repeats)
    if not args.only or "read_prices" in args.only:
        print("... reading 40 MB price files: peak memory", file=sys.stderr, flush=True)
        rows += bench_read_memory(1 if args.quick else 3)
    if not args.only or "import" in args.only:
        rows += bench_imports(repeats)
    header = [
        "# riskkit benchmarks",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {_machine()}",
        f"- versions: {_versions()}",
        f"- command: `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{f' --only {args.only!r}' if args.only else ''}`"
        f" (one warm-up, then {repeats} alternating timed repeats; median)",
        "- data: `riskkit.simulation.simulate_market`"
        " (business-day calendar, Student-t, GARCH, crash regime)",
        "- every timed call, the floor's included, is made once per round after reading a 64 MiB buffer",
        "  (evicts L1/L2; an L3 of hundreds of MiB keeps the data), so all are timed alike",
        "- riskkit / peer below 1 means riskkit is faster; × floor is time / numpy `Xc.T @ Xc`",
        "  on the same data; rel diff is the largest absolute difference divided by the largest",
        "  absolute entry of riskkit's output.",
    ]
    text = render(rows, header)
    if not args.only or "regime" in args.only:
        print("... regime detection on the simulator", file=sys.stderr, flush=True)
        text += "\n" + regime_detection_section()
    print(text)
    out = args.out or (None if args.only else str(ROOT / "reports" / "benchmarks.md"))
    if out:  # a partial run never replaces the committed table by itself
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
