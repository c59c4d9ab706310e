"""Factor exposures and the factor split of portfolio risk.

Contents
--------
factor_exposures      OLS of each asset's returns on factor returns (statsmodels):
                      betas, standard errors, R^2, residual variances
FactorModel           the fitted model, or one built from given exposures
factor_decomposition  portfolio variance = systematic (per factor, Euler) + idiosyncratic

Model: :math:`r_{it} = a_i + \\sum_k \\beta_{ik} f_{kt} + e_{it}`. For weights
:math:`w`, the portfolio exposure is :math:`b = B^\\top w`, the systematic
variance :math:`b^\\top \\Sigma_F b` split by factor as
:math:`b_k (\\Sigma_F b)_k`, and the idiosyncratic variance
:math:`\\sum_i w_i^2 \\sigma^2_{e,i}` (residuals taken as uncorrelated).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit._validation import check_same_assets, check_weights, format_items, returns_matrix
from riskkit.exceptions import InvalidParameterError

__all__ = ["FactorModel", "factor_decomposition", "factor_exposures"]


@dataclass(frozen=True, eq=False)
class FactorModel:
    """Exposures of assets to factors.

    Attributes
    ----------
    betas : DataFrame (assets x factors)
    factor_covariance : DataFrame (factors x factors), per period
    residual_variance : Series (assets), per period
    std_errors : DataFrame or None
        OLS standard errors of the betas (None when exposures were given).
    rsquared : Series or None
    alphas : Series or None
        Intercepts, per period.
    """

    betas: pd.DataFrame
    factor_covariance: pd.DataFrame
    residual_variance: pd.Series
    std_errors: pd.DataFrame | None = field(default=None, repr=False)
    rsquared: pd.Series | None = field(default=None, repr=False)
    alphas: pd.Series | None = field(default=None, repr=False)

    def summary(self) -> pd.DataFrame:
        """Betas with their standard errors in brackets, and R^2, one row per asset."""
        out = self.betas.round(3).astype(str)
        if self.std_errors is not None:
            out = out + " (" + self.std_errors.round(3).astype(str) + ")"
        if self.rsquared is not None:
            out["R2"] = self.rsquared.round(3)
        return out


def factor_exposures(returns: pd.DataFrame, factors: pd.DataFrame | pd.Series, /) -> FactorModel:
    """Fit each asset's returns on the factors by OLS with an intercept (statsmodels).

    ``factors`` must have exactly the dates of ``returns`` (align them first,
    for example with :func:`riskkit.calendar.align_prices` on prices). The
    factor covariance and residual variances use ddof = 1.
    """
    import statsmodels.api as sm

    X, index, assets = returns_matrix("returns", returns)
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
    betas, ses, r2, alphas, resid_var = [], [], [], [], []
    for j in range(X.shape[1]):
        fit = sm.OLS(X[:, j], design).fit()
        alphas.append(fit.params[0])
        betas.append(fit.params[1:])
        ses.append(fit.bse[1:])
        r2.append(fit.rsquared if np.isfinite(fit.rsquared) else 1.0)
        resid_var.append(float(np.var(fit.resid, ddof=1)))
    # a factor may also be an asset (BTC as the crypto market factor): its fit is exact, residual zero
    return FactorModel(
        betas=pd.DataFrame(betas, index=assets, columns=names),
        factor_covariance=pd.DataFrame(
            np.atleast_2d(np.cov(F, rowvar=False, ddof=1)), index=names, columns=names
        ),
        residual_variance=pd.Series(resid_var, index=assets, name="residual_variance"),
        std_errors=pd.DataFrame(ses, index=assets, columns=names),
        rsquared=pd.Series(r2, index=assets, name="R2"),
        alphas=pd.Series(alphas, index=assets, name="alpha"),
    )


def factor_decomposition(
    weights: pd.Series, model: FactorModel, /, *, periods_per_year: float | None = None
) -> pd.DataFrame:
    """Split portfolio variance into per-factor (Euler) and idiosyncratic parts.

    Returns
    -------
    DataFrame
        Rows: each factor, then ``"idiosyncratic"``, then ``"total"``; columns
        ``exposure`` (portfolio beta), ``variance`` (per period, or annualised
        with ``periods_per_year``), ``share`` (of total variance) and
        ``volatility_contribution`` (variance / total volatility, so the rows
        sum to the volatility).
    """
    w = check_weights("weights", weights)
    check_same_assets("weights", w.index, "model betas", model.betas.index)
    wv = w.reindex(model.betas.index).to_numpy()
    B = model.betas.to_numpy()
    SF = model.factor_covariance.reindex(index=model.betas.columns, columns=model.betas.columns).to_numpy()
    b = B.T @ wv
    sys_k = b * (SF @ b)
    idio = float(np.sum(wv**2 * model.residual_variance.reindex(model.betas.index).to_numpy()))
    total = float(sys_k.sum()) + idio
    scale = 1.0 if periods_per_year is None else float(periods_per_year)
    var = np.append(sys_k, [idio, total]) * scale
    vol = np.sqrt(total * scale)
    out = pd.DataFrame(
        {
            "exposure": np.append(b, [np.nan, np.nan]),
            "variance": var,
            "share": var / (total * scale),
            "volatility_contribution": var / vol,
        },
        index=pd.Index([*map(str, model.betas.columns), "idiosyncratic", "total"], name="source"),
    )
    return out
