"""Advice that works by construction: the CLI prints a ``try:`` only after re-reading the
data with it (riskkit.cli.working_fixes), and following the first advice printed completes
the report."""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskkit as rk
from riskkit import cli, reports
from tests.corpus import write_corpus

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


def _weekdays_beside_24_7(path):
    p = _prices()
    p.iloc[:2, 2] = np.nan  # CCC starts two days late ...
    p.loc[p.index.dayofweek >= 5, "CCC"] = np.nan  # ... and trades on weekdays only, beside two 24/7 assets
    p.rename_axis("date").to_csv(path)


@pytest.mark.parametrize(
    "write", [_gap, _staggered, _weekdays_beside_24_7], ids=["gap", "staggered", "weekdays beside 24/7"]
)
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


# ---- every error class of issue 24, fed as a user meets it, its first advice followed ----

ROOT = Path(__file__).resolve().parents[1]
READING = [  # the notebooks that read a user's file: every one
    "00_data_tour", "01_correlation_shrinkage", "02_volatility_decomposition", "03_rebalancing_policies",
    "04_risk_budgeting", "05_hedge_rebalancing", "06_tail_and_regimes", "risk_report",
]  # fmt: skip
assert sorted(READING) == sorted(
    p.stem for p in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {c.name: c for c in write_corpus(tmp_path_factory.mktemp("corpus"))}


def _indicator_export(folder: Path) -> Path:
    """A TradingView-style export with an indicator column beside OHLCV: ambiguous."""
    s = rk.datasets.load("sp500_stocks").loc["2010-01-04":"2011-12-30", "AAPL"].round(2)
    frame = pd.DataFrame(
        {"Open": s, "High": s * 1.01, "Low": s * 0.99, "Close": s, "Volume": 1000, "RSI": 50.0}
    )
    path = folder / "AAPL_rsi.csv"
    frame.to_csv(path, index_label="Date", float_format="%.2f")
    return path


def _biweekly(folder: Path) -> Path:
    """A FRED-style series every other Friday: no calendar matches 14-day spacing."""
    s = rk.datasets.load("sp500_index").loc["2000":"2005"].resample("2W-FRI").last().round(2)
    path = folder / "SP500_biweekly.csv"
    s.to_csv(path, index_label="DATE", float_format="%.2f")
    return path


def _follow_first(argv: list[str], capsys, *, rounds: int = 4) -> tuple[int, str, list[list[str]]]:
    """Run, then follow the first advice printed while the report exits 2 with one."""
    advice_taken: list[list[str]] = []
    for _ in range(rounds):
        code, err = _run(argv, capsys)
        assert "Traceback" not in err, err
        found = re.search(r"try: (.*?)(?:  or: |$)", err, flags=re.M)
        if code != 2 or not found:
            return code, err, advice_taken
        advice = shlex.split(found.group(1))
        assert advice[0] == "-p" and "(" not in " ".join(advice), advice  # options, never Python code
        advice_taken.append(advice)
        argv = [*argv, *advice]
    raise AssertionError(f"advice without end: {advice_taken}")


# (class, corpus case or writer, options a user passed, the first advice expected)
CLASSES = [
    ("sep given wrong", "excel_de", ["-p", "sep", ","], [["-p", "sep", ";"]]),
    ("decimal given wrong", "excel_de", ["-p", "decimal", "."], [["-p", "decimal", ","]]),
    ("encoding given wrong", "excel_fr", ["-p", "encoding", "utf-8"], [["-p", "encoding", "cp1252"]]),
    ("footer rows", "footer_rows", [], [["-p", "footer", "drop"]]),
    ("ohlcv with an indicator", _indicator_export, [], [["-p", "layout", "exchange"]]),
    ("duplicated dates", "duplicated_dates", [], [["-p", "duplicates", "last"]]),
    ("gaps", "fred_dots", [], [["-p", "missing", "ffill", "-p", "ffill_limit", "1"]]),
    ("truncated last row", "truncated", [], [["-p", "end", "2011-12-29"]]),
    ("calendar", _biweekly, [], [["-p", "periods_per_year", "26.0"]]),
    ("time zone offsets", "yfinance_newyork", [], []),  # read as their local dates: nothing to advise
    ("fred folder", "fred_folder", [], []),  # each file's own column read: no price_column to advise
    ("monthly, one asset", "fred_monthly", [], []),  # windows cut to the data, and said
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "source", "given", "expected"), CLASSES, ids=[c[0] for c in CLASSES])
def test_each_error_class_is_settled_by_its_first_advice(
    corpus, tmp_path, capsys, kind, source, given, expected
):
    path = source(tmp_path) if callable(source) else corpus[source].path
    argv = ["report", NOTEBOOK, "-p", "data", str(path), *NO_BOOK, *given, "--no-progress",
            "--out", str(tmp_path / "out")]  # fmt: skip
    code, err, taken = _follow_first(argv, capsys)
    assert code == 0, err
    assert taken == expected, (kind, taken)
    if kind == "ohlcv with an indicator":  # one asset, never Open/High/Low/Close as assets
        nb = json.loads((tmp_path / "out" / "risk_report" / "risk_report.ipynb").read_text())
        assert "1 asset, 504 prices" in json.dumps(nb["cells"][5]["outputs"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["empty", "binary", "nul_padded", "xlsx_named_csv"])
def test_a_bad_file_gets_its_riskkit_error_and_no_advice(corpus, tmp_path, capsys, name):
    case = corpus[name]
    argv = [
        "report",
        NOTEBOOK,
        "-p",
        "data",
        str(case.path),
        *NO_BOOK,
        "--out",
        str(tmp_path),
        "--no-progress",
    ]
    code, err = _run(argv, capsys)
    assert code == 2 and f"{case.error.__name__}: " in err and "try:" not in err, err
    assert "Traceback" not in err


@pytest.mark.slow
def test_time_zone_offsets_read_in_the_data_tour(corpus, tmp_path, capsys):
    """The data tour (which aligns the data with a business-day dataset) on a New York
    export stamped -05:00: it had refused with Python advice (prices.index.normalize())."""
    argv = ["report", "notebooks/00_data_tour.ipynb", "-p", "data", str(corpus["yfinance_newyork"].path),
            "--out", str(tmp_path), "--no-progress"]  # fmt: skip
    code, err = _run(argv, capsys)
    assert code == 0, err


@pytest.mark.slow
def test_hedging_lesson_on_monthly_data_is_settled_by_its_first_advice(tmp_path, capsys):
    """05 on month-end prices: its 120-period simulation is 10 years, past the options'
    half-year expiry; the advice (a simulation the expiry allows: 0.5 x 12 - 1 = 5 periods)
    completes the lesson."""
    p = rk.datasets.load("sp500_stocks").iloc[:, :3].resample("ME").last()
    path = tmp_path / "monthly.csv"
    p.rename_axis("date").to_csv(path)
    argv = ["report", "notebooks/05_hedge_rebalancing.ipynb", "-p", "data", str(path), "--no-progress",
            "--out", str(tmp_path / "out")]  # fmt: skip
    code, err, taken = _follow_first(argv, capsys)
    assert code == 0, err
    assert taken == [["-p", "option_days", "5"]]


def test_every_notebook_reading_files_declares_every_read_option():
    """One list (riskkit.reports.READ_OPTIONS) names riskkit.data.read's keywords; each
    notebook reading a file declares them all, with the same default."""
    import inspect

    assert list(reports.READ_OPTIONS) == [
        n for n in inspect.signature(rk.data.read).parameters if n != "source"
    ]
    for name in READING:
        declared = reports.notebook_parameters(ROOT / "notebooks" / f"{name}.ipynb")
        for option, default in reports.READ_OPTIONS.items():
            assert option in declared, (name, option)
            assert declared[option].default == default, (name, option, declared[option].default)
        assert "periods_per_year" in declared, name


def _fix_keys() -> dict[str, list[str]]:
    """Every key of a ``fixes`` dict in riskkit's sources, with where it is: the dicts inside
    a ``fixes=`` argument, an assignment or ``.append`` to a name ending in ``fixes``, or a function whose
    name ends in ``fixes`` (riskkit.data._narrow.cut_fixes). riskkit.reports and the CLI
    carry the errors' fixes from the kernel and print them: they make none."""
    found: dict[str, list[str]] = {}
    carriers = {ROOT / "riskkit" / "cli.py", *(ROOT / "riskkit" / "reports").rglob("*.py")}
    for path in sorted(set((ROOT / "riskkit").rglob("*.py")) - carriers):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        roots = []
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("fixes", "read_fixes"):
                roots.append(node.value)
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id.endswith("fixes") for t in targets):
                    roots.append(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("append", "extend", "insert")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id.endswith("fixes")
            ):
                roots.extend(node.args)
            elif isinstance(node, ast.FunctionDef) and node.name.endswith("fixes"):
                roots.extend(n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value)
        for root in roots:
            for node in ast.walk(root):
                if isinstance(node, ast.Dict):
                    for key in node.keys:
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            found.setdefault(key.value, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_fix_a_riskkit_error_carries_is_a_parameter_of_every_notebook_reading_files():
    keys = _fix_keys()
    assert {"footer", "duplicates", "decimal", "sep", "encoding", "periods_per_year", "start", "end"} <= set(
        keys
    ), keys
    for name in READING:
        declared = reports.notebook_parameters(ROOT / "notebooks" / f"{name}.ipynb")
        missing = {k: v for k, v in keys.items() if k not in declared}
        assert missing == {}, (name, missing)


def test_a_fix_that_uncovers_the_next_error_is_offered_with_that_errors_fix(tmp_path):
    """align='common' gets past the staggered start into the weekend gaps: it is offered with the
    gaps' own first fix (missing='drop', best for a weekday asset beside 24/7 ones), never alone,
    and the asset-dropping alternative comes last."""
    path = tmp_path / "mixed.csv"
    _weekdays_beside_24_7(path)
    with pytest.raises(rk.exceptions.MissingDataError) as err:
        rk.data.load(path, align="common")
    said = "Nearly every weekend is missing: 'CCC' trades on weekdays, the others every day."
    assert said in str(err.value)
    assert err.value.fixes[0] == {"missing": "drop"}
    with pytest.raises(rk.exceptions.MissingDataError) as err:
        rk.data.load(path)
    declared = reports.notebook_parameters(NOTEBOOK)
    kept = cli.working_fixes(err.value.fixes, declared, {"data": str(path)})
    assert kept[0] == {"align": "common", "missing": "drop"}
    assert kept[-1] == {"assets": ["AAA", "BBB"]}
    assert {"align": "common"} not in kept
    loaded = rk.data.load(path, **kept[0])
    assert loaded.prices.shape[1] == 3 and (loaded.prices.index.dayofweek < 5).all()


def _cell_text(folder: Path, cell_id: str) -> str:
    import nbformat

    nb = nbformat.read(next(folder.glob("*.ipynb")), as_version=4)
    cell = next(c for c in nb.cells if c.id == cell_id)
    shown = [o.get("data", {}) for o in cell.outputs]
    return "\n".join(d.get("text/markdown", "") or d.get("text/plain", "") for d in shown)


def test_a_short_history_skips_the_backtest_and_the_step_it_advises_gives_one(tmp_path, capsys):
    """41 days: after the 20-day first window, 20 days of returns cannot hold two monthly
    re-estimations; the report says so instead of annualising 20 days, and the step it names runs."""
    path = tmp_path / "short.csv"
    _prices(41).rename_axis("date").to_csv(path)
    base = ["report", NOTEBOOK, "-p", "data", str(path), *NO_BOOK[:6]]
    code, err = _run([*base, "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    text = _cell_text(tmp_path / "a" / "risk_report", "cell-29")
    assert text.startswith(
        "Too short for a backtest: after the first estimation window (20 days) the data hold 20 days"
    )
    advice = re.search(r"(-p step \d+) re-estimates", text).group(1)
    code, err = _run([*base, *shlex.split(advice), "--out", str(tmp_path / "b")], capsys)
    assert code == 0, err
    assert "From 2022-01-21 to 2022-02-10 (20 days); the target re-estimated every 10 days" in _cell_text(
        tmp_path / "b" / "risk_report", "cell-29"
    )


def _monthly(path: Path) -> None:
    """13 years of month-end prices of three assets, as a FRED or index-provider export."""
    rng = np.random.default_rng(13)
    dates = pd.date_range("2011-01-31", periods=156, freq="ME")
    steps = rng.normal(0.005, 0.045, size=(156, 3))
    frame = pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=["EQ", "BONDS", "GOLD"])
    frame.round(4).to_csv(path, index_label="DATE")


@pytest.mark.slow
@pytest.mark.parametrize("name", READING)
def test_every_notebook_gives_a_report_on_a_users_monthly_file(tmp_path, capsys, name):
    """Issue 24: a 13-year monthly file exited 2 on windows longer than its 155 returns; every
    notebook now reads it in its own calendar (12 a year), following only the advice printed
    (05's option simulation of 120 periods outlasts its options' expiry at 12 a year: it says so)."""
    import nbformat

    path = tmp_path / "monthly.csv"
    _monthly(path)
    out = tmp_path / "out"
    extra = {"risk_report": NO_BOOK[:6], "03_rebalancing_policies": ["-p", "explorer_paths", "20"]}.get(
        name, []
    )
    argv = ["report", f"notebooks/{name}.ipynb", "-p", "data", str(path), *extra, "--out", str(out)]
    code, err, taken = _follow_first(argv, capsys)
    assert code == 0, err
    assert taken == ([["-p", "option_days", "5"]] if name == "05_hedge_rebalancing" else []), taken
    nb = nbformat.read(out / name / f"{name}.ipynb", as_version=4)
    data = [o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    shown = "\n".join(str(d.get("text/markdown", "")) + str(d.get("text/plain", "")) for d in data)
    assert "12 periods a year" in shown or "one month" in shown, name
    assert not re.search(r"\b(nan|NaN)\b", shown), name
