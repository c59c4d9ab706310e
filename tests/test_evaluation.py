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
        methods=["ledoit_wolf", "oas"], n_assets=10, ratios=(1, 4), seed=(0, 1)
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
        methods=["ledoit_wolf"], n_assets=40, ratios=(0.5,), seed=(0, 1, 2)
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


def test_former_names_warn_and_give_the_same_tables():
    new = evaluation.estimation_experiment(methods=["oas"], n_assets=5, ratios=(2,), seed=(0, 1))
    with pytest.warns(
        FutureWarning, match=r"estimation_experiment\(seeds=\) is now estimation_experiment\(seed=\)"
    ):
        old = evaluation.estimation_experiment(methods=["oas"], n_assets=5, ratios=(2,), seeds=(0, 1))
    pd.testing.assert_frame_equal(old, new)
    one = evaluation.estimation_experiment(methods=["oas"], n_assets=5, ratios=(2,), seed=1)
    m = simulate_market(n_assets=5, n_periods=10, seed=1)
    assert one["loss"].iloc[0] == pytest.approx(
        np.linalg.norm(m.returns.cov() - m.true_covariance), rel=1e-12
    )
    kw = dict(vary="correlation", values=[0.2], n_assets=2, years=1, seed=(0, 1))
    new = evaluation.rebalancing_experiment(**kw, dispersion=0.4)
    with pytest.warns(FutureWarning, match=r"rebalancing_experiment\(trend=\) is now .*\(dispersion=\)"):
        old = evaluation.rebalancing_experiment(**kw, trend=0.4)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(FutureWarning, match="vary='dispersion'"):
        by_old_value = evaluation.rebalancing_experiment(
            vary="trend", values=[0.4], n_assets=2, years=1, seed=0
        )
    assert by_old_value.index.name == "dispersion"


def test_rebalancing_experiment_by_hand():
    """The premium is the annual log growth of the policy minus buy-and-hold's, on the simple
    market of each seed; an int seed is one market."""
    from riskkit.rebalancing import Calendar, Config, Never, backtest
    from riskkit.simulation import simulate_simple_market

    got = evaluation.rebalancing_experiment(vary="volatility", values=[0.6], n_assets=3, years=1, seed=[3, 4])
    premiums = []
    for s in (3, 4):
        m = simulate_simple_market(n_assets=3, n_periods=365, volatility=0.6, correlation=0.3, seed=s)
        res = backtest(m.prices, pd.Series(1 / 3, index=m.prices.columns),
                       [Config("p", Calendar("M")), Config("h", Never())])  # fmt: skip
        v = res.values
        premiums.append(np.log(v["p"].iloc[-1] / v["p"].iloc[0]) - np.log(v["h"].iloc[-1] / v["h"].iloc[0]))
    assert got.loc[0.6, "premium_mean"] == pytest.approx(np.mean(premiums), rel=1e-12)
    assert got.loc[0.6, "share_won"] == np.mean(np.array(premiums) > 0)
    single = evaluation.rebalancing_experiment(vary="volatility", values=[0.6], n_assets=3, years=1, seed=3)
    assert single.loc[0.6, "premium_mean"] == pytest.approx(premiums[0], rel=1e-12)
    with pytest.raises(InvalidParameterError, match="seed is an empty sequence"):
        evaluation.rebalancing_experiment(vary="volatility", values=[0.6], seed=[])


def test_rebalancing_experiment_keeps_its_former_seeds_keyword():
    """seeds= (riskkit 0.1) is seed= now: kept for one release, warning at the caller's line."""
    kw = dict(vary="volatility", values=[0.5], years=1)
    new = evaluation.rebalancing_experiment(seed=[0, 1], **kw)
    with pytest.warns(FutureWarning, match=r"rebalancing_experiment\(seeds=\) is now") as seen:
        old = evaluation.rebalancing_experiment(seeds=[0, 1], **kw)
    assert seen[0].filename == __file__
    pd.testing.assert_frame_equal(old, new)
