"""riskkit.evaluation: losses and the out-of-sample minimum-variance test."""

import numpy as np
import pandas as pd
import pytest

from riskkit import evaluation
from riskkit.exceptions import InvalidParameterError
from riskkit.simulation import simulate_market


def test_frobenius_loss_hand_computed():
    truth = pd.DataFrame([[2.0, 0.0], [0.0, 1.0]], index=["a", "b"], columns=["a", "b"])
    est = truth + pd.DataFrame([[0.0, 0.3], [0.3, -0.4]], index=["a", "b"], columns=["a", "b"])
    loss, rel = evaluation.frobenius_loss(est, truth)
    assert loss == pytest.approx(np.sqrt(0.09 * 2 + 0.16))
    assert rel == pytest.approx(loss / np.sqrt(5.0))
    with pytest.raises(InvalidParameterError, match="same asset labels"):
        evaluation.frobenius_loss(est[["b", "a"]].loc[["b", "a"]], truth)


def test_experiment_shape_and_reference():
    table = evaluation.estimation_experiment(
        methods=["ledoit_wolf", "oas"], n_assets=10, ratios=(1, 4), seeds=(0, 1)
    )
    assert list(table["method"].unique()) == ["sample", "ledoit_wolf", "oas"]
    assert (table.loc[table["method"] == "sample", "improvement"] == 0).all()
    assert list(table["T"].unique()) == [10, 40]
    # the loss of a method at one ratio is the mean over seeds of a direct computation
    from riskkit.shrinkage import shrink

    direct = np.mean(
        [
            evaluation.frobenius_loss(shrink(m.returns).covariance, m.true_covariance)[0]
            for m in (simulate_market(n_assets=10, n_periods=40, seed=s) for s in (0, 1))
        ]
    )
    got = table.query("method == 'ledoit_wolf' and T == 40")["loss"].item()
    assert got == pytest.approx(direct, rel=1e-12)


def test_shrinkage_wins_when_observations_are_scarce():
    table = evaluation.estimation_experiment(
        methods=["ledoit_wolf"], n_assets=40, ratios=(0.5,), seeds=(0, 1, 2)
    )
    assert table.query("method == 'ledoit_wolf'")["improvement"].item() > 10


def test_min_variance_backtest_hand_check():
    m = simulate_market(n_assets=6, n_periods=400, seed=4, calendar="business")
    r = m.returns
    out = evaluation.min_variance_backtest(r, methods=["ledoit_wolf"], window=100, step=50)
    assert list(out.index) == ["sample", "ledoit_wolf"]
    assert out.loc["sample", "vs_sample"] == 1.0
    # recompute the sample-covariance path by hand
    path = []
    for end in range(99, len(r) - 1, 50):
        cov = np.cov(r.iloc[end - 99 : end + 1].to_numpy(), rowvar=False)
        w = np.linalg.solve(cov, np.ones(6))
        w /= w.sum()
        path.append(r.iloc[end + 1 : end + 51].to_numpy() @ w)
    vol = np.std(np.concatenate(path), ddof=1) * np.sqrt(252)
    assert out.loc["sample", "volatility"] == pytest.approx(vol, rel=1e-10)
    assert set(out["units"]) == {"annual"}
    # on a plain index (no dates) the volatility stays per period, the common rule
    plain = evaluation.min_variance_backtest(
        r.reset_index(drop=True), methods=["ledoit_wolf"], window=100, step=50
    )
    assert plain.loc["sample", "volatility"] == pytest.approx(vol / np.sqrt(252), rel=1e-10)
    assert set(plain["units"]) == {"per period"}
    with pytest.raises(InvalidParameterError, match="exceeds the 400 observations"):
        evaluation.min_variance_backtest(r, methods=["oas"], window=390, step=20)
