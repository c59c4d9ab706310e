"""scikit-learn estimators, thin wrappers over riskkit functions.

Contents
--------
CovarianceShrinkage   any :func:`riskkit.shrinkage.shrink` method as a scikit-learn
                      covariance estimator: ``fit(X)``, ``covariance_``, ``precision_``,
                      ``score(X_test)`` (Gaussian log-likelihood), ``get_params`` /
                      ``set_params``; so ``GridSearchCV`` can choose a method or an
                      intensity by out-of-sample likelihood.

This module imports scikit-learn; the rest of riskkit does not need it.
"""

from __future__ import annotations

import numpy as np
from sklearn.covariance import EmpiricalCovariance

from riskkit.shrinkage import shrink

__all__ = ["CovarianceShrinkage"]


class CovarianceShrinkage(EmpiricalCovariance):
    """Covariance estimator over :func:`riskkit.shrinkage.shrink`.

    Parameters are those of :func:`~riskkit.shrinkage.shrink` (``method``,
    ``target``, ``intensity``, ``halflife``, ``lam``, ``ddof``, ``detone``,
    ``assume_centered``) plus ``store_precision``. The single-index target uses
    the equal-weighted market of the data being fitted.

    Attributes
    ----------
    covariance_ : ndarray of shape (n_features, n_features)
    location_ : ndarray of shape (n_features,)
    precision_ : ndarray of shape (n_features, n_features)
    shrinkage_ : float or None
        The intensity, for the linear methods.
    result_ : ShrinkageResult
        Everything :func:`shrink` returned.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from riskkit.estimators import CovarianceShrinkage
    >>> X = np.random.default_rng(0).normal(size=(200, 10))
    >>> grid = GridSearchCV(CovarianceShrinkage(), {"intensity": [0.0, 0.5, 1.0]}, cv=3).fit(X)
    >>> grid.best_params_
    {'intensity': 1.0}
    """

    def __init__(
        self,
        *,
        method="ledoit_wolf",
        target="identity",
        intensity=None,
        halflife=None,
        lam=None,
        ddof=None,
        detone=False,
        assume_centered=False,
        store_precision=True,
    ):
        self.method = method
        self.target = target
        self.intensity = intensity
        self.halflife = halflife
        self.lam = lam
        self.ddof = ddof
        self.detone = detone
        self.assume_centered = assume_centered
        self.store_precision = store_precision

    def fit(self, X, y=None):
        """Estimate the covariance of ``X`` (n_samples, n_features); returns self."""
        result = shrink(
            X if hasattr(X, "columns") else np.asarray(X, dtype=float),
            method=self.method,
            target=self.target,
            intensity=self.intensity,
            halflife=self.halflife,
            lam=self.lam,
            ddof=self.ddof,
            detone=self.detone,
            assume_centered=self.assume_centered,
        )
        values = np.asarray(X, dtype=float)
        self.result_ = result
        self.shrinkage_ = result.intensity
        self.location_ = np.zeros(values.shape[1]) if self.assume_centered else values.mean(axis=0)
        self._set_covariance(result.covariance.to_numpy())
        return self
