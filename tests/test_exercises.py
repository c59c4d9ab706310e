"""Every exercise of the lessons (notebooks 00-06) can be done as written.

Each exercise is a markdown cell holding one machine-readable line,

    Run: `riskkit report notebooks/NN_name.ipynb [-p NAME VALUE]...`

the exact command that makes the change the exercise asks for (no ``-p``: the defaults). It is
followed by its worked answer: a code cell tagged ``answer`` that computes the numbers from the
notebook's own variables, then a markdown cell tagged ``answer`` with the explanation.

The fast tests check the form: every exercise has its line, the line names its own notebook and
parameters that exist with values of their type (as the CLI would read them), and an answer pair
follows. The slow test runs every distinct command with :func:`riskkit.reports.run` and checks
that each answer cell ran, showed something, shows no ``nan``/``None``, and that every number the
answer's prose states (outside its formulas) appears in the answer cell's output of that run.
"""

from __future__ import annotations

import html
import re
import shlex
from pathlib import Path

import nbformat
import pytest

from riskkit import reports

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("0[0-6]_*.ipynb"))
RUN = re.compile(r"^Run: `(riskkit report [^`]+)`\s*$", re.MULTILINE)
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?%?")
CITATION = re.compile(r"[A-Z][\w'é-]+(?:,? (?:&|and) [A-Z][\w'é-]+)*,? (?:19|20)\d\d")


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercises(path: Path) -> list[dict]:
    """The exercises of a notebook: title, command, parameters (as the CLI reads them) and the
    ids of the answer cells (code, markdown)."""
    nb = nbformat.read(path, as_version=4)
    declared = reports.notebook_parameters(path)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or "answer" in tags(cell):
            continue
        commands = RUN.findall(cell.source)
        if not commands and not re.search(r"^\*\*\d\. ", cell.source, re.MULTILINE):
            continue
        title = re.search(r"\*\*(\d\.[^*]+)\*\*", cell.source)
        after = nb.cells[i + 1 : i + 3]
        found.append(
            {
                "notebook": path,
                "title": title.group(1) if title else cell.source[:40],
                "commands": commands,
                "parameters": _parameters(commands[0], declared) if len(commands) == 1 else None,
                "answer_cells": [c.id for c in after if "answer" in tags(c)],
                "answer_types": [c.cell_type for c in after if "answer" in tags(c)],
            }
        )
    return found


def _parameters(command: str, declared) -> dict:
    words = shlex.split(command)
    assert words[:2] == ["riskkit", "report"], command
    params, rest = {}, words[3:]
    while rest:
        flag, name, text, *rest = rest
        assert flag == "-p", f"{command}: only -p NAME VALUE is used in exercises"
        assert name in declared, f"{command}: {name!r} is not a parameter of {words[2]}"
        params[name] = declared[name].parse(text)
    return params


ALL = [ex for path in LESSONS for ex in exercises(path)]


def _id(ex: dict) -> str:
    return f"{ex['notebook'].stem}:{ex['title'][:30]}"


def test_every_lesson_has_exercises():
    assert len(LESSONS) == 7
    per_notebook = {path.stem: sum(ex["notebook"] == path for ex in ALL) for path in LESSONS}
    assert all(n >= 2 for n in per_notebook.values()), per_notebook


@pytest.mark.parametrize("ex", ALL, ids=_id)
def test_exercise_states_one_runnable_command(ex):
    assert len(ex["commands"]) == 1, f"{_id(ex)}: give exactly one `Run:` line, found {ex['commands']}"
    words = shlex.split(ex["commands"][0])
    assert words[2] == f"notebooks/{ex['notebook'].name}"
    reports.check_parameters(ex["notebook"], ex["parameters"])
    assert ex["answer_types"] == ["code", "markdown"], f"{_id(ex)}: an answer code cell, then its prose"


def test_parameter_parsing_is_the_clis():
    """The helper reads values as ``riskkit report -p`` does (YAML, typed by the default)."""
    declared = reports.notebook_parameters(ROOT / "notebooks" / "03_rebalancing_policies.ipynb")
    got = _parameters(
        "riskkit report notebooks/03.ipynb -p stock_start 2003-01-01 -p proportional 0.001", declared
    )
    assert got == {"stock_start": "2003-01-01", "proportional": 0.001}
    with pytest.raises(AssertionError, match="not a parameter"):
        _parameters("riskkit report notebooks/03.ipynb -p dataset sp500_stocks", declared)


def output_text(cell) -> str:
    """Everything a cell displayed, as plain text (HTML tags removed)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        for kind in ("text/html", "text/markdown", "text/plain"):
            if kind in out.get("data", {}):
                parts.append(out["data"][kind])
                break
    text = html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))
    return text.replace("−", "-").replace("\u2009", " ")


def stated_numbers(prose: str) -> list[str]:
    """The numbers a worked answer states in words: not those of its formulas ($...$), its
    citations' years or its HTML."""
    text = re.sub(r"\$[^$]+\$", " ", prose)
    text = re.sub(r"<[^>]+>", " ", text)
    text = CITATION.sub(" ", text)
    return [n.replace("−", "-") for n in NUMBER.findall(text.replace("−", "-"))]


def test_stated_numbers_skip_formulas_and_citations():
    prose = "It falls from 16.8% to $\\tfrac12\\sigma^2$ about 2.4% (Maillard, Roncalli & Teïletche 2010)."
    assert stated_numbers(prose) == ["16.8%", "2.4%"]


def _key(ex: dict) -> tuple:
    return tuple(sorted(ex["parameters"].items(), key=str))


RUNS = sorted(
    {(ex["notebook"], _key(ex)) for ex in ALL if ex["parameters"] is not None},
    key=str,
)


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=lambda r: f"{r[0].stem}{''.join(f' -p {k} {v}' for k, v in r[1])}")
def test_exercise_answers_agree_with_their_run(run, tmp_path):
    path, items = run
    folder = reports.run(path, parameters=dict(items), out=tmp_path)
    executed = {c.id: c for c in nbformat.read(folder / f"{path.stem}.ipynb", as_version=4).cells}
    mine = [ex for ex in ALL if ex["notebook"] == path and _key(ex) == items]
    assert mine
    for ex in mine:
        code_id, prose_id = ex["answer_cells"]
        code = executed[code_id]
        assert not any(o.get("output_type") == "error" for o in code.outputs), _id(ex)
        shown = output_text(code)
        assert shown.strip(), f"{_id(ex)}: the answer cell shows nothing"
        assert not re.search(r"\b(nan|NaN|None)\b", shown), f"{_id(ex)}: {shown}"
        missing = [n for n in stated_numbers(executed[prose_id].source) if n not in shown]
        assert not missing, f"{_id(ex)}: the answer states {missing}, which its run does not show:\n{shown}"
