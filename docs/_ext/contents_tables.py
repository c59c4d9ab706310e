"""Module docstrings' aligned lists as tables on the API pages.

riskkit's module docstrings list what they hold under headings such as "Contents",
"Errors", "Warnings" or "Methods (``method=``)", one ``name  description`` row per
line, a description running on over indented lines::

    Contents
    --------
    shrink            one estimate from a returns table, any method below
    load, load_prices  a bundled dataset by name
    Parameter, GridResult
    plot_a, plot_b
                      the figures

Each such list becomes a two-column table: the names, each linked to its entry
when the module exports it, and the description. The subpackage page then opens
with the summary line and the contents table; the layout notes ("May import:",
"Inside:") move to the end of the module's text, under "Layout". Any other
heading's text (References) is left as written, shown preformatted.
"""

from __future__ import annotations

import importlib
import re

TABLES = ("Contents", "Errors", "Warnings", "Methods")
LAYOUT = ("May import:", "Inside:")
_NAME = r"(?:``[^`]+``|[A-Za-z_][\w.]*(?:\(\))?)"
_ROW = re.compile(rf"^(?P<names>{_NAME}(?:,\s*{_NAME})*)(?:\s+(?P<text>\S.*))?$")
_PLAIN = re.compile(r"([\\*|_`<>\[\]])")
_MARKUP = re.compile(r"(``[^`]+``|:[a-z:]+:`[^`]+`)")


def escape(text: str) -> str:
    """``text`` as reStructuredText: literals (````x````) and roles (``:func:`x```) kept,
    every other character that reST would read as markup (``*``, ``|``, ``_``, ...) escaped."""
    parts = _MARKUP.split(text)
    return "".join(p if i % 2 else _PLAIN.sub(r"\\\1", p) for i, p in enumerate(parts))


def parse_rows(lines: list[str]) -> list[tuple[list[str], str]] | None:
    """The ``(names, description)`` rows of an aligned list, or None when the lines are
    not one (a row that does not start with names, a first line that is indented)."""
    rows: list[tuple[list[str], str]] = []
    for line in lines:
        if line[:1].isspace():
            if not rows:
                return None
            names, text = rows[-1]
            rows[-1] = (names, f"{text} {line.strip()}".strip())
            continue
        match = _ROW.match(line.rstrip())
        if match is None:
            return None
        names = [n.strip() for n in match["names"].split(",")]
        rows.append((names, (match["text"] or "").strip()))
    return rows or None


def name_cell(names: list[str], module: str, exported: set[str]) -> str:
    """The names of one row: a cross-reference for each name the module exports, a
    literal for the others (a ``method=`` choice, a name documented elsewhere)."""
    cells = []
    for name in names:
        bare = name.removesuffix("()")
        if name.startswith("``"):
            cells.append(name)
        elif bare in exported:
            cells.append(f":py:obj:`~{module}.{bare}`")
        else:
            cells.append(f"``{name}``")
    return ", ".join(cells)


def table(rows: list[tuple[list[str], str]], module: str, exported: set[str]) -> list[str]:
    """A ``list-table`` of the rows."""
    out = ["", ".. list-table::", "   :class: riskkit-contents", "   :widths: 35 65", ""]
    for names, text in rows:
        out += [f"   * - {name_cell(names, module, exported)}", f"     - {escape(text)}"]
    return [*out, ""]


def exported_names(module: str) -> set[str]:
    """The public names of ``module``: its ``__all__``, else every name not starting with _."""
    mod = importlib.import_module(module)
    return set(getattr(mod, "__all__", None) or (n for n in vars(mod) if not n.startswith("_")))


def paragraphs(lines: list[str]) -> list[list[str]]:
    """The lines split at blank lines (blank lines dropped)."""
    out: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            out[-1].append(line)
        elif out[-1]:
            out.append([])
    return [p for p in out if p]


def convert(lines: list[str], module: str) -> list[str]:
    """A module docstring's lines with its aligned lists as tables and the layout notes
    moved to the end, so the page reads: what the module answers, its contents, the rest."""
    exported = exported_names(module)
    out: list[str] = []
    layout: list[str] = []
    for block in paragraphs(lines):
        if block[0].startswith(LAYOUT):
            layout += [*block, ""]
        elif len(block) > 1 and set(block[1].strip()) == {"-"}:
            out += _section(block, module, exported)
        else:
            out += [*block, ""]
    if layout:
        out += ["", ".. rubric:: Layout", "", *layout]
    return out


def _section(block: list[str], module: str, exported: set[str]) -> list[str]:
    """One headed section: a rubric and its table, or its text preformatted."""
    title, rest = block[0].strip(), block[2:]
    rows = parse_rows(rest) if title.split(" ")[0] in TABLES else None
    out = ["", f".. rubric:: {title.replace('``', '')}", ""]
    if rows is not None:
        return out + table(rows, module, exported)
    return out + ["::", ""] + ["    " + line for line in rest] + [""]


def process(app, what, name, obj, options, lines):
    """autodoc-process-docstring: convert module docstrings."""
    if what == "module" and lines:
        lines[:] = convert(lines, name)


def setup(app):
    app.connect("autodoc-process-docstring", process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
