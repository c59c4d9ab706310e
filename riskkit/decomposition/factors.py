"""Factor exposures and the factor split of portfolio risk.

Contents
--------
factor_exposures      OLS of each asset's returns on factor returns (statsmodels):
                      betas, standard errors, R^2, residual variances
FactorModel           the fitted model, or one built from given exposures
factor_decomposition  portfolio variance = systematic (per factor, Euler) + specific, exactly

``factor_exposures_core`` and ``factor_decomposition_core`` are the same on inputs already
checked, for a caller that checks them once (:func:`riskkit.decomposition.decompose`).

Model: :math:`r_{it} = a_i + \\sum_k \\beta_{ik} f_{kt} + e_{it}`. For weights
:math:`w`, the portfolio exposure is :math:`b = B^\\top w`, the systematic
variance :math:`b^\\top \\Sigma_F b` split by factor as
:math:`b_k (\\Sigma_F b)_k`, and the specific (idiosyncratic) variance
:math:`w^\\top \\Sigma_E w` with the residual covariance :math:`\\Sigma_E`,
correlations included. OLS residuals are uncorrelated with the factors in
sample, so :math:`B\\Sigma_F B^\\top + \\Sigma_E` is exactly the sample
covariance of the returns and the two parts add up to the portfolio variance.
Residuals of assets sharing an unmodelled driver are correlated: treating them
as uncorrelated (``residuals="diagonal"``) leaves a gap, which is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.matrices import euler_contributions
from riskkit._core.result import Result
from riskkit._core.validation import check_same_assets, check_weights, format_items, returns_matrix
from riskkit.data.calendar import resolve_periods_per_year, units
from riskkit.exceptions import InvalidParameterError

__all__ = [
    "FactorModel",
    "factor_decomposition",
    "factor_decomposition_core",
    "factor_exposures",
    "factor_exposures_core",
]


@dataclass(frozen=True, eq=False, repr=False)
class FactorModel(Result):
    """Exposures of assets to factors.

    Attributes
    ----------
    betas : DataFrame (assets x factors)
    factor_covariance : DataFrame (factors x factors), per period
    residual_variance : Series (assets), per period
    residual_covariance : DataFrame (assets x assets) or None
        Sample covariance of the OLS residuals (ddof = 1), per period; None when
        exposures were given (the model is then diagonal by construction).
    std_errors : DataFrame or None
        OLS standard errors of the betas (None when exposures were given).
    rsquared : Series or None
    alphas : Series or None
        Intercepts, per period.
    periods_per_year : float or None
        Given to :func:`factor_exposures`, or inferred from the dates the model was
        fitted on (:func:`riskkit.data.calendar.resolve_periods_per_year`); None (per
        period) for dates without a calendar and for given exposures.
    """

    betas: pd.DataFrame
    factor_covariance: pd.DataFrame
    residual_variance: pd.Series
    std_errors: pd.DataFrame | None = field(default=None, repr=False)
    residual_covariance: pd.DataFrame | None = field(default=None, repr=False)
    rsquared: pd.Series | None = field(default=None, repr=False)
    alphas: pd.Series | None = field(default=None, repr=False)
    periods_per_year: float | None = None

    def summary(self) -> pd.DataFrame:
        """Betas with their standard errors in brackets, and R^2, one row per asset."""
        out = self.betas.round(3).astype(str)
        if self.std_errors is not None:
            out = out + " (" + self.std_errors.round(3).astype(str) + ")"
        if self.rsquared is not None:
            out["R2"] = self.rsquared.round(3)
        return out


def factor_exposures(
    returns: pd.DataFrame,
    factors: pd.DataFrame | pd.Series,
    /,
    *,
    periods_per_year: float | None = None,
) -> FactorModel:
    """Fit each asset's returns on the factors by OLS with an intercept (statsmodels).

    ``factors`` must have exactly the dates of ``returns`` (align them first,
    for example with :func:`riskkit.data.calendar.align_prices` on prices). The
    factor covariance and the residual covariance use ddof = 1, so
    :math:`B\\Sigma_F B^\\top + \\Sigma_E` equals the sample covariance of ``returns``.
    ``periods_per_year`` (the model's, for :func:`factor_decomposition`) follows
    :func:`riskkit.data.calendar.resolve_periods_per_year`: the value given, else
    inferred from the dates, else None (per period).
    """
    X, index, assets = returns_matrix("returns", returns)
    ppy = resolve_periods_per_year(index, periods_per_year)
    return factor_exposures_core(X, index, assets, factors, ppy)


def factor_exposures_core(
    X: np.ndarray, index: pd.Index, assets: pd.Index, factors: pd.DataFrame | pd.Series, ppy: float | None
) -> FactorModel:
    """The computation of :func:`factor_exposures`, on returns already checked by
    :func:`factor_exposures`: ``X, index, assets`` as :func:`riskkit._core.validation.returns_matrix`
    returns them and ``ppy`` from :func:`riskkit.data.calendar.resolve_periods_per_year`.
    ``factors``, a second input, is checked here (read once, and its dates against ``index``)."""
    import statsmodels.api as sm

    F_df = factors.to_frame() if isinstance(factors, pd.Series) else factors
    F, f_index, names = returns_matrix("factors", F_df)
    if not f_index.equals(index):
        missing = index.difference(f_index)
        extra = f_index.difference(index)
        raise InvalidParameterError(
            "factors must have exactly the dates of returns; "
            f"missing: {format_items(missing) or 'none'}; extra: {format_items(extra) or 'none'}."
        )
    design = sm.add_constant(F, has_constant="add")
    betas, ses, r2, alphas = [], [], [], []
    resid = np.empty_like(X)
    for j in range(X.shape[1]):
        fit = sm.OLS(X[:, j], design).fit()
        alphas.append(fit.params[0])
        betas.append(fit.params[1:])
        ses.append(fit.bse[1:])
        with np.errstate(divide="ignore", invalid="ignore"):  # a constant asset: 0 / 0
            r2.append(fit.rsquared if np.isfinite(fit.rsquared) else 1.0)
        resid[:, j] = fit.resid
    # a factor may also be an asset (BTC as the crypto market factor): its fit is exact, residual zero
    resid_cov = np.atleast_2d(np.cov(resid, rowvar=False, ddof=1))
    resid_var = np.diag(resid_cov).copy()
    return FactorModel(
        betas=pd.DataFrame(betas, index=assets, columns=names),
        factor_covariance=pd.DataFrame(
            np.atleast_2d(np.cov(F, rowvar=False, ddof=1)), index=names, columns=names
        ),
        residual_variance=pd.Series(resid_var, index=assets, name="residual_variance"),
        std_errors=pd.DataFrame(ses, index=assets, columns=names),
        residual_covariance=pd.DataFrame(resid_cov, index=assets, columns=assets),
        rsquared=pd.Series(r2, index=assets, name="R2"),
        alphas=pd.Series(alphas, index=assets, name="alpha"),
        periods_per_year=ppy,
    )


def factor_decomposition(
    weights: pd.Series,
    model: FactorModel,
    /,
    *,
    covariance: pd.DataFrame | None = None,
    residuals: Literal["full", "diagonal"] = "full",
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Split portfolio variance into per-factor (Euler) and specific parts that add up.

    Parameters
    ----------
    weights : Series
    model : FactorModel
    covariance : DataFrame, optional
        The asset covariance whose portfolio variance is split (a shrunk
        estimate, say). The residual covariance is then the part the factors do
        not explain, :math:`\\Sigma_E = \\Sigma - B\\Sigma_F B^\\top`, so the rows add up
        to :math:`w^\\top\\Sigma w` exactly. By default the model's sample residual
        covariance, which adds up to the sample covariance of the returns the
        model was fitted on.
    residuals : {"full", "diagonal"}, default="full"
        ``"diagonal"`` keeps only the residual variances (residuals taken as
        uncorrelated, as a diagonal-residual risk model does) and reports what that
        leaves out in the row ``"residual correlation"``, so the total is still
        the portfolio variance.
    periods_per_year : float, optional
        Annualisation of the variances: the model's (:attr:`FactorModel.periods_per_year`)
        when None; a model without one (given exposures, dates without a calendar)
        gives per-period figures.

    Returns
    -------
    DataFrame
        Rows: each factor, then ``"idiosyncratic"`` (the specific part), with
        ``residuals="diagonal"`` the ``"residual correlation"`` gap, then
        ``"total"``; columns ``exposure`` (portfolio beta), ``variance`` (per period,
        or annualised), ``share`` (of total variance), ``volatility_contribution``
        (variance / total volatility, so the rows sum to the volatility) and ``units``
        (``"annual"`` or ``"per period"``).
    """
    from riskkit._core.validation import check_choice, check_covariance

    check_choice("residuals", residuals, ("full", "diagonal"))
    w = check_weights("weights", weights, shares=True)
    assets = model.betas.index
    check_same_assets("weights", w.index, "model betas", assets)
    if covariance is not None:
        covariance = check_covariance("covariance", covariance)
        check_same_assets("covariance", covariance.index, "model betas", assets)
    ppy = resolve_periods_per_year(None, periods_per_year)
    return factor_decomposition_core(w.reindex(assets).to_numpy(), model, covariance, residuals, ppy)


def factor_decomposition_core(
    wv: np.ndarray, model: FactorModel, cov: pd.DataFrame | None, residuals: str, ppy: float | None
) -> pd.DataFrame:
    """The computation of :func:`factor_decomposition`, on inputs already checked by
    :func:`factor_decomposition`: ``wv`` the checked weights aligned to the model's assets, ``cov``
    None or a checked covariance of those assets, ``residuals`` ``"full"`` or ``"diagonal"``,
    ``ppy`` checked positive or None, which means the model's own (:attr:`FactorModel.periods_per_year`)."""
    if ppy is None and model.periods_per_year is not None:
        ppy = resolve_periods_per_year(None, model.periods_per_year)
    assets = model.betas.index
    B = model.betas.to_numpy()
    SF = model.factor_covariance.reindex(index=model.betas.columns, columns=model.betas.columns).to_numpy()
    b = B.T @ wv
    sigma_f, _, component = euler_contributions(b, SF)
    sys_k = component * sigma_f  # b_k (Sigma_F b)_k: the Euler split of the systematic variance
    if cov is not None:
        SE = cov.reindex(index=assets, columns=assets).to_numpy() - B @ SF @ B.T
    elif model.residual_covariance is not None:
        SE = model.residual_covariance.reindex(index=assets, columns=assets).to_numpy()
    else:
        SE = np.diag(model.residual_variance.reindex(assets).to_numpy())
    full = float(wv @ SE @ wv)
    total = float(sys_k.sum()) + full
    if residuals == "diagonal":
        idio = float(np.sum(wv**2 * np.diag(SE)))
        parts, names = [idio, full - idio], ["idiosyncratic", "residual correlation"]
    else:
        parts, names = [full], ["idiosyncratic"]
    scale = 1.0 if ppy is None else ppy
    var = np.append(sys_k, [*parts, total]) * scale
    vol = np.sqrt(total * scale)
    out = pd.DataFrame(
        {
            "exposure": np.append(b, [np.nan] * (len(parts) + 1)),
            "variance": var,
            "share": var / (total * scale),
            "volatility_contribution": var / vol,
            "units": units(ppy),
        },
        index=pd.Index([*map(str, model.betas.columns), *names, "total"], name="source"),
    )
    return out
