"""Sphinx configuration: `make docs` builds docs/_build/html offline, warnings as errors.

Sphinx with numpydoc because riskkit's docstrings are numpydoc and cross-reference with
Sphinx roles (:func:, :class:, :attr:, :data:, :math:); myst-parser reads the README
(the landing page) and the Markdown pages. The gallery lists the committed reports
(reports/*/*.html), copied beside the pages at build time, so reports/ stays their
one source.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import riskkit  # noqa: E402

project = "riskkit"
author = "riskkit developers"
copyright = "2026, riskkit developers"
release = version = riskkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc Parameters sections say the types
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"riskkit {release}"
html_static_path: list[str] = []
html_theme_options = {"description": "Portfolio risk balancing and rebalancing for Jupyter"}


def reports() -> list[tuple[str, str, Path]]:
    """(name, title, html file) of each committed report, in folder order."""
    found = []
    for page in sorted(ROOT.glob("reports/*/*.html")):
        if page.stem != page.parent.name:
            continue
        title = page.stem
        executed = page.with_suffix(".ipynb")
        if executed.is_file():  # the notebook's first heading
            cells = json.loads(executed.read_text())["cells"]
            first = next((c for c in cells if c["cell_type"] == "markdown"), None)
            if first and "".join(first["source"]).startswith("# "):
                title = "".join(first["source"]).splitlines()[0][2:].strip()
        found.append((page.stem, title, page))
    return found


def _gallery(app, docname, source):
    if docname != "gallery":
        return
    items = "\n".join(
        f'<li><a href="reports/{name}/{name}.html"><b>{html.escape(name)}</b></a> — {html.escape(title)}</li>'
        for name, title, _ in reports()
    )
    source[0] += f'\n```{{raw}} html\n<ul class="report-gallery">\n{items}\n</ul>\n```\n'


def _copy_reports(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for name, _, page in reports():
        target = Path(app.outdir) / "reports" / name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(page, target / page.name)


def _module_tables(app, what, name, obj, options, lines):
    """The aligned tables under a module docstring's headings ("Contents", "Errors",
    "Methods", ...) are shown as they are written: as preformatted text."""
    if what != "module":
        return
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if i + 1 < len(lines) and lines[i].strip() and set(lines[i + 1].strip()) == {"-"}:
            out += [lines[i + 1], "", "::", ""]
            i += 2
            while i < len(lines) and lines[i].strip():
                out.append("    " + lines[i].replace("``", ""))
                i += 1
            out.append("")
            continue
        i += 1
    lines[:] = out


def _readme_links(app, relative_path, parent_docname, content):
    """The README's links to files elsewhere in the tree point at their pages here."""
    for target, page in (("data/README.md", "datasets.md"), ("reports/benchmarks.md", "benchmarks.md")):
        content[0] = content[0].replace(f"]({target})", f"]({page})")


def setup(app):
    app.connect("source-read", _gallery)
    app.connect("include-read", _readme_links)
    app.connect("autodoc-process-docstring", _module_tables)
    app.connect("build-finished", _copy_reports)
