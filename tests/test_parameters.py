"""Parameters cells in papermill's typed form, read alike by papermill and riskkit (issue 16)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from riskkit.exceptions import InvalidParameterError, InvalidTypeError
from riskkit.reports._parameters import _parse_cell, notebook_parameters

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _papermill_parameters(path: Path) -> dict:
    from papermill.iorw import load_notebook_node
    from papermill.translators import PythonTranslator

    node = load_notebook_node(str(path))
    cell = next(c for c in node.cells if "parameters" in c.metadata.get("tags", []))
    return {p.name: p for p in PythonTranslator.inspect(cell)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_and_riskkit_read_the_same_parameters(path, caplog):
    """Same names in the same order, same declared types, same defaults, same meaning;
    and papermill parses every line (no 'Unable to parse line')."""
    ours = notebook_parameters(path)
    theirs = _papermill_parameters(path)
    assert "Unable to parse" not in caplog.text
    assert list(theirs) == list(ours)
    for name, p in ours.items():
        assert p.annotation is not None, f"{name} has no declared type"
        assert p.comment, f"{name} has no one-line meaning"
        assert theirs[name].inferred_type_name == p.kind == p.annotation
        assert ast.literal_eval(theirs[name].default) == p.default
        assert theirs[name].help == p.comment


def test_papermill_help_notebook_lists_every_parameter_with_type_and_meaning():
    path = ROOT / "notebooks" / "risk_report.ipynb"
    res = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "Unknown type" not in res.stdout and "Unable to parse" not in res.stderr
    text = " ".join(res.stdout.split())  # papermill wraps long lines
    for p in notebook_parameters(path).values():
        assert f"{p.name}: {p.annotation} (default" in text and " ".join(p.comment.split()) in text


def test_typed_cell_read_by_hand():
    src = (
        "band: float = 0.03  # absolute drift band\n"
        "value: float = 1000000  # money, a whole number is a float here\n"
        "groups: dict[str, str] = {}  # asset to group\n"
        "assets: list[str] = [\n"
        "    'A',  # continuation comments are not the meaning\n"
        "]  # assets to keep\n"
        "name: str = 'x'  # a text\n"
        "legacy = 3  # untyped: the default's type\n"
    )
    ps = _parse_cell("t.ipynb", src)
    assert list(ps) == ["band", "value", "groups", "assets", "name", "legacy"]
    assert ps["value"].default == 1000000.0 and isinstance(ps["value"].default, float)
    assert ps["value"].coerce(2) == 2.0 and ps["band"].parse("0.05") == 0.05
    assert ps["groups"].kind == "dict[str, str]" and ps["groups"].parse("{A: x}") == {"A": "x"}
    assert ps["assets"].default == ["A"] and ps["assets"].comment == "assets to keep"
    assert ps["name"].parse("0.05") == "0.05"  # text stays text
    assert ps["legacy"].kind == "int" and ps["legacy"].annotation is None
    with pytest.raises(InvalidTypeError, match=r"parameter 'band' takes a float"):
        ps["band"].coerce("wide")


@pytest.mark.parametrize(
    ("src", "match"),
    [
        ("x: float = 'a'  # m\n", r"parameter 'x' is declared float but defaults to 'a'"),
        (
            "x: set = 1  # m\n",
            r"declares type 'set'; the types are bool, int, float, str, list, dict, object",
        ),
        ("x: float = 1.0  # 1 = one\n", r"line 1 of the parameters cell has more than one '='"),
        ("x = y  # m\n", r"parameter 'x' must have a literal default"),
        ("print(1)\n", r"holds only `name: type = literal  # comment` lines \(line 1"),
    ],
)
def test_cells_papermill_cannot_read_are_refused(src, match):
    with pytest.raises(InvalidParameterError, match=match):
        _parse_cell("t.ipynb", src)


def test_cli_y_and_f_and_p_layer_like_papermill(tmp_path, capsys):
    """-f, then -y, then -p (later wins); -p reads YAML but keeps text for a str parameter."""
    from riskkit.cli import main
    from tests.test_reports import _notebook

    nb = _notebook(
        tmp_path / "t.ipynb",
        "import riskkit.reports as r\nr.key_figures({'band': band, 'name': name, 'n': len(w)})",
        'band: float = 0.03  # a band\nname: str = "x"  # a text\nw: dict[str, float] = {}  # weights',
    )
    (tmp_path / "p.yaml").write_text("band: 0.01\nname: from-file\n")
    code = main(
        ["report", str(nb), "-f", str(tmp_path / "p.yaml"), "-y", "{band: 0.02, w: {A: 1}}",
         "-p", "name", "0.05", "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 0
    manifest = json.loads((tmp_path / "out" / "t" / "manifest.json").read_text())
    assert manifest["parameters"] == {"band": 0.02, "name": "0.05", "w": {"A": 1.0}}
    assert main(["report", str(nb), "-y", "[1, 2]", "--out", str(tmp_path / "out2")]) == 2
    assert "-y: parameters are one mapping of name: value" in capsys.readouterr().err


def test_a_type_error_names_the_true_default():
    """band is a float defaulting to 0.03: the message says 0.03, not the type's zero."""
    from riskkit.reports import check_parameters

    nb = Path(__file__).resolve().parent.parent / "notebooks" / "risk_report.ipynb"
    with pytest.raises(InvalidTypeError, match=r"takes a float \(default 0\.03: "):
        check_parameters(nb, {"band": "five"})


@pytest.mark.parametrize(
    ("old", "value", "advice"),
    [
        ("cost_bps", "10", "-p proportional 0.001"),
        ("frequency", "Q", "-p freq Q"),
        ("alert_threshold", 0.3, "-p alert_share 0.3"),
    ],
)
def test_a_former_parameter_name_is_answered_with_advice_that_works(old, value, advice):
    """The advice printed for a renamed parameter is one the check accepts."""
    from riskkit.reports import check_parameters

    nb = Path(__file__).resolve().parent.parent / "notebooks" / "risk_report.ipynb"
    with pytest.raises(InvalidParameterError, match=f"{old!r} is now .*try: {advice};") as info:
        check_parameters(nb, {old: value})
    new, text = advice.removeprefix("-p ").split(" ", 1)
    from riskkit.reports import notebook_parameters

    checked = check_parameters(nb, {new: notebook_parameters(nb)[new].parse(text)})
    assert new in checked and "try" in str(info.value)
