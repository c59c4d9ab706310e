"""Wide universes (issue 24 item 7): the decomposition's memory-linear pieces against the dense
formulas, kept here, and the top-N rule a report's figures and tables use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit.decomposition import REST, decompose, top_assets
from riskkit.decomposition.stress import correlation_stress


def _wide(T: int, N: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0, 0.01, (T, 1))
    X = market * rng.uniform(0.5, 1.5, N) + rng.normal(0.0, 1.0, (T, N)) * rng.uniform(0.01, 0.03, N)
    return pd.DataFrame(
        X, index=pd.bdate_range("2024-01-01", periods=T), columns=[f"A{i:04d}" for i in range(N)]
    )


def _dense_blend(w: np.ndarray, S: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    """The blended covariance formed in full, as the paper writes it: ((1 - l) C + l 11') o sd sd'."""
    sd = np.sqrt(np.diag(S))
    C = S / np.outer(sd, sd)
    B = ((1.0 - lam) * C + lam) * np.outer(sd, sd)
    sigma = float(np.sqrt(w @ B @ w))
    return sigma, w * (B @ w) / sigma


def test_top_assets_hand_checked():
    values = pd.Series({"a": 0.10, "b": -0.50, "c": 0.30, "d": 0.10, "e": 0.05})
    assert top_assets(values, n=3).tolist() == [
        "b",
        "c",
        "a",
    ]  # |-0.5| first; a before d (a tie, Series order)
    assert top_assets(values, n=4).tolist() == ["b", "c", "a", "d"]
    assert top_assets(values, n=10).tolist() == ["b", "c", "a", "d", "e"]
    with pytest.raises(rk.exceptions.InvalidParameterError, match="'x'"):
        top_assets(pd.Series({"x": np.nan, "y": 1.0}))


def test_captions_and_table_rows():
    assert rk.display.top_caption(30, 10_000) == "top 30 of 10,000 assets by share of risk"
    assert rk.display.top_caption(5, 5) == ""
    t = pd.DataFrame({"w": [0.5, 0.3, 0.2]}, index=["x", "y", "z"])
    out = rk.display.table(t, percent=["w"], rows=2)
    assert out.index.tolist() == ["x", "y", "… and 1 more"]
    assert out["w"].tolist() == ["50.0%", "30.0%", ""]


@pytest.mark.slow
def test_wide_decomposition_matches_dense_formulas():
    """3,000 assets x 30 returns, the report's path (a shrunk covariance, returns for the tail),
    with the clustering capped at 500 assets: the Euler split and the correlation stress equal
    the dense formulas; the cap leaves the smallest shares of risk in REST, never alerted."""
    R = _wide(30, 3000, seed=3)
    cov = rk.shrinkage.shrink(R, method="ledoit_wolf").covariance
    rng = np.random.default_rng(4)
    w = pd.Series(rng.dirichlet(np.ones(3000)), index=R.columns)
    risk = decompose(w, covariance=cov, returns=R, correlation_blends=[0.5, 1.0], dense_assets=500,
                     group_alert_share=0.01)  # fmt: skip
    S, wv = cov.to_numpy(), w.to_numpy()
    sigma = np.sqrt(wv @ S @ wv) * np.sqrt(252)
    assert risk.volatility == pytest.approx(sigma, rel=1e-12)
    dense_share = wv * (S @ wv) / (wv @ S @ wv)
    np.testing.assert_allclose(risk.assets["percent"].to_numpy(), dense_share, rtol=1e-10)
    stress = risk.stress["correlation"]
    for lam in (0.5, 1.0):
        s, comp = _dense_blend(wv, S, lam)
        assert stress.loc[lam, "volatility"] == pytest.approx(s, rel=1e-12)
        var_share = stress.loc[lam, R.columns].to_numpy(dtype=float)
        np.testing.assert_allclose(var_share, comp * stress.loc[lam, "VaR"] / s, rtol=1e-9)
    clustered = top_assets(risk.assets["percent"], n=500)
    groups = risk.assets["group"]
    assert (groups.loc[clustered] != REST).all() and (groups.drop(clustered) == REST).all()
    assert risk.groups.loc[REST, "n_assets"] == 2500
    assert REST not in set(risk.alerts["name"])  # the rest is not a concentration
    assert np.isnan(risk.concentration["effective_bets"]) and "3,000 assets" in risk.concentration["enb_note"]
    assert "independent bets not computed for 3,000 assets" in rk.decomposition.verdict(risk)


def test_correlation_stress_matches_dense_blend():
    R = _wide(60, 40, seed=1)
    cov = R.cov()
    w = pd.Series(np.linspace(-0.5, 1.5, 40), index=R.columns) / 20
    table = correlation_stress(w, cov, blends=[0.0, 0.3, 1.0])
    for lam in (0.0, 0.3, 1.0):
        s, _ = _dense_blend(w.to_numpy(), cov.to_numpy(), lam)
        assert table.loc[lam, "volatility"] == pytest.approx(s, rel=1e-12)


def test_regimes_refuse_too_many_assets_at_once():
    from riskkit.decomposition.regimes import MAX_ASSETS, regimes

    with pytest.raises(rk.exceptions.InvalidParameterError, match=f"at most MAX_ASSETS={MAX_ASSETS}"):
        regimes(_wide(5, MAX_ASSETS + 1, seed=0))


@pytest.mark.slow
def test_main_report_refuses_an_optimised_target_above_the_cap_and_its_advice_completes(tmp_path, capsys):
    """2,001 assets x 30 rows (one more than DENSE_ASSETS): the default risk-budgeting target is
    refused before the heavy work with the closed-form targets as advice, and following the first
    advice printed gives the report, whose tables say they show the top 30 (the figures' titles
    are in their images)."""
    import json
    import re
    import shlex
    import sys
    from pathlib import Path

    pytest.importorskip("papermill")
    from riskkit import cli

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from run import write_wide_prices  # the generator of the benchmark rows

    path = write_wide_prices(tmp_path / "wide.csv", rk.decomposition.DENSE_ASSETS + 1, 30)
    no_book = ["-p", "options", "[]", "-p", "hedges", "{}", "-p", "margined", "[]"]
    base = ["report", "notebooks/risk_report.ipynb", "-p", "data", str(path), *no_book]
    base += ["--out", str(tmp_path / "out"), "--no-progress"]
    assert cli.main(base) == 2
    err = capsys.readouterr().err
    assert "2,001 weights" in err
    advice = shlex.split(re.search(r"try: (.*?)(?:  or: |$)", err, flags=re.M).group(1))
    assert advice == ["-p", "target", "inverse_volatility"]
    assert cli.main([*base, *advice]) == 0, capsys.readouterr().err
    executed = json.loads((tmp_path / "out" / "risk_report" / "risk_report.ipynb").read_text())
    text = json.dumps(executed)
    assert "top 30 of 2,001 assets by share of risk" in text
    assert "The ES-budgeted target is left out for 2,001 assets" in text
    assert "Fewer returns than assets" in text
