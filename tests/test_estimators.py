"""riskkit.estimators: scikit-learn compatibility of the shrinkage estimator."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.covariance import OAS, LedoitWolf
from sklearn.model_selection import GridSearchCV

from riskkit.estimators import CovarianceShrinkage
from riskkit.exceptions import InvalidParameterError
from riskkit.shrinkage import shrink


@pytest.fixture
def X():
    g = np.random.default_rng(0)
    return g.multivariate_normal(np.zeros(8), np.eye(8) + 0.5, 120) * 0.02


def test_fit_returns_self_and_matches_scikit_learn(X):
    est = CovarianceShrinkage()
    assert est.fit(X) is est
    ref = LedoitWolf().fit(X)
    np.testing.assert_allclose(est.covariance_, ref.covariance_, rtol=1e-12)
    assert est.shrinkage_ == pytest.approx(ref.shrinkage_, rel=1e-12)
    np.testing.assert_allclose(est.location_, ref.location_)
    assert est.score(X[:40]) == pytest.approx(ref.score(X[:40]), rel=1e-10)
    oas = CovarianceShrinkage(method="oas").fit(X)
    np.testing.assert_allclose(oas.covariance_, OAS().fit(X).covariance_, rtol=1e-12)


def test_params_clone_and_set(X):
    est = CovarianceShrinkage(method="ledoit_wolf", target="single_index", intensity=0.2)
    params = est.get_params()
    assert params["target"] == "single_index" and params["intensity"] == 0.2
    twin = clone(est).fit(X)
    np.testing.assert_allclose(
        twin.covariance_, shrink(X, target="single_index", intensity=0.2).covariance.to_numpy()
    )
    est.set_params(method="nonlinear", target="identity", intensity=None)
    np.testing.assert_allclose(est.fit(X).covariance_, shrink(X, method="nonlinear").covariance.to_numpy())
    assert est.shrinkage_ is None


def test_cross_validated_choice_of_intensity_and_method(X):
    grid = GridSearchCV(
        CovarianceShrinkage(target="constant_correlation"), {"intensity": [0.0, 0.25, 0.5, 0.75, 1.0]}, cv=4
    )
    grid.fit(X)
    scores = grid.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert grid.best_params_["intensity"] == [0.0, 0.25, 0.5, 0.75, 1.0][int(np.argmax(scores))]
    methods = GridSearchCV(
        CovarianceShrinkage(), {"method": ["sample", "oas", "ledoit_wolf", "nonlinear"]}, cv=3
    ).fit(X)
    assert methods.best_params_["method"] in ("oas", "ledoit_wolf", "nonlinear")


def test_bad_parameters_surface_at_fit(X):
    with pytest.raises(InvalidParameterError, match="method='lw'"):
        CovarianceShrinkage(method="lw").fit(X)
