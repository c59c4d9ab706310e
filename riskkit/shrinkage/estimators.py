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
import pandas as pd
from sklearn.covariance import EmpiricalCovariance
from sklearn.utils.validation import check_is_fitted, validate_data

from riskkit._core.validation import format_items
from riskkit.exceptions import DataError
from riskkit.shrinkage import shrink

__all__ = ["CovarianceShrinkage"]


class CovarianceShrinkage(EmpiricalCovariance):
    """Covariance estimator over :func:`riskkit.shrinkage.shrink`.

    Parameters are those of :func:`~riskkit.shrinkage.shrink` (``method``,
    ``target``, ``intensity``, ``halflife``, ``lam``, ``ddof``, ``detone``,
    ``assume_centered``) plus ``store_precision``. The single-index target uses
    the equal-weighted market of the data being fitted.

    Input is checked as scikit-learn's estimators check it, so the class passes
    ``sklearn.utils.estimator_checks`` for every method; a fitted estimator
    pickles (``joblib.dump`` too).

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features,)
        Set when ``X`` was a DataFrame with string column names.
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
    >>> from riskkit.shrinkage.estimators import CovarianceShrinkage
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
        """Estimate the covariance of ``X`` (n_samples, n_features); returns self.

        ``X`` is checked as scikit-learn checks it (2-D, real, finite, dense, at
        least 2 samples and 1 feature; sets ``n_features_in_`` and, for a
        DataFrame, ``feature_names_in_``), then :func:`~riskkit.shrinkage.shrink`
        does the work; a DataFrame's labels carry into ``result_``.
        """
        values = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        if hasattr(X, "columns"):
            values = pd.DataFrame(values, index=X.index, columns=X.columns, copy=False)
        result = shrink(
            values,
            method=self.method,
            target=self.target,
            intensity=self.intensity,
            halflife=self.halflife,
            lam=self.lam,
            ddof=self.ddof,
            detone=self.detone,
            assume_centered=self.assume_centered,
        )
        values = np.asarray(values)
        self.result_ = result
        self.shrinkage_ = result.intensity
        self.location_ = np.zeros(values.shape[1]) if self.assume_centered else values.mean(axis=0)
        self._set_covariance(result.covariance.to_numpy())
        return self

    def score(self, X_test, y=None):
        """Gaussian log-likelihood of ``X_test`` under the fitted model (as scikit-learn's).

        Raises
        ------
        DataError
            ``X_test`` has another number of columns than the data fitted.
        """
        self._check_n_features(X_test)
        return super().score(X_test, y)

    def mahalanobis(self, X):
        """Squared Mahalanobis distances of the rows of ``X`` (as scikit-learn's).

        Raises
        ------
        DataError
            ``X`` has another number of columns than the data fitted.
        """
        self._check_n_features(X)
        return super().mahalanobis(X)

    def _check_n_features(self, X) -> None:
        check_is_fitted(self)
        shape = np.shape(X)
        if len(shape) == 2 and shape[1] != self.n_features_in_:
            fitted = getattr(self, "feature_names_in_", None)
            named = "" if fitted is None else f" ({format_items(fitted)})"
            raise DataError(
                f"X has {shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input: score and mahalanobis take the same "
                f"columns as the data fitted{named}."
            )
