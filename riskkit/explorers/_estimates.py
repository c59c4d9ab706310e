"""The shrinkage and risk-contribution explorers' experiments (see :mod:`riskkit.explorers`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit._core.matrices import cov_to_corr
from riskkit._core.result import Result
from riskkit._core.validation import check_choice, check_int, check_real, format_items
from riskkit.exceptions import InvalidParameterError
from riskkit.explorers._common import _describe, _spawn


@dataclass(frozen=True, eq=False, repr=False)
class ShrinkageTrials(Result):
    """Sample against shrunk covariance on simulated markets with a known truth.

    Attributes
    ----------
    trials : DataFrame of shape (n_trials, 4)
        Per market: the estimated ``intensity``, the Frobenius losses
        :math:`\\lVert\\hat\\Sigma - \\Sigma\\rVert_F / \\lVert\\Sigma\\rVert_F` of the
        sample (``loss_sample``) and shrunk (``loss_shrunk``) covariances, and
        ``improvement`` (% loss reduction).
    eigenvalues : DataFrame of shape (n_assets, 3)
        Eigenvalues of the true, sample and shrunk *correlation* matrices, largest
        first, averaged over trials (each column sums to the number of assets).
    parameters : dict
    """

    trials: pd.DataFrame
    eigenvalues: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return _describe(self.trials)

    def reductions(self) -> pd.Series:
        """Three readings of "how much shrinkage helps", which differ when a few markets
        give a very bad sample matrix: the mean of the per-trial reductions, the
        reduction of the mean loss (a ratio of means: the explorer's readout, with the
        median per trial and the trials lost) and the median per trial; with the mean
        intensity, the mean losses and the number of trials where shrinkage loses
        (fractions, not %)."""
        t = self.trials
        return pd.Series(
            {
                "intensity (mean)": t["intensity"].mean(),
                "mean loss, sample": t["loss_sample"].mean(),
                "mean loss, shrunk": t["loss_shrunk"].mean(),
                "mean of per-trial reductions": t["improvement"].mean() / 100,
                "reduction of the mean loss": 1 - t["loss_shrunk"].mean() / t["loss_sample"].mean(),
                "median reduction per trial": t["improvement"].median() / 100,
                "trials where shrinkage loses": float((t["improvement"] < 0).sum()),
                "trials": float(len(t)),
            }
        )


def reduction_table(trials: dict, /) -> pd.DataFrame:
    """:meth:`ShrinkageTrials.reductions` of several runs side by side (label -> trials),
    written as people read them: losses and reductions in %, the intensity to 2
    decimals, counts whole."""
    from riskkit._core import formats

    rows = {}
    for label, t in trials.items():
        r = t.reductions()
        rows[label] = {
            k: (
                formats.fixed(v, 2)
                if k.startswith("intensity")
                else formats.integer(v)
                if k.startswith("trials")
                else formats.percent(v)
            )
            for k, v in r.items()
        }
    return pd.DataFrame(rows).T


def _corr_eigenvalues(cov: np.ndarray) -> np.ndarray:
    return np.sort(np.linalg.eigvalsh(cov_to_corr(cov)))[::-1]


def shrinkage_trials(
    *,
    n_assets: int = 20,
    ratio: float = 2.0,
    market_loading: float = 0.6,
    group_loading: float = 0.3,
    target: str = "identity",
    n_trials: int = 20,
    seed: int = 0,
) -> ShrinkageTrials:
    """Ledoit-Wolf shrinkage against the sample covariance on ``n_trials`` simulated
    markets of ``n_assets`` assets and ``ratio * n_assets`` observations.

    The true structure is a market factor with loading ``market_loading`` and four
    sector factors with ``group_loading`` (pairwise correlation
    :math:`m^2` across sectors, :math:`m^2 + g^2` within; 0 and 0 make the assets
    independent), annual volatilities drawn from 40-120%, Student-t(5) shocks and no
    crashes (:func:`riskkit.simulation.simulate_market`). Each market is estimated
    with :func:`riskkit.shrinkage.shrink` (``method="sample"`` and
    ``method="ledoit_wolf"`` with ``target``) and scored by
    :func:`riskkit.evaluation.frobenius_loss` against its true covariance.
    """
    from riskkit.evaluation import frobenius_loss
    from riskkit.shrinkage import shrink
    from riskkit.simulation import simulate_market

    n = check_int("n_assets", n_assets, minimum=2)
    ratio = check_real("ratio", ratio, low=0.0, low_open=True)
    m = check_real("market_loading", market_loading, low=0.0, high=1.0, high_open=True)
    g = check_real("group_loading", group_loading, low=0.0, high=1.0, high_open=True)
    check_choice("target", target, ("identity", "constant_correlation", "single_index"))
    n_trials = check_int("n_trials", n_trials, minimum=2)
    t_len = max(round(ratio * n), 2)
    rows, eig = [], np.zeros((n, 3))
    for rng in _spawn(seed, n_trials):
        sim = simulate_market(
            n_assets=n,
            n_periods=t_len,
            seed=rng,
            market_loading=(m, m),
            group_loading=(g, g),
            crash_probability=0.0,
            garch=(0.0, 0.0),
        )
        truth = sim.true_covariance
        sample = shrink(sim.returns, method="sample")
        shrunk = shrink(sim.returns, method="ledoit_wolf", target=target)
        ls, lh = frobenius_loss(sample.covariance, truth)[1], frobenius_loss(shrunk.covariance, truth)[1]
        rows.append(
            {
                "intensity": shrunk.intensity,
                "loss_sample": ls,
                "loss_shrunk": lh,
                "improvement": 100.0 * (1.0 - lh / ls),
            }
        )
        for j, c in enumerate((truth, sample.covariance, shrunk.covariance)):
            eig[:, j] += _corr_eigenvalues(c.to_numpy())
    trials = pd.DataFrame(rows, index=pd.RangeIndex(1, n_trials + 1, name="trial"))
    eigenvalues = pd.DataFrame(
        eig / n_trials, index=pd.RangeIndex(1, n + 1, name="rank"), columns=["truth", "sample", "shrunk"]
    )
    params = {
        "n_assets": n,
        "ratio": ratio,
        "observations": t_len,
        "market_loading": m,
        "group_loading": g,
        "target": target,
        "n_trials": n_trials,
        "seed": seed,
    }
    return ShrinkageTrials(trials, eigenvalues, params)


@dataclass(frozen=True, eq=False, repr=False)
class RiskShares(Result):
    """Risk contributions of a small portfolio and its equal-risk-contribution weights.

    Attributes
    ----------
    contributions : DataFrame
        :func:`riskkit.decomposition.risk_contributions` (annual volatilities) with an
        ``erc_weight`` column.
    volatility : float
        Annual portfolio volatility.
    effective_bets : float
        Effective number of bets (principal portfolios), between 1 and the number
        of assets.
    effective_assets : float
        Inverse Herfindahl index of the risk shares.
    covariance : DataFrame
    """

    contributions: pd.DataFrame
    volatility: float
    effective_bets: float
    effective_assets: float
    covariance: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "value": [
                    self.volatility,
                    self.effective_bets,
                    self.effective_assets,
                    float(self.contributions["percent"].max()),
                ]
            },
            index=pd.Index(["volatility", "effective_bets", "effective_assets", "largest_risk_share"]),
        )

    def _display_table(self) -> pd.DataFrame:
        return self.contributions


def risk_shares(
    weights: pd.Series | dict,
    volatilities: pd.Series | dict,
    /,
    *,
    correlation: float = 0.3,
) -> RiskShares:
    """Risk shares, effective number of bets and ERC weights for ``weights`` on assets
    of annual ``volatilities`` with one common pairwise ``correlation``.

    ``correlation`` must lie in :math:`(-1/(N-1), 1)` so the covariance is positive
    definite. Uses :func:`riskkit.decomposition.risk_contributions`,
    :func:`riskkit.decomposition.effective_number_of_bets` (``method="pca"``) and
    :func:`riskkit.allocation.risk_budgeting`.

    Examples
    --------
    >>> from riskkit.explorers import risk_shares
    >>> r = risk_shares({"a": 0.5, "b": 0.5}, {"a": 0.2, "b": 0.1}, correlation=0.0)
    >>> r.contributions["percent"].round(2).tolist()
    [0.8, 0.2]
    """
    from riskkit._core.validation import check_same_assets, check_weights
    from riskkit.allocation import risk_budgeting
    from riskkit.decomposition import effective_number_of_bets, risk_contributions

    w = check_weights("weights", weights, shares=True)
    vol = check_weights("volatilities", volatilities)
    check_same_assets("weights", w.index, "volatilities", vol.index)
    bad = vol.index[~(vol.to_numpy(dtype=float) > 0)]
    if len(bad):
        raise InvalidParameterError(
            f"volatilities must be positive (annual, 0.5 = 50%); not for {format_items(bad)}."
        )
    n = len(vol)
    rho = check_real(
        "correlation",
        correlation,
        low=-1.0 / (n - 1) if n > 1 else -1.0,
        high=1.0,
        low_open=True,
        high_open=True,
    )
    corr = np.full((n, n), rho)
    np.fill_diagonal(corr, 1.0)
    v = vol.to_numpy(dtype=float)
    cov = pd.DataFrame(corr * np.outer(v, v), index=vol.index, columns=vol.index)
    rc = risk_contributions(w.reindex(vol.index), cov, periods_per_year=1)  # volatilities are annual already
    table = rc.assets.assign(erc_weight=risk_budgeting(cov))
    shares = table["percent"].to_numpy()
    return RiskShares(
        contributions=table,
        volatility=rc.volatility,
        effective_bets=effective_number_of_bets(w.reindex(vol.index), cov, method="pca").effective_bets,
        effective_assets=float(1.0 / np.sum(shares**2)),
        covariance=cov,
    )
