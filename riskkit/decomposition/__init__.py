"""Where the risk comes from: by asset, group, correlated cluster and factor.

May import: riskkit._core, riskkit.exceptions, riskkit.data, riskkit.shrinkage.

Inside: ``tail`` (public: VaR and expected shortfall with contributions), ``stress``
(public: scenario, correlation and worst-window stress), ``factors`` (public: factor
exposures and the factor split of risk), ``regimes`` (public: absorption ratio, turbulence and
average correlation monitors with their alerts).

Contents
--------
risk_contributions      volatility and its marginal, component (Euler) and percent split by asset
group_contributions     the same summed by group (sector, chain, asset class, cluster)
correlation_clusters    groups found by hierarchical clustering of a correlation matrix
effective_number_of_bets  Meucci's diversification distribution and its entropy (PCA or minimum torsion)
concentration           Herfindahl indices, effective bets, diversification ratio, largest share
decompose               all of the above, tail risk, stress and factors in one call -> RiskDecomposition
rolling_decompose       volatility and contributions over time
verdict                 a plain-language reading of a decomposition
top_assets              the labels of the largest values (shares of risk): what a figure of many assets shows
ALERT_SHARE, GROUP_ALERT_SHARE
                        the concentration alerts' defaults (25% of the risk in an asset, 40% in a group)
DENSE_ASSETS            above this many assets, :func:`decompose` clusters only the largest shares of risk
                        and leaves the effective bets out (each is N x N or N^3 work)
REST                    the name of the group of the assets left out of the clustering

Euler: with :math:`\\sigma(w) = \\sqrt{w^\\top \\Sigma w}`, the marginal contribution
is :math:`\\partial\\sigma/\\partial w_i = (\\Sigma w)_i / \\sigma`, the component
:math:`w_i (\\Sigma w)_i / \\sigma` (components sum to :math:`\\sigma`), the percent
contribution component / :math:`\\sigma` (sums to 1). Annualised with
``periods_per_year`` (volatilities times :math:`\\sqrt{\\text{ppy}}`).

Wide universes: the contributions need :math:`\\Sigma w` only (one pass over the covariance), the
correlation stress blends :math:`\\Sigma w` and :math:`\\sigma (\\sigma^\\top w)` without forming a
blended matrix, so :func:`decompose` holds one N x N matrix (the covariance) beyond its input.
Hierarchical clustering (a condensed distance matrix, quadratic time) and the effective bets (an
eigen-decomposition, cubic time) are bounded by ``dense_assets`` (:data:`DENSE_ASSETS`).

See also :mod:`riskkit.decomposition.tail` (VaR, ES), :mod:`riskkit.decomposition.stress` and
:mod:`riskkit.decomposition.factors`, :mod:`riskkit.decomposition.regimes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.formats import span
from riskkit._core.matrices import correlation_distance, cov_to_corr, euler_contributions
from riskkit._core.result import Result
from riskkit._core.validation import (
    check_choice,
    check_covariance,
    check_groups,
    check_int,
    check_real,
    check_same_assets,
    check_weights,
    count,
    format_items,
    returns_matrix,
)
from riskkit._core.vocabulary import renamed
from riskkit.data.calendar import annualise, resolve_periods_per_year, units
from riskkit.exceptions import InvalidParameterError, SingularCovarianceError

__all__ = [
    "ALERT_SHARE",
    "DENSE_ASSETS",
    "GROUP_ALERT_SHARE",
    "REST",
    "EffectiveBets",
    "RiskContributions",
    "RiskDecomposition",
    "alert_rule",
    "concentration",
    "correlation_clusters",
    "decompose",
    "effective_number_of_bets",
    "group_contributions",
    "risk_contributions",
    "rolling_decompose",
    "top_assets",
    "verdict",
]


ALERT_SHARE = 0.25
"""Default ``alert_share``: an asset carrying more than 25% of the risk is alerted."""

GROUP_ALERT_SHARE = 0.4
"""Default ``group_alert_share``: a group of two or more assets (and fewer than all) carrying
more than 40% of the risk is alerted; the notebooks' parameters use the same value (tested)."""

DENSE_ASSETS = 2000
"""Default ``dense_assets`` of :func:`decompose`: with more assets than this, only the 2,000
largest shares of risk are clustered (the others form the group :data:`REST`, never alerted) and
the effective number of bets is not computed (NaN, said in ``concentration["enb_note"]``): its
eigen-decomposition of 10,000 assets takes minutes. Clustering 2,000 assets takes about 1 s."""

REST = "rest (not clustered)"
"""The group of the assets :func:`decompose` leaves out of its clustering (see :data:`DENSE_ASSETS`)."""


def top_assets(values: pd.Series, /, *, n: int = 30) -> pd.Index:
    """The labels of the ``n`` largest absolute values, largest first; ties keep the Series' order.

    The rule a report uses to show many assets: the bars and tables of a decomposition show
    ``top_assets(risk.assets["percent"])``, the 30 largest shares of risk (a short position's
    negative share counts by its size). All labels when there are ``n`` or fewer.

    Examples
    --------
    >>> import pandas as pd
    >>> top_assets(pd.Series({"a": 0.1, "b": -0.5, "c": 0.3, "d": 0.1}), n=3).tolist()
    ['b', 'c', 'a']
    """
    n = check_int("n", n, minimum=1)
    if not isinstance(values, pd.Series):
        raise InvalidParameterError(
            f"top_assets takes a Series of values by asset; got {type(values).__name__}."
        )
    v = np.abs(values.to_numpy(dtype=float))
    if np.isnan(v).any():
        raise InvalidParameterError(
            f"top_assets: the values of {format_items(values.index[np.isnan(v)])} are missing; "
            "rank real values."
        )
    order = np.argsort(-v, kind="stable")[:n]
    return values.index[order]


@dataclass(frozen=True, eq=False, repr=False)
class RiskContributions(Result):
    """Volatility contributions by asset (Euler), from :func:`risk_contributions`.

    Attributes
    ----------
    volatility : float
        Portfolio volatility, annualised with ``periods_per_year``.
    periods_per_year : float or None
        None: the figures are per period, in the covariance's own units.
    assets : DataFrame
        Per asset: ``weight``, ``volatility`` (of the asset alone), ``marginal``,
        ``component`` (they sum to :attr:`volatility`), ``percent`` (sums to 1).
    """

    volatility: float
    periods_per_year: float | None
    assets: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """One row: volatility (``units`` says annual or per period), the largest contributor and its
        share of the risk."""
        pct = self.assets["percent"]
        return pd.DataFrame(
            [
                {
                    "volatility": self.volatility,
                    "units": units(self.periods_per_year),
                    "periods_per_year": self.periods_per_year,
                    "largest_asset": pct.idxmax(),
                    "largest_share": float(pct.max()),
                }
            ],
            index=pd.Index(["portfolio"]),
        )


def risk_contributions(
    weights: pd.Series,
    covariance: pd.DataFrame,
    /,
    *,
    periods_per_year: float | None = None,
    repair: Literal["clip"] | None = None,
) -> RiskContributions:
    """Volatility contributions by asset (Euler).

    Parameters
    ----------
    weights : Series
        Weights by asset (need not sum to one; a dollar-neutral book summing to zero is
        defined: the shares are of the volatility, defined whenever it is positive).
    covariance : DataFrame
        Per-period covariance with the same assets.
    periods_per_year : float, optional
        Annualise the volatilities (times its square root). A covariance carries
        no dates, so by default the figures stay per period, in the covariance's
        own units (:func:`riskkit.data.calendar.resolve_periods_per_year`).
    repair : {"clip"}, optional
        A covariance that is not positive semi-definite is an error unless
        ``repair="clip"`` sets its negative eigenvalues to zero.

    Returns
    -------
    RiskContributions

    Examples
    --------
    >>> import pandas as pd
    >>> from riskkit.decomposition import risk_contributions
    >>> cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["a", "b"], columns=["a", "b"])
    >>> rc = risk_contributions(pd.Series({"a": 0.5, "b": 0.5}), cov)
    >>> rc.assets["percent"].round(2).tolist(), round(rc.volatility, 4), rc.summary()["units"].item()
    ([0.8, 0.2], 0.1118, 'per period')
    """
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    cov = check_covariance("covariance", covariance, repair=repair)
    check_same_assets("weights", w.index, "covariance", cov.index)
    ppy = resolve_periods_per_year(None, periods_per_year)
    return _risk_contributions(w.reindex(cov.index).to_numpy(), cov, ppy)


def _risk_contributions(wv: np.ndarray, cov: pd.DataFrame, ppy: float | None) -> RiskContributions:
    out, sigma = _euler(wv, cov.to_numpy(), annualise(1.0, ppy, power=0.5))
    return RiskContributions(sigma, ppy, pd.DataFrame(out, index=cov.index))


def _euler(wv: np.ndarray, S: np.ndarray, scale: float) -> tuple[dict, float]:
    """The asset table of :class:`RiskContributions` (:func:`euler_contributions`, volatilities
    times ``scale``); a portfolio without variance has no shares of risk: an error."""
    sigma, marginal, comp = euler_contributions(wv, S)
    if not sigma > 0:
        raise InvalidParameterError(
            "the portfolio has zero variance under this covariance; contributions are undefined."
        )
    return (
        {
            "weight": wv,
            "volatility": np.sqrt(np.diag(S)) * scale,
            "marginal": marginal * scale,
            "component": comp * scale,
            "percent": comp / sigma,
        },
        float(sigma * scale),
    )


def group_contributions(contributions: pd.DataFrame, groups: Mapping | pd.Series, /) -> pd.DataFrame:
    """Sum asset contributions (from :func:`risk_contributions`) by group.

    Every asset must have a group; the error lists those left out. Columns:
    ``weight``, ``component``, ``percent``, ``n_assets``, ``members``;
    rows sorted by ``percent`` descending.
    """
    return _group_contributions(contributions, check_groups("groups", groups, contributions.index))


def _group_contributions(contributions: pd.DataFrame, g: pd.Series) -> pd.DataFrame:
    """:func:`group_contributions` with ``g`` from :func:`check_groups` (a group for every asset)."""
    keys = pd.Series(g.to_numpy(), index=contributions.index)  # a Series key: no column look-up attempted
    agg = contributions[["weight", "component", "percent"]].groupby(keys, sort=False).sum()
    members: dict = {}
    for asset, k in zip(g.index, g.to_numpy(), strict=True):
        members.setdefault(k, []).append(str(asset))
    agg["n_assets"] = [len(members[k]) for k in agg.index]
    agg["members"] = [", ".join(members[k]) for k in agg.index]
    agg.index.name = "group"
    return agg.sort_values("percent", ascending=False, kind="stable")


@renamed(threshold="min_correlation")
def correlation_clusters(
    correlation: pd.DataFrame,
    /,
    *,
    min_correlation: float = 0.5,
    linkage: Literal["average", "complete", "single", "ward"] = "average",
) -> pd.Series:
    """Groups of correlated assets by hierarchical clustering.

    Distance :math:`d_{ij} = \\sqrt{(1 - \\rho_{ij}) / 2}` (0 for identical
    assets, 1 for opposite ones); clusters are cut where the linkage distance
    exceeds the distance of a correlation equal to ``min_correlation`` (formerly
    ``threshold``): assets linked above that correlation share a cluster. Assets are
    sorted by label before clustering, so the result does not depend on the
    column order. Clusters are named ``C1``, ``C2``, ... by size, then by
    their first member.

    Returns
    -------
    Series
        Asset -> cluster name, in the order of ``correlation``'s columns.
    """
    from scipy.cluster.hierarchy import fcluster
    from scipy.cluster.hierarchy import linkage as scipy_linkage
    from scipy.spatial.distance import squareform

    check_choice("linkage", linkage, ("average", "complete", "single", "ward"))
    min_correlation = check_real("min_correlation", min_correlation, low=-1.0, high=1.0)
    labels = list(correlation.columns)
    order = sorted(range(len(labels)), key=lambda i: str(labels[i]))
    C = correlation.to_numpy(dtype=float)[np.ix_(order, order)]
    undefined = ~np.isfinite(correlation.to_numpy(dtype=float)).all(axis=0)
    if undefined.any():
        from riskkit.exceptions import NonFiniteError

        raise NonFiniteError(
            f"correlation is missing or infinite for {format_items(correlation.columns[undefined])} "
            "(an asset without variance has no correlation); give them 0 off the diagonal (uncorrelated) "
            "or leave them out."
        )
    if len(labels) == 1:
        return pd.Series(["C1"], index=correlation.columns, name="cluster")
    D = correlation_distance(C)
    np.fill_diagonal(D, 0.0)
    Z = scipy_linkage(squareform((D + D.T) / 2.0, checks=False), method=linkage)
    raw = fcluster(Z, t=np.sqrt((1.0 - min_correlation) / 2.0), criterion="distance")
    sorted_labels = [labels[i] for i in order]
    members: dict[int, list] = {}
    for lab, k in zip(sorted_labels, raw, strict=True):
        members.setdefault(int(k), []).append(lab)
    ranked = sorted(members.values(), key=lambda m: (-len(m), str(m[0])))
    name = {lab: f"C{i + 1}" for i, m in enumerate(ranked) for lab in m}
    return pd.Series([name[lab] for lab in labels], index=correlation.columns, name="cluster")


@dataclass(frozen=True, eq=False, repr=False)
class EffectiveBets(Result):
    """Effective number of bets and the risk distribution behind it.

    Attributes
    ----------
    effective_bets : float
        :math:`\\exp(-\\sum_k p_k \\ln p_k)`, from 1 to the number of bets.
    method : str
        ``"pca"`` or ``"minimum_torsion"``.
    distribution : Series
        :math:`p_k`, which sums to one, by principal component (``PC1``, ...)
        or by asset (minimum torsion).
    """

    effective_bets: float
    method: str
    distribution: pd.Series

    def summary(self) -> pd.DataFrame:
        """One row: effective bets, method, number of bets and the largest share."""
        p = self.distribution
        return pd.DataFrame(
            [
                {
                    "effective_bets": self.effective_bets,
                    "method": self.method,
                    "n_bets": len(p),
                    "largest_bet": p.idxmax(),
                    "largest_share": float(p.max()),
                }
            ],
            index=pd.Index(["portfolio"]),
        )


def effective_number_of_bets(
    weights: pd.Series,
    covariance: pd.DataFrame,
    /,
    *,
    method: Literal["pca", "minimum_torsion"] = "pca",
) -> EffectiveBets:
    """Effective number of bets (Meucci 2009; Meucci, Santangelo & Deguest 2015).

    Portfolio risk is split over uncorrelated factors :math:`t\\,r` (principal
    portfolios for ``"pca"``, the minimum-torsion factors closest to the assets
    for ``"minimum_torsion"``): :math:`p_k = (t^{-\\top} w)_k (t \\Sigma w)_k / w^\\top \\Sigma w`,
    which sums to one. The effective number of bets is
    :math:`\\exp(-\\sum_k p_k \\ln p_k)`: 1 when one bet carries all the risk, N
    when N bets carry equal shares.

    Returns
    -------
    EffectiveBets

    Examples
    --------
    >>> import pandas as pd
    >>> from riskkit.decomposition import effective_number_of_bets
    >>> cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["a", "b"], columns=["a", "b"])
    >>> bets = effective_number_of_bets(pd.Series({"a": 1 / 3, "b": 2 / 3}), cov)
    >>> round(bets.effective_bets, 6), bets.distribution.round(2).tolist()
    (2.0, [0.5, 0.5])
    """
    check_choice("method", method, ("pca", "minimum_torsion"))
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    # minimum torsion inverts the correlation's square root: it needs a non-singular covariance
    cov = check_covariance(
        "covariance",
        covariance,
        nonsingular="effective_number_of_bets(method='minimum_torsion')"
        if method == "minimum_torsion"
        else None,
    )
    check_same_assets("weights", w.index, "covariance", cov.index)
    return _enb(w.reindex(cov.index).to_numpy(), cov.to_numpy(), cov.index, method)


def _enb(wv: np.ndarray, S: np.ndarray, assets: pd.Index, method: str) -> EffectiveBets:
    if method == "pca":
        lam, E = np.linalg.eigh(S)
        lam, E = lam[::-1], E[:, ::-1]
        b = E.T @ wv
        p = b * b * lam / float(wv @ S @ wv)
        index = pd.Index([f"PC{k + 1}" for k in range(len(p))], name="bet")
    else:
        t = _minimum_torsion(S)
        p = np.linalg.solve(t.T, wv) * (t @ S @ wv) / float(wv @ S @ wv)
        index = pd.Index(assets, name="bet")
    pos = p[p > 0]
    enb = float(np.exp(-np.sum(pos * np.log(pos))))
    return EffectiveBets(enb, method, pd.Series(p, index=index, name="risk_share"))


def _minimum_torsion(S: np.ndarray, *, max_iter: int = 10_000, tol: float = 1e-10) -> np.ndarray:
    """Minimum-torsion matrix (Meucci, Santangelo & Deguest 2015, algorithm of their appendix)."""

    def sym_sqrt(A: np.ndarray) -> np.ndarray:
        ev, V = np.linalg.eigh((A + A.T) / 2.0)
        return (V * np.sqrt(np.clip(ev, 0.0, None))) @ V.T

    sigma = np.sqrt(np.diag(S))
    C = S / np.outer(sigma, sigma)
    c = sym_sqrt(C)
    d = np.ones(len(sigma))
    prev = np.inf
    for _ in range(max_iter):
        U = (d[:, None] * c) @ (c * d[None, :])
        u = sym_sqrt(U)
        q = np.linalg.solve(u, d[:, None] * c)
        d = np.einsum("ij,ji->i", q, c)
        pi = d[:, None] * q
        f = float(np.linalg.norm(c - pi))
        if abs(f - prev) <= tol * max(f, 1e-300) * len(d):
            break
        prev = f
    x = pi @ np.linalg.pinv(c)
    return (sigma[:, None] * x) / sigma[None, :]


def concentration(
    weights: pd.Series,
    covariance: pd.DataFrame,
    /,
    *,
    enb_method: Literal["pca", "minimum_torsion"] = "pca",
) -> pd.Series:
    """Concentration of weights and of risk.

    ``hhi_weights`` :math:`\\sum (|w_i| / \\sum |w|)^2`, ``hhi_risk``
    :math:`\\sum p_i^2` of the percent contributions, their inverses
    (effective numbers), ``effective_bets`` (:func:`effective_number_of_bets`),
    ``diversification_ratio`` :math:`\\sum w_i \\sigma_i / \\sigma_p`,
    ``largest_risk_share`` and ``largest_risk_asset``.
    """
    check_choice("enb_method", enb_method, ("pca", "minimum_torsion"))
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    cov = check_covariance(
        "covariance",
        covariance,  # minimum torsion inverts the correlation's square root
        nonsingular="minimum-torsion bets (enb_method='minimum_torsion')"
        if enb_method == "minimum_torsion"
        else None,
    )
    check_same_assets("weights", w.index, "covariance", cov.index)
    wv = w.reindex(cov.index).to_numpy()
    parts, _ = _euler(wv, cov.to_numpy(), 1.0)  # shares of risk: the units do not matter
    return _concentration(pd.DataFrame(parts, index=cov.index), cov.to_numpy(), enb_method)


def _concentration(
    rc: pd.DataFrame, S: np.ndarray, enb_method: str, dense_assets: int | None = None
) -> pd.Series:
    """:func:`concentration` from Euler contributions ``rc`` and the covariance ``S`` in their order;
    above ``dense_assets`` assets without the effective bets (NaN, ``enb_note`` says why)."""
    aw = rc["weight"].abs() / rc["weight"].abs().sum()
    hhi_w = float((aw**2).sum())
    hhi_r = float((rc["percent"] ** 2).sum())
    note = ""
    if dense_assets is not None and len(rc) > dense_assets:
        enb = float("nan")
        note = (
            f"not computed for {count(len(rc), 'asset')}: the eigen-decomposition it needs is cubic in "
            f"the number of assets (dense_assets={dense_assets:,})"
        )
    else:
        enb = _enb(rc["weight"].to_numpy(), S, rc.index, enb_method).effective_bets
    sigma = float(rc["component"].sum())
    top = rc["percent"].idxmax()
    return pd.Series(
        {
            "hhi_weights": hhi_w,
            "effective_assets": 1.0 / hhi_w,
            "hhi_risk": hhi_r,
            "effective_risk_assets": 1.0 / hhi_r,
            "effective_bets": enb,
            "enb_method": enb_method,
            "enb_note": note,
            "diversification_ratio": float((rc["weight"] * rc["volatility"]).sum() / sigma),
            "largest_risk_share": float(rc["percent"].max()),
            "largest_risk_asset": top,
        },
        name="concentration",
    )


@dataclass(frozen=True, eq=False, repr=False)
class RiskDecomposition(Result):
    """Everything :func:`decompose` found, as labelled tables.

    Attributes
    ----------
    volatility, periods_per_year
        As in :class:`RiskContributions`: annual, or per period when ``periods_per_year``
        is None.
    assets : DataFrame
        :attr:`RiskContributions.assets` with each asset's ``group``.
    groups : DataFrame
        Per group (the user's groups, or correlation clusters): weight,
        component, percent, n_assets, members.
    group_source : str
        ``"groups"`` (given) or ``"clusters"`` (found).
    concentration : Series
    alerts : DataFrame
        Assets and groups whose share of risk exceeds their limit and their equal share
        (:func:`alert_rule`): ``kind`` (asset or group), ``name``, ``risk_share``, the
        ``alert_share`` and the ``equal_share`` (1/N, or k/N for a group of k) it exceeds.
    tail : DataFrame
        VaR and ES by method (per period, as its ``units`` column says), when returns were given; a ``note``
        column marks the Cornish-Fisher row unreliable when the expansion is not
        monotone for the sample's skewness and kurtosis (instead of a warning).
    tail_contributions : DataFrame
        Historical and Gaussian ES contributions by asset (columns ``"historical ES"``, ``"Gaussian ES"``).
    factors : DataFrame or None
        Factor split of variance (:func:`riskkit.decomposition.factors.factor_decomposition`).
    stress : dict of str to DataFrame
        ``"correlation"`` (per period: its ``attrs["units"]``), ``"worst_<n>"`` (a share
        of value lost over n periods) and ``"scenarios"`` when asked for.
    covariance : DataFrame
        The per-period covariance used.
    """

    volatility: float
    periods_per_year: float | None
    assets: pd.DataFrame
    groups: pd.DataFrame
    group_source: str
    concentration: pd.Series
    alerts: pd.DataFrame
    tail: pd.DataFrame | None = field(default=None, repr=False)
    tail_contributions: pd.DataFrame | None = field(default=None, repr=False)
    factors: pd.DataFrame | None = field(default=None, repr=False)
    stress: dict = field(default_factory=dict, repr=False)
    covariance: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def correlation(self) -> pd.DataFrame:
        """The correlation implied by :attr:`covariance` (for clustering, heatmaps)."""
        c = self.covariance
        return pd.DataFrame(cov_to_corr(c.to_numpy()), index=c.index, columns=c.columns)

    def _largest_group(self) -> pd.Series:
        """The row of the group with the largest share of risk, :data:`REST` aside (it is not a
        cluster but the assets left out of the clustering), unless it is the only one."""
        clustered = self.groups[self.groups.index != REST]
        return (clustered if len(clustered) else self.groups).iloc[0]

    def worst_windows(self, *, contributions: bool = False) -> pd.DataFrame:
        """The worst windows of every length asked for (``stress_windows``), as a
        reader reads them: one row per window, indexed by its length in the data's
        periods (``"7 days"``; ``"7 trading days"`` on a business-day calendar, ``"7 periods"``
        without one) and rank, with its first and last dates (``from``,
        ``to``) and the portfolio's ``loss``, a share of its value; with
        ``contributions``, each asset's part of that loss. Empty when none were
        asked for.

        Only windows that lost money are rows: a length longer than the returns, or
        whose every window gained, has none, and ``attrs["notes"]`` says which and why
        (a gain shown as the "worst loss" would read as a loss)."""
        parts, notes = {}, []
        for key, table in self.stress.items():
            if not key.startswith("worst_"):
                continue
            length = span(int(key.removeprefix("worst_")), self.periods_per_year)
            rows = table.reset_index().rename(columns={"window_start": "from", "window_end": "to"})
            rows = rows[rows["loss"] > 0]
            if rows.empty:
                notes.append(
                    f"No window of {length}: the returns are shorter."
                    if table.empty
                    else f"No window of {length} lost money: the least gain was {-table['loss'].max():.1%}."
                )
                continue
            rows.index = pd.RangeIndex(1, len(rows) + 1, name="rank")
            keep = ["from", "to", "loss", *(table.columns[2:] if contributions else [])]
            parts[length] = rows[keep]
        out = (
            pd.concat(parts, names=["window", "rank"])
            if parts
            else pd.DataFrame(columns=["from", "to", "loss"])
        )
        out.attrs["notes"] = notes
        return out

    def bets(self, method: Literal["pca", "minimum_torsion"] = "minimum_torsion") -> EffectiveBets:
        """The effective number of bets of these weights on this covariance, by ``method``
        (:func:`effective_number_of_bets`), whichever ``enb_method`` the decomposition used.

        The two counts answer different questions: ``"pca"`` counts the principal
        components the risk is spread over, near 1 for almost any long-only book of
        correlated assets (the first component is their common move);
        ``"minimum_torsion"`` counts the uncorrelated factors closest to the assets
        themselves (Meucci, Santangelo & Deguest 2015), near the assets' effective
        number when the risk is spread evenly over them. Minimum torsion refuses a
        singular covariance (:class:`~riskkit.exceptions.SingularCovarianceError`).
        """
        check_choice("method", method, ("pca", "minimum_torsion"))
        return effective_number_of_bets(self.assets["weight"], self.covariance, method=method)

    def summary(self) -> pd.DataFrame:
        """One row: volatility (``units``: annual or per period), largest asset and group shares,
        effective bets, alerts, and the ES of each method (``tail_units``: always per period)."""
        c = self.concentration
        row = {
            "volatility": self.volatility,
            "units": units(self.periods_per_year),
            "periods_per_year": self.periods_per_year,
            "largest_asset": c["largest_risk_asset"],
            "largest_asset_share": c["largest_risk_share"],
            "largest_group": self._largest_group().name,
            "largest_group_share": float(self._largest_group()["percent"]),
            "effective_bets": c["effective_bets"],
            "diversification_ratio": c["diversification_ratio"],
            "alerts": len(self.alerts),
        }
        if self.tail is not None:
            for method in self.tail.index:
                row[f"ES {method}"] = float(self.tail.loc[method, "ES"])
            row["tail_units"] = "per period"
        return pd.DataFrame([row], index=pd.Index(["portfolio"]))


@renamed(
    alpha="level",
    cluster_threshold="cluster_min_correlation",
    alert_threshold="alert_share",
    group_alert_threshold="group_alert_share",
)
def decompose(
    weights: pd.Series,
    /,
    *,
    returns: pd.DataFrame | None = None,
    covariance: pd.DataFrame | None = None,
    shrinkage: str | Mapping | None = None,
    groups: Mapping | pd.Series | None = None,
    cluster_min_correlation: float = 0.5,
    factors: pd.DataFrame | None = None,
    factor_model=None,
    alert_share: float = ALERT_SHARE,
    group_alert_share: float = GROUP_ALERT_SHARE,
    enb_method: Literal["pca", "minimum_torsion"] = "pca",
    level: float = 0.95,
    stress_windows: Sequence[int] = (),
    scenarios: pd.DataFrame | None = None,
    correlation_blends: Sequence[float] = (),
    periods_per_year: float | None = None,
    repair: Literal["clip"] | None = None,
    dense_assets: int = DENSE_ASSETS,
) -> RiskDecomposition:
    """Risk decomposition of a portfolio in one call.

    Each part gives what the package's public function for it gives (:func:`risk_contributions`,
    :func:`correlation_clusters`, :func:`group_contributions`, :func:`concentration`,
    :func:`riskkit.decomposition.tail.tail_risk`, the functions of
    :mod:`riskkit.decomposition.stress` and of :mod:`riskkit.decomposition.factors`): each input
    is checked once, here, and the parts are computed by those functions' cores
    (:func:`~riskkit.decomposition.tail.tail_risk_core`, ...), which check nothing again.

    Parameters
    ----------
    weights : Series
        Portfolio weights by asset.
    returns : DataFrame, optional
        Period returns: estimate the covariance from them (with ``shrinkage``),
        and compute tail risk and worst windows.
    covariance : DataFrame, optional
        A per-period covariance to use instead of estimating one.
    shrinkage : str or mapping, optional
        What :func:`riskkit.shrinkage.shrinkage_options` reads: None (Ledoit-Wolf toward
        the identity, which keeps the correlation structure that clustering looks for;
        a constant-correlation target with a high intensity flattens it), a method
        name, or a mapping of :func:`riskkit.shrinkage.shrink`'s options.
    groups : mapping or Series, optional
        Asset -> group. When None, correlated clusters
        (:func:`correlation_clusters` at ``cluster_min_correlation``) are used.
    cluster_min_correlation : float, default=0.5
        Formerly ``cluster_threshold``.
    factors : DataFrame, optional
        Factor returns on the dates of ``returns``: exposures by OLS.
    factor_model : FactorModel, optional
        Exposures given directly (instead of ``factors``).
    alert_share : float, default=ALERT_SHARE (0.25)
        Assets whose share of risk exceeds this and their equal share 1/N (by more
        than rounding, 1e-9) are listed in ``alerts`` (formerly ``alert_threshold``):
        three assets at a third of the risk each are balanced, not concentrated.
    group_alert_share : float, default=GROUP_ALERT_SHARE (0.4)
        Groups of two or more assets whose share of risk exceeds this and their
        equal share k/N are listed in ``alerts`` (a group holds several assets' risk, so it has a
        limit of its own; a group of one is its asset, alerted as such; a group
        holding every asset is the whole portfolio, not a concentration, and is
        never alerted). Formerly ``group_alert_threshold``.
    enb_method : {"pca", "minimum_torsion"}
    level : float, default=0.95
        Confidence level of VaR and ES (formerly ``alpha``). One covariance per
        decomposition: the Gaussian and Cornish-Fisher VaR and ES use the covariance the
        volatility comes from (the shrinkage estimate, or ``covariance`` when given), so the
        Gaussian VaR is :math:`z_\\text{level}\\,\\sigma - \\mu` with :math:`\\sigma` the
        reported volatility per period; :func:`~riskkit.decomposition.tail.tail_risk` alone, which
        takes no covariance, uses the returns' sample covariance.
    stress_windows : sequence of int
        Lengths (in periods) of worst historical windows to report (needs returns).
    scenarios : DataFrame, optional
        Shock scenarios (rows) of asset returns.
    correlation_blends : sequence of float
        Correlation stress blends toward one.
    periods_per_year : float, optional
        Annualisation of the volatilities; inferred from the returns' dates when
        not given; with a covariance alone (no dates) the figures stay per period
        (:func:`riskkit.data.calendar.resolve_periods_per_year`). VaR, ES and the
        stress tables are always per period; every table says so in ``units``.
    repair : {"clip"}, optional
        Clip negative eigenvalues of a non-PSD covariance instead of raising.
    dense_assets : int, default=2000
        With more assets than this (:data:`DENSE_ASSETS`), the correlated clusters are found among
        the ``dense_assets`` largest shares of risk only (the others form the group :data:`REST`,
        never alerted) and the effective bets are NaN (``concentration["enb_note"]`` says why): the
        eigen-decomposition they need is cubic in the number of assets.
    """
    # every input is checked once, here; the parts below are the public functions' cores
    if returns is None and covariance is None:
        raise InvalidParameterError("decompose needs returns= or covariance= (or both).")
    alert_share = check_real("alert_share", alert_share, low=0.0, high=1.0, low_open=True)
    group_alert_share = check_real("group_alert_share", group_alert_share, low=0.0, high=1.0, low_open=True)
    level = check_real("level", level, low=0.5, high=1.0, low_open=True, high_open=True)
    check_choice("enb_method", enb_method, ("pca", "minimum_torsion"))
    dense_assets = check_int("dense_assets", dense_assets, minimum=2)
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    R = None  # the returns as returns_matrix reads them: (X, index, columns)
    if returns is not None:
        R = returns_matrix("returns", returns)
        check_same_assets("weights", w.index, "returns", R[2])
    ppy = resolve_periods_per_year(None if R is None else R[1], periods_per_year)
    cov = _decompose_covariance(R, covariance, shrinkage, repair, enb_method)
    check_same_assets("weights", w.index, "covariance", cov.index)
    contributions = _risk_contributions(w.reindex(cov.index).to_numpy(), cov, ppy)
    rc = contributions.assets
    if groups is not None:
        labels, source = check_groups("groups", groups, rc.index), "groups"
    else:
        labels, source = _clusters(cov, rc["percent"], cluster_min_correlation, dense_assets), "clusters"
    grp = _group_contributions(rc, labels)
    rc = rc.assign(group=labels.reindex(rc.index).to_numpy())
    tail, tail_c = _decompose_tail(w, R, level, cov) if R is not None else (None, None)
    stress = _decompose_stress(w, R, cov, stress_windows, scenarios, correlation_blends, level)
    return RiskDecomposition(
        volatility=contributions.volatility,
        periods_per_year=ppy,
        assets=rc,
        groups=grp,
        group_source=source,
        concentration=_concentration(rc, cov.to_numpy(), enb_method, dense_assets),
        alerts=_alerts(rc, grp, alert_share, group_alert_share),
        tail=tail,
        tail_contributions=tail_c,
        factors=_decompose_factors(w, R, cov, factors, factor_model, ppy),
        stress=stress,
        covariance=cov,
    )


def _clusters(cov: pd.DataFrame, share: pd.Series, min_correlation: float, dense_assets: int) -> pd.Series:
    """The correlated clusters of :func:`decompose`: of every asset, or, above ``dense_assets``
    assets, of the ``dense_assets`` largest shares of risk, the others in the group :data:`REST`
    (the correlation is formed for the clustered assets only)."""
    if len(cov) <= dense_assets:
        return correlation_clusters(_cluster_correlation(cov), min_correlation=min_correlation)
    keep = top_assets(share, n=dense_assets)
    found = correlation_clusters(_cluster_correlation(cov.loc[keep, keep]), min_correlation=min_correlation)
    return found.reindex(cov.index).fillna(REST).rename("cluster")


def _cluster_correlation(cov: pd.DataFrame) -> pd.DataFrame:
    """The correlation :func:`decompose` clusters: an asset without variance (cash) is
    uncorrelated with every other (0 off the diagonal, 1 on it), so it is a cluster of its own
    for any ``cluster_min_correlation`` above 0, and its risk share is 0."""
    S = cov.to_numpy()
    flat = ~(np.diag(S) > 0)
    with np.errstate(invalid="ignore", divide="ignore"):  # the flat rows are set next
        C = cov_to_corr(S)
    if flat.any():
        C = C.copy()
        C[flat, :] = 0.0
        C[:, flat] = 0.0
        C[flat, flat] = 1.0
    return pd.DataFrame(C, index=cov.index, columns=cov.columns, copy=False)


def _decompose_covariance(
    R: tuple | None, covariance, shrinkage, repair: str | None, enb_method: str
) -> pd.DataFrame:
    """The covariance given (checked), or estimated by :func:`riskkit.shrinkage.shrink`'s core from
    the returns ``R`` already read."""
    # minimum torsion inverts the correlation's square root; an estimate from T <= N returns may be singular
    torsion = enb_method == "minimum_torsion"
    nonsingular = "minimum-torsion bets (enb_method='minimum_torsion')" if torsion else None
    if covariance is not None:
        return check_covariance("covariance", covariance, repair=repair, nonsingular=nonsingular)
    from riskkit.shrinkage import shrink_core, shrinkage_options

    cov = shrink_core(*R, shrinkage_options(shrinkage)).covariance
    return check_covariance("covariance", cov, nonsingular=nonsingular) if nonsingular else cov


def _alerts(
    rc: pd.DataFrame, grp: pd.DataFrame, alert_share: float, group_alert_share: float
) -> pd.DataFrame:
    """Assets, and groups of two or more but not all of the assets, whose share of risk
    exceeds their limit and their equal share (1/N of the risk for an asset, k/N for a group of
    k): a balanced book of three assets carries a third of its risk in each, which is no
    concentration however low the limit (a group of every asset is the portfolio)."""
    n = len(rc)
    assets = [
        ("asset", a, float(v), alert_share, 1 / n)
        for a, v in rc["percent"].items()
        if v > max(alert_share, 1 / n) + _SHARE_ROUNDING
    ]
    groups = [
        ("group", g, float(v), group_alert_share, k / n)
        for g, v, k in zip(grp.index, grp["percent"], grp["n_assets"], strict=True)
        if v > max(group_alert_share, k / n) + _SHARE_ROUNDING and 1 < k < n and g != REST
    ]
    return pd.DataFrame(assets + groups, columns=["kind", "name", "risk_share", "alert_share", "equal_share"])


def alert_rule(alert_share: float = ALERT_SHARE, group_alert_share: float = GROUP_ALERT_SHARE) -> str:
    """The alert rule of :func:`decompose` in words, to say what "no alert" means.

    >>> alert_rule(0.3, 0.5)[:94]
    'an asset carrying more than 30% of the risk, or a group of two or more (not all) more than 50%'
    """
    return (
        f"an asset carrying more than {alert_share:.0%} of the risk, or a group of two or more (not all) "
        f"more than {group_alert_share:.0%}, and more than its equal share (1/N of the risk for an asset, "
        "k/N for a group of k)"
    )


def _decompose_tail(
    w: pd.Series, R: tuple, level: float, cov: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """VaR and ES by the three methods of :func:`~riskkit.decomposition.tail.tail_risk` (per period),
    a non-monotone Cornish-Fisher expansion noted in the table, and the ES contributions.

    One covariance per decomposition: the Gaussian and Cornish-Fisher volatility is the one
    ``cov`` gives (the estimate, or the covariance passed, whose volatility the decomposition
    reports), not the returns' sample covariance, so Gaussian VaR is exactly
    :math:`z_\\text{level}\\,\\sigma - \\mu` with :math:`\\sigma` the reported volatility per period."""
    import warnings

    from riskkit.decomposition.tail import METHOD_NAMES, tail_risk_core
    from riskkit.exceptions import ModelValidityWarning

    wr = w.reindex(R[2]).to_numpy()  # the weights in the order of the returns' columns
    with warnings.catch_warnings():  # reported in the table instead (a warning prints a file path)
        warnings.simplefilter("ignore", ModelValidityWarning)
        S = cov.reindex(index=R[2], columns=R[2]).to_numpy()
        results = {
            m: tail_risk_core(wr, *R, level, m, S) for m in ("historical", "gaussian", "cornish_fisher")
        }
    tail = pd.concat([r.summary() for r in results.values()])
    cf = results["cornish_fisher"].info
    if not cf["monotone"]:
        tail["note"] = ""
        tail.loc["cornish_fisher", "note"] = (
            f"unreliable: expansion not monotone (skewness {cf['skewness']:.2f}, "
            f"excess kurtosis {cf['excess_kurtosis']:.1f})"
        )
    contributions = pd.DataFrame(
        {f"{METHOD_NAMES[m]} ES": results[m].contributions["es"] for m in ("historical", "gaussian")}
    )
    return tail, contributions


def _decompose_stress(
    w: pd.Series,
    R: tuple | None,
    cov: pd.DataFrame,
    stress_windows: Sequence[int],
    scenarios: pd.DataFrame | None,
    correlation_blends: Sequence[float],
    level: float,
) -> dict:
    """The stress tables asked for, by the cores of :mod:`riskkit.decomposition.stress`."""
    from riskkit.decomposition import stress as ST

    out: dict = {}
    if R is not None and stress_windows:
        wr = w.reindex(R[2]).to_numpy()
        for n in stress_windows:
            n = check_int("stress_windows", n, minimum=1)
            out[f"worst_{n}"] = ST.worst_windows_core(wr, *R, n, 3)
    if scenarios is not None:
        S, s_index, s_columns = ST.scenario_matrix(scenarios)
        check_same_assets("weights", w.index, "scenarios", s_columns)
        out["scenarios"] = ST.scenario_loss_core(w.reindex(s_columns).to_numpy(), S, s_index, s_columns)
    if correlation_blends:
        blends = [check_real("correlation_blends", b, low=0.0, high=1.0) for b in correlation_blends]
        out["correlation"] = ST.correlation_stress_core(w.reindex(cov.index).to_numpy(), cov, blends, level)
    return out


def _decompose_factors(
    w: pd.Series, R: tuple | None, cov: pd.DataFrame, factors, factor_model, ppy: float | None
) -> pd.DataFrame | None:
    """The factor split of this covariance (the cores of :mod:`riskkit.decomposition.factors`): the
    specific part is what the factors leave of it, so the rows add up to the portfolio variance."""
    if factors is None and factor_model is None:
        return None
    from riskkit.decomposition import factors as F

    if factor_model is None:
        if R is None:
            raise InvalidParameterError("factors= needs returns= to estimate exposures.")
        factor_model = F.factor_exposures_core(*R, factors, ppy)
    betas = factor_model.betas.index
    check_same_assets("weights", w.index, "factor model betas", betas)  # and so the covariance's assets
    return F.factor_decomposition_core(w.reindex(betas).to_numpy(), factor_model, cov, "full", ppy)


def rolling_decompose(
    weights: pd.Series,
    returns: pd.DataFrame,
    /,
    *,
    window: int,
    step: int = 1,
    shrinkage: str | Mapping | None = None,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Volatility and percent contributions over time, from rolling estimates.

    Each row is dated by the last observation of its window
    (:func:`riskkit.shrinkage.rolling_shrink`, with ``shrinkage`` read by
    :func:`riskkit.shrinkage.shrinkage_options`): ``volatility`` (annualised under
    :func:`riskkit.data.calendar.resolve_periods_per_year`: per period for returns
    without dates), ``effective_risk_assets`` and one column per asset with its
    percent contribution. The table's ``attrs["units"]`` says which.
    """
    from riskkit.shrinkage import rolling_shrink, shrinkage_options

    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    check_same_assets("weights", w.index, "returns", returns.columns)
    ppy = resolve_periods_per_year(returns, periods_per_year)
    roll = rolling_shrink(returns, window=window, step=step, **shrinkage_options(shrinkage, rolling=True))
    wv = w.reindex(roll.assets).to_numpy()
    Sw = np.einsum("kij,j->ki", roll.covariances, wv)
    var = Sw @ wv
    pct = wv * Sw / var[:, None]
    out = pd.DataFrame(pct, index=roll.dates, columns=roll.assets)
    out.insert(0, "effective_risk_assets", 1.0 / np.sum(pct**2, axis=1))
    out.insert(0, "volatility", annualise(np.sqrt(var), ppy, power=0.5))
    out.attrs["units"] = units(ppy)
    return out


_SHARE_ROUNDING = 1e-9
"""A share of risk exceeds a threshold when it is above it by more than rounding:
four equal risk contributions are 25% each, not 25.000000000000004%."""


_CLEAR_GAP = 2.0  # a first eigenvalue twice the second: a common factor, not a rotation of two


def _eigengap(covariance: pd.DataFrame) -> float:
    """How far the assets' correlation has one common factor: its largest
    eigenvalue over the next (``inf`` for one asset). Near 1, the leading
    principal components are ill-determined (any rotation of them fits).

    >>> _eigengap(pd.DataFrame([[1.0, 0.5], [0.5, 1.0]]))
    3.0
    """
    ev = np.linalg.eigvalsh(cov_to_corr(covariance.to_numpy()))
    return float(ev[-1] / ev[-2]) if len(ev) > 1 and ev[-2] > 0 else float("inf")


def _bets_sentence(result: RiskDecomposition, held: int) -> str:
    """The verdict's counts: equally risky assets (the inverse Herfindahl of the risk shares),
    then the bets by minimum torsion and by principal components, each said for what it is."""
    c = result.concentration
    text = (
        f"By its risk contributions the portfolio behaves like {c['effective_risk_assets']:,.1f} equally "
        f"risky assets (it holds {held:,})"
    )
    if not np.isfinite(c["effective_bets"]):  # a universe above the dense cap: the reason, not a count
        return text + f"; independent bets {c['enb_note']}."
    if result.covariance is None:  # only the decomposition's own count
        return text + f"; by independent bets ({c['enb_method']}) like {c['effective_bets']:.1f}."
    pca = result.bets("pca")
    try:
        mt = result.bets("minimum_torsion").effective_bets
        torsion = (
            f"{mt:.1f} minimum-torsion bets (uncorrelated factors closest to the assets themselves) and "
        )
    except SingularCovarianceError:
        torsion = ""
    return text + (
        f". Counted as uncorrelated bets: {torsion}{pca.effective_bets:.1f} principal-component bets "
        f"(the first principal component carries {pca.distribution.iloc[0]:.1%} of the risk)."
    )


def _share_format(n_assets: int) -> str:
    """A share of risk or weight to one decimal of a percent, to three with over 100 assets (each
    then holds about 1% or less: 0.0% would say nothing)."""
    return ".1%" if n_assets <= 100 else ".3%"


def verdict(result: RiskDecomposition, /) -> str:
    """A plain-language reading of a :class:`RiskDecomposition`, for reports."""
    c = result.concentration
    a = result.assets
    top = c["largest_risk_asset"]
    annual = units(result.periods_per_year) == "annual" and result.periods_per_year != 1
    unit = "a year" if annual else "per period"
    held = int((a["weight"] != 0).sum())
    share = _share_format(len(a))
    lines = [
        f"Portfolio volatility is {result.volatility:.1%} {unit}.",
        f"The largest single source of risk is {top}: {c['largest_risk_share']:{share}} of the risk "
        f"for {a.loc[top, 'weight']:{share}} of the weight.",
    ]
    if held > 1:
        lines.append(_bets_sentence(result, held))
    # the principal-component count, whichever count the decomposition kept (both are said above)
    dense = np.isfinite(c["effective_bets"]) and result.covariance is not None
    if held > 1 and dense and result.bets("pca").effective_bets < 1.5:
        gap = _eigengap(result.covariance)
        if gap >= _CLEAR_GAP:
            lines.append(
                "Almost all the risk is one common factor: the assets move together (the first principal "
                f"component of their correlation is {gap:.1f} times the second), so holding more of them "
                "diversifies little."
            )
        else:
            lines.append(
                "The first two principal components of the assets' correlation are close "
                f"({gap:.1f} to 1): principal components are ill-determined here, and so is their count "
                "of bets; the minimum-torsion count reads such a portfolio better."
            )
    g = result._largest_group()
    kind = "group" if result.group_source == "groups" else "correlated cluster"
    lines.append(
        f"The largest {kind}, {g.name} ({count(int(g['n_assets']), 'asset')}), "
        f"carries {g['percent']:{share}} "
        f"of the risk for {g['weight']:{share}} of the weight."
    )
    if REST in result.groups.index and g.name != REST:
        rest = result.groups.loc[REST]
        lines.append(
            f"The {int(rest['n_assets']):,} assets with the smallest shares of risk were not clustered "
            f"(more than dense_assets): together {rest['percent']:.1%} of the risk for {rest['weight']:.1%} "
            "of the weight."
        )
    if len(result.alerts):
        names = ", ".join(f"{r.name} ({r.risk_share:.0%})" for r in result.alerts.itertuples())
        limits = " and ".join(
            f"{t:.0%} for {kind_}s"
            for kind_, t in result.alerts.groupby("kind", sort=False)["alert_share"].first().items()
        )
        lines.append(f"Above the alert thresholds ({limits}): {names}.")
    else:
        lines.append("No asset or group exceeds the alert threshold: no single position dominates the risk.")
    return " ".join(lines)
