"""Advice that works by construction: the CLI prints a ``try:`` only after re-reading the
data with it (riskkit.cli.working_fixes), and following the first advice printed completes
the report."""

from __future__ import annotations

import re
import shlex

import numpy as np
import pandas as pd
import pytest

from riskkit import cli, reports

pytest.importorskip("papermill")

NOTEBOOK = "notebooks/risk_report.ipynb"
NO_BOOK = ["-p", "options", "[]", "-p", "hedges", "{}", "-p", "margined", "[]", "-p", "backtest_years", "0.5"]


def _prices(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    dates = pd.date_range("2022-01-01", periods=n, freq="D")
    steps = rng.normal(0.0, 0.02, size=(n, 3))
    return pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=["AAA", "BBB", "CCC"])


def _gap(path):
    p = _prices()
    p.iloc[100:103, 1] = np.nan  # a 3-day gap inside BBB's history
    p.rename_axis("date").to_csv(path)


def _staggered(path):
    p = _prices()
    p.iloc[:60, 2] = np.nan  # CCC starts 60 days late
    p.rename_axis("date").to_csv(path)


def _run(argv, capsys):
    code = cli.main(argv)
    return code, capsys.readouterr().err


def _first_advice(err: str) -> list[str]:
    found = re.search(r"try: (.*?)(?:  or: |$)", err, flags=re.M)
    assert found, err
    return shlex.split(found.group(1))


@pytest.mark.parametrize("write", [_gap, _staggered], ids=["gap", "staggered"])
def test_first_advice_printed_completes_the_report(tmp_path, capsys, write):
    path = tmp_path / "prices.csv"
    write(path)
    base = ["report", NOTEBOOK, "-p", "data", str(path), *NO_BOOK, "--out", str(tmp_path / "out")]
    code, err = _run(base, capsys)
    assert code == 2, err
    advice = _first_advice(err)
    assert advice[0] == "-p" and "(" not in " ".join(advice)  # options, never Python code
    code, err = _run([*base, *advice], capsys)
    assert code == 0, err


def test_a_fix_that_does_not_get_past_the_error_is_not_printed(tmp_path):
    path = tmp_path / "gap.csv"
    _gap(path)
    declared = reports.notebook_parameters(NOTEBOOK)
    fixes = [
        {"missing": "ffill", "ffill_limit": 1},
        {"missing": "ffill", "ffill_limit": 3},
        {"missing": "drop"},
    ]
    kept = cli.working_fixes(fixes, declared, {"data": str(path)})
    assert kept == [{"missing": "ffill", "ffill_limit": 3}, {"missing": "drop"}]  # the 3-day gap outlasts 1


def test_a_fix_naming_an_option_the_notebook_lacks_is_not_printed(tmp_path):
    path = tmp_path / "gap.csv"
    _gap(path)
    declared = reports.notebook_parameters(NOTEBOOK)
    fixes = [{"no_such_option": 1}, {"missing": "drop"}]
    assert cli.working_fixes(fixes, declared, {"data": str(path)}) == [{"missing": "drop"}]
