"""How good is a covariance estimate? Against a known truth, and out of sample.

May import: riskkit._core, riskkit.exceptions, riskkit.data, riskkit.shrinkage,
riskkit.decomposition, riskkit.allocation, riskkit.rebalancing, riskkit.simulation.

Contents
--------
frobenius_loss          ||estimate - truth||_F, absolute and relative to ||truth||_F
estimation_experiment   simulated markets with a known truth: loss of each method as T/N varies
min_variance_backtest   out-of-sample volatility of minimum-variance portfolios built from
                        each estimator on moving windows
rebalancing_experiment  the rebalancing premium over buy-and-hold as volatility, correlation
                        or trend varies, on simulated markets
regime_detection        the regime monitors on simulated markets whose crash regimes are known:
                        detection delay, share caught within a few periods, false alarms per calm year

These are the experiments that show why shrinkage works: where the sample
covariance has too few observations per parameter, a shrunk estimate is
closer to the truth and its minimum-variance portfolio is less risky out of
sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from riskkit._core.validation import check_int, format_items
from riskkit._core.vocabulary import renamed
from riskkit.exceptions import InvalidParameterError

__all__ = [
    "estimation_experiment",
    "frobenius_loss",
    "min_variance_backtest",
    "rebalancing_experiment",
    "regime_detection",
]


def frobenius_loss(
    estimate: pd.DataFrame | np.ndarray, truth: pd.DataFrame | np.ndarray, /
) -> tuple[float, float]:
    """:math:`\\lVert \\hat\\Sigma - \\Sigma \\rVert_F`, and the same divided by
    :math:`\\lVert \\Sigma \\rVert_F`."""
    a, b = np.asarray(estimate, dtype=float), np.asarray(truth, dtype=float)
    if a.shape != b.shape:
        raise InvalidParameterError(f"estimate has shape {a.shape} but truth has shape {b.shape}.")
    if isinstance(estimate, pd.DataFrame) and isinstance(truth, pd.DataFrame):
        if not (estimate.index.equals(truth.index) and estimate.columns.equals(truth.columns)):
            raise InvalidParameterError(
                "estimate and truth must carry the same asset labels in the same order."
            )
    loss = float(np.linalg.norm(a - b))
    return loss, loss / float(np.linalg.norm(b))


@renamed(seeds="seed")
def estimation_experiment(
    *,
    methods: Mapping[str, Mapping] | Sequence[str],
    n_assets: int = 50,
    ratios: Sequence[float] = (0.5, 1, 2, 5, 10),
    seed: int | np.random.Generator | Sequence[int] = (0, 1, 2),
    market: Mapping | None = None,
) -> pd.DataFrame:
    """Frobenius loss of each estimator on simulated markets with a known truth.

    For each ratio T/N and each seed, :func:`riskkit.simulation.simulate_market`
    draws ``T = ratio * n_assets`` returns; each method estimates the
    covariance; the loss is measured against the simulator's true covariance.

    Parameters
    ----------
    methods : sequence of method names, or mapping of label -> keyword arguments of
        :func:`riskkit.shrinkage.shrink` (for example
        ``{"LW constant corr.": {"method": "ledoit_wolf", "target": "constant_correlation"}}``).
        ``"sample"`` is always included, as the reference.
    n_assets : int
    ratios : sequence of float
        Observations per asset.
    seed : int, Generator or sequence of int, default=(0, 1, 2)
        The markets: one per int of a sequence (formerly ``seeds=``), or one market
        from an int or a Generator.
    market : mapping, optional
        Extra keyword arguments of ``simulate_market``.

    Returns
    -------
    DataFrame
        One row per ratio and method: ``T``, mean ``loss``, mean ``relative_loss``
        and ``improvement`` (percentage reduction of the loss against the sample
        covariance, averaged over seeds; positive is better).
    """
    from riskkit.shrinkage import shrink
    from riskkit.simulation import simulate_market

    n_assets = check_int("n_assets", n_assets, minimum=2)
    specs = {m: {"method": m} for m in methods} if not isinstance(methods, Mapping) else dict(methods)
    specs = {"sample": {"method": "sample"}, **{k: v for k, v in specs.items() if k != "sample"}}
    rows = []
    seeds = _seeds(seed)
    for ratio in ratios:
        T = max(round(ratio * n_assets), 2)
        for k, s in enumerate(seeds):
            sim = simulate_market(n_assets=n_assets, n_periods=T, seed=s, **dict(market or {}))
            truth = sim.true_covariance.to_numpy()
            base = None
            for label, kw in specs.items():
                if kw.get("method") == "nonlinear" and T - 1 < 12:
                    continue
                est = shrink(sim.returns, **kw).covariance.to_numpy()
                loss, rel = frobenius_loss(est, truth)
                base = loss if label == "sample" else base
                rows.append(
                    {
                        "T/N": ratio,
                        "T": T,
                        "seed": k if isinstance(s, np.random.Generator) else s,
                        "method": label,
                        "loss": loss,
                        "relative_loss": rel,
                        "improvement": 100.0 * (1.0 - loss / base),
                    }
                )
    table = pd.DataFrame(rows)
    out = table.groupby(["T/N", "method"], sort=False)[["T", "loss", "relative_loss", "improvement"]].mean()
    return out.reset_index()


def min_variance_backtest(
    returns: pd.DataFrame,
    /,
    *,
    methods: Mapping[str, Mapping] | Sequence[str],
    window: int,
    step: int,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Out-of-sample risk of fully invested minimum-variance portfolios.

    Every ``step`` observations, each estimator is fitted on the previous
    ``window`` returns (:func:`riskkit.shrinkage.rolling_shrink`); the
    unconstrained minimum-variance weights
    :math:`w = \\Sigma^{-1} \\mathbf{1} / \\mathbf{1}^\\top \\Sigma^{-1} \\mathbf{1}`
    are held for the next ``step`` returns (weights fixed over the holding
    period; no costs). A better covariance estimate gives a lower realised
    volatility.

    Returns
    -------
    DataFrame
        Per method: realised volatility (annualised with ``periods_per_year``,
        resolved by :func:`riskkit.data.calendar.resolve_periods_per_year`: per
        period when ``returns`` carry no dates), its ratio to the sample
        covariance's, average gross leverage (sum of absolute weights), the
        number of rebalances and ``units`` ("annual" or "per period").
    """
    from riskkit.allocation import _min_variance_free
    from riskkit.data.calendar import annualise, resolve_periods_per_year, units
    from riskkit.shrinkage import rolling_shrink

    specs = {m: {"method": m} for m in methods} if not isinstance(methods, Mapping) else dict(methods)
    specs = {"sample": {"method": "sample"}, **{k: v for k, v in specs.items() if k != "sample"}}
    window = check_int("window", window, minimum=2)
    step = check_int("step", step, minimum=1)
    if window + step > len(returns):
        raise InvalidParameterError(
            f"window + step = {window + step} exceeds the {len(returns)} observations of returns."
        )
    ppy = resolve_periods_per_year(returns, periods_per_year)
    R = returns.to_numpy(dtype=float)
    rows = []
    for label, kw in specs.items():
        unknown = set(kw) - {"method", "target", "intensity", "market", "ddof", "detone", "assume_centered"}
        if unknown:
            raise InvalidParameterError(
                f"methods[{label!r}] has options rolling_shrink does not take: "
                f"{format_items(sorted(unknown))}."
            )
        roll = rolling_shrink(returns.iloc[: len(returns) - 1], window=window, step=step, **kw)
        realised, leverage = [], []
        for k, date in enumerate(roll.dates):
            start = returns.index.get_loc(date) + 1
            hold = R[start : start + step]
            if len(hold) == 0:
                break
            w = _min_variance_free(roll.covariances[k])
            realised.append(hold @ w)
            leverage.append(np.abs(w).sum())
        path = np.concatenate(realised)
        rows.append(
            {
                "method": label,
                "volatility": float(annualise(np.std(path, ddof=1), ppy, power=0.5)),
                "mean_gross_leverage": float(np.mean(leverage)),
                "rebalances": len(leverage),
            }
        )
    out = pd.DataFrame(rows).set_index("method")
    out.insert(1, "vs_sample", out["volatility"] / out.loc["sample", "volatility"])
    out["units"] = units(ppy)
    return out


@renamed(trend="dispersion", seeds="seed")
def rebalancing_experiment(
    *,
    vary: str,
    values: Sequence[float],
    n_assets: int = 4,
    years: int = 5,
    seed: int | np.random.Generator | Sequence[int] = tuple(range(20)),
    volatility: float = 0.8,
    correlation: float = 0.3,
    dispersion: float = 0.0,
    policy=None,
) -> pd.DataFrame:
    """When does rebalancing help? Premium over buy-and-hold on simulated markets.

    Equal-weight portfolios of ``n_assets`` simulated assets
    (:func:`riskkit.simulation.simulate_simple_market`: 7-day calendar, no crashes
    or volatility clustering, so the effect is clean) are rebalanced by ``policy``
    (monthly by default) or held. One of ``"volatility"`` (annual, every asset),
    ``"correlation"`` (pairwise) or ``"dispersion"`` (the spread of annual drifts
    across assets, from ``-dispersion/2`` to ``+dispersion/2``; formerly
    ``"trend"``) takes each of ``values``; the others stay at their defaults.
    ``seed``: the markets, one per int of a sequence (formerly ``seeds=``), or one
    market from an int or a Generator.

    Returns
    -------
    DataFrame
        Per value: the mean and standard deviation over seeds of the annual
        log-growth premium of the policy over buy-and-hold, and the share of seeds
        where the policy won.
    """
    from riskkit.rebalancing import Calendar, Config, Never, backtest
    from riskkit.simulation import simulate_simple_market

    if vary == "trend":
        _warn_trend()
        vary = "dispersion"
    if vary not in ("volatility", "correlation", "dispersion"):
        raise InvalidParameterError(
            f"vary={vary!r} is not a valid choice; expected one of 'volatility', 'correlation', 'dispersion'."
        )
    policy = policy or Calendar("M")
    n_assets = check_int("n_assets", n_assets, minimum=2)
    seeds = _seeds(seed)
    rows = []
    for value in values:
        params = {"volatility": volatility, "correlation": correlation, "dispersion": dispersion}
        params[vary] = float(value)
        premiums = []
        for s in seeds:
            sim = simulate_simple_market(n_assets=n_assets, n_periods=365 * years, seed=s, **params)
            w = pd.Series(1.0 / n_assets, index=sim.prices.columns)
            res = backtest(sim.prices, w, [Config("policy", policy), Config("hold", Never())])
            growth = np.log(res.values.iloc[-1] / res.values.iloc[0]) / years
            premiums.append(float(growth["policy"] - growth["hold"]))
        p = np.array(premiums)
        rows.append(
            {
                vary: value,
                "premium_mean": p.mean(),
                "premium_std": p.std(ddof=1) if len(p) > 1 else np.nan,
                "share_won": float((p > 0).mean()),
            }
        )
    return pd.DataFrame(rows).set_index(vary)


def _warn_trend() -> None:
    from riskkit._core.vocabulary import REMOVED_IN, warn_renamed

    warn_renamed(
        f"rebalancing_experiment(vary='trend') is now vary='dispersion'; 'trend' will be removed in "
        f"riskkit {REMOVED_IN}."
    )


def regime_detection(
    *,
    seed: int | Sequence[int] = tuple(range(20)),
    market: Mapping | None = None,
    monitors: Mapping | None = None,
    within: int = 5,
    grace: int = 30,
) -> pd.DataFrame:
    """The regime monitors of :func:`riskkit.decomposition.regimes.regimes` on simulated markets.

    For each seed, :func:`riskkit.simulation.simulate_market` (``market``: its keyword arguments;
    its defaults otherwise) gives returns and the true regime of every period. A crash regime is a
    run of crash periods; it counts once every monitor can raise an alert (has a reading and a
    threshold), and it is caught when an alert is on at some period from its start to its end.
    Per monitor (and ``any``):

    * ``crashes``: crash regimes counted over all seeds;
    * ``caught_within``: share caught within ``within`` periods of the start (delay <= within);
    * ``caught``: share caught at all before the regime ends;
    * ``median_delay``: median periods from a caught regime's start to its first alert (0: the day
      it starts);
    * ``false_alarms_per_calm_year``: alerts switching on in calm periods, more than ``grace``
      periods after a crash ends (the monitors' windows still hold the crash), per year of such
      calm periods.

    ``monitors`` passes keyword arguments to :func:`~riskkit.decomposition.regimes.regimes`.
    """
    from riskkit._core.validation import check_int
    from riskkit.data.calendar import resolve_periods_per_year
    from riskkit.decomposition.regimes import regimes
    from riskkit.simulation import simulate_market

    within = check_int("within", within, minimum=0)
    grace = check_int("grace", grace, minimum=0)
    delays: dict[str, list[float]] = {}
    calm_years, onsets = 0.0, {}
    for s in _seeds(seed):
        sim = simulate_market(seed=s, **dict(market or {}))
        mon = regimes(sim.returns, **dict(monitors or {}))
        crash = (sim.regimes == "crash").to_numpy()
        ready = int(max(np.argmax(_armed(m.table, m.reading)) for m in mon.monitors.values()))
        ppy = resolve_periods_per_year(sim.returns, None)
        calm = _calm_after(crash, grace)
        calm[:ready] = False
        calm_years += calm.sum() / ppy
        starts, ends = _runs(crash)
        for name in mon.alerts.columns:
            a = mon.alerts[name].to_numpy()
            on = a & ~np.concatenate([[False], a[:-1]])
            onsets[name] = onsets.get(name, 0) + int((on & calm).sum())
            for b, e in zip(starts, ends, strict=True):
                if b < ready:
                    continue
                hit = np.flatnonzero(a[b:e])
                delays.setdefault(name, []).append(float(hit[0]) if len(hit) else np.inf)
    rows = {}
    for name, d in delays.items():
        d = np.array(d)
        caught = d[np.isfinite(d)]
        rows[name] = {
            "crashes": len(d),
            "caught_within": float(np.mean(d <= within)),
            "caught": float(np.mean(np.isfinite(d))),
            "median_delay": float(np.median(caught)) if len(caught) else float("nan"),
            "false_alarms_per_calm_year": onsets[name] / calm_years if calm_years else float("nan"),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "monitor"
    return out


def _armed(table: pd.DataFrame, reading: str) -> np.ndarray:
    """Dates where a monitor has both a reading and a threshold (it can raise an alert)."""
    return (table[reading].notna() & table["threshold"].notna()).to_numpy()


def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (exclusive) of the runs of True in ``flags``."""
    edges = np.diff(np.concatenate([[0], flags.astype(int), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _calm_after(crash: np.ndarray, grace: int) -> np.ndarray:
    """Calm periods more than ``grace`` periods after the end of any crash."""
    calm = ~crash
    for end in _runs(crash)[1]:
        calm[end : end + grace] = False
    return calm


def _seeds(seed) -> list:
    """``seed`` as the runs' seeds: an int or a Generator is one run; a sequence of ints
    is one run each (the vocabulary's ``seed``)."""
    if isinstance(seed, np.random.Generator):
        return [seed]
    if isinstance(seed, int | np.integer):
        return [check_int("seed", seed, minimum=0)]
    seeds = list(seed)
    if not seeds:
        raise InvalidParameterError("seed is an empty sequence; give at least one int.")
    return [check_int(f"seed[{k}]", s, minimum=0) for k, s in enumerate(seeds)]
