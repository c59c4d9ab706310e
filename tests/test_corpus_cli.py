"""The corpus (tests/corpus.py) through the command line: every file goes through
``riskkit report notebooks/risk_report.ipynb`` with only the options its Case states,
following only the advice the CLI prints (its first ``try:``, again until the report
completes or no advice is printed). A good file must end with exit 0 and a report whose
dates, calendar, volatility and notes are what pandas says of the file; a bad file must
end with exit 2 and its riskkit error, never a traceback, never a report.

Slow: one report per file (about 4 s each on the cheapest parameters: no option book, no
derivatives, half a year of backtest, the sample covariance so the volatility is pandas').
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit import cli
from tests.corpus import write_corpus

pytest.importorskip("papermill")
pytestmark = pytest.mark.slow

NOTEBOOK = "notebooks/risk_report.ipynb"
CHEAP = [
    *("-p", "options", "[]", "-p", "hedges", "{}", "-p", "margined", "[]", "-p", "backtest_years", "0.5"),
    *("-p", "shrinkage", "sample", "--no-progress"),
]
LOOKBACK, WINDOW = 365, 180  # the notebook's defaults, which the test leaves alone
SUMMARY = re.compile(
    r"(?P<count>\d+) prices from (?P<first>\S+) to (?P<last>\S+), (?P<ppy>[\d.]+) periods a year; "
    r"\*\*(?P<today>\S+)\*\* is today"
)
NAMES = [c.name for c in write_corpus(Path(tempfile.mkdtemp()))]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {c.name: c for c in write_corpus(tmp_path_factory.mktemp("corpus"))}


def _option(name, value) -> list[str]:
    text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True).strip()
    return ["-p", name, text.removesuffix("\n...").strip()]


def _advice(err: str) -> list[str] | None:
    found = re.search(r"try: (.*?)(?:  or: |$)", err, flags=re.M)
    return shlex.split(found.group(1)) if found else None


def _follow(case, out: Path, capsys) -> tuple[int, str, list[str]]:
    """Run the report as a user would: the Case's options, then each first advice printed."""
    argv = ["report", NOTEBOOK, "-p", "data", str(case.path), *CHEAP, "--out", str(out), "--name", case.name]
    for name, value in case.options.items():
        argv += _option(name, value)
    followed: list[str] = []
    while True:
        code = cli.main(argv)
        err = capsys.readouterr().err
        assert "Traceback" not in err, err
        advice = _advice(err) if code == 2 else None
        if advice is None:
            return code, err, followed
        assert not set(zip(advice[1::2], advice[2::2], strict=False)) & set(
            zip(followed[1::2], followed[2::2], strict=False)
        ), f"the same advice again: {advice}\n{err}"
        assert advice[0] == "-p" and "(" not in " ".join(advice), advice  # options, never Python code
        assert len(followed) < 12, f"advice without end: {followed}"
        followed += advice
        argv += advice


def _outputs(notebook: Path) -> tuple[list[str], list[str]]:
    """The executed notebook's Markdown and text outputs, and its stderr streams."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    shown, stderr = [], []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                (stderr if out.get("name") == "stderr" else shown).append("".join(out["text"]))
            for kind in ("text/markdown", "text/plain"):
                if kind in out.get("data", {}):
                    shown.append("".join(out["data"][kind]))
    return shown, stderr


def _pandas_periods_per_year(index) -> float:
    """The calendar of a Case that states none, from its dates by hand: intraday bars are
    bars a day x 365 days (a weekend in the dates) or 260 (weekdays only); coarser dates
    are 365.25 / their median spacing in days."""
    spacing = index.to_series().diff().median()
    if spacing < pd.Timedelta("1D"):
        return round(pd.Timedelta("1D") / spacing) * (365 if (index.day_of_week >= 5).any() else 260)
    return round(365.25 / spacing.days)


@pytest.mark.parametrize("name", NAMES)
def test_each_file_gives_a_right_report_or_a_riskkit_error(corpus, name, tmp_path, capsys):
    case = corpus[name]
    code, err, followed = _follow(case, tmp_path, capsys)
    if case.error is not None:
        if not followed:
            assert code == 2 and f"{case.error.__name__}: " in err, err
            assert not (tmp_path / name).exists()
            return
        # the bad part cut away by the advice (a truncated last row: end before it): a report of the rest
        assert code == 0, err
        end = dict(zip(followed[1::2], followed[2::2], strict=False)).get("end")
        kept, _ = _outputs(tmp_path / name / f"{name}.ipynb")
        assert end is not None and SUMMARY.search("\n".join(kept))["today"] == end, followed
        return
    assert code == 0, f"{err}\nadvice followed: {followed}"
    _check_report(case, tmp_path / name, followed)


def _check_report(case, folder: Path, followed: list[str]) -> None:
    expected = case.expected
    shown, stderr = _outputs(folder / f"{case.name}.ipynb")
    assert stderr == [], stderr  # no warnings in the report
    text = "\n".join(shown)
    summary = SUMMARY.search(text)
    assert summary, text[:2000]
    first, last = expected.index[0], expected.index[-1]
    assert int(summary["count"]) == len(expected)
    assert (summary["first"], summary["last"]) == (f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}")
    assert summary["today"] == f"{last:%Y-%m-%d}"
    ppy = case.periods_per_year or _pandas_periods_per_year(expected.index)
    assert float(summary["ppy"]) == ppy
    assert "Check the data before reading on" not in text  # no split-like move left in the figures
    # the volatility of today's (equal-weight) portfolio: the sample covariance of the last
    # min(365, T) returns, annualised with the calendar's periods per year
    returns = expected.pct_change().iloc[1:]
    recent = returns.iloc[-min(LOOKBACK, len(returns)) :]
    w = np.full(returns.shape[1], 1.0 / returns.shape[1])
    volatility = float(np.sqrt(w @ recent.cov().to_numpy() @ w * ppy))
    figures = json.loads((folder / "manifest.json").read_text())["key_figures"]
    figures = figures if isinstance(figures, dict) else yaml.safe_load(figures)
    assert figures["volatility"] == pytest.approx(volatility, rel=1e-9)
    assert figures["date"] == f"{last:%Y-%m-%d}"
    # a cut lookback or window is said, with its count; one that fits is not
    cut_lookback = f"lookback {LOOKBACK} cut to {len(returns)} periods" in text
    cut_window = f"window {WINDOW} cut to {len(returns) // 2} periods" in text
    assert cut_lookback == (len(returns) < LOOKBACK), case.name
    assert cut_window == (len(returns) // 2 < WINDOW), case.name
