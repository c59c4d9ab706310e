"""Sphinx configuration: `make docs` builds docs/_build/html offline, warnings as errors.

Sphinx with numpydoc because riskkit's docstrings are numpydoc and cross-reference with
Sphinx roles (:func:, :class:, :attr:, :data:, :math:); myst-parser reads the README
(the landing page) and the Markdown pages; the PyData theme (as numpy, pandas and
skfolio use) with nothing loaded from the network: its fonts and icons ship with it and
MathJax is copied into the build by sphinx-mathjax-offline. Two local extensions in
docs/_ext: contents_tables (the module docstrings' "Contents" lists as tables) and
gallery (the committed reports, reports/*/*.html, copied beside the pages at build
time with a thumbnail of their first figure, so reports/ stays their one source).
"""

from __future__ import annotations

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

sys.path.insert(0, str(DOCS / "_ext"))
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx-mathjax-offline",  # MathJax 3 copied into the build: formulas typeset with no network
    "contents_tables",  # docs/_ext: module docstrings' "Contents" lists as linked tables
    "gallery",  # docs/_ext: report cards with thumbnails of their first figure
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

# MathJax from the build's _static/mathjax (sphinx-mathjax-offline), never from a CDN
mathjax_path = "mathjax/tex-chtml.js"

html_theme = "pydata_sphinx_theme"
html_title = f"riskkit {release}"
html_static_path = ["_static"]
html_css_files = ["riskkit.css"]
html_theme_options = {
    "logo": {"text": f"riskkit {release}"},
    "navbar_align": "left",
    "header_links_before_dropdown": 6,  # API reference, Gallery, Datasets, Benchmarks, Changelog
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [],  # no links off the site
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": [],  # no "built with Sphinx" link off the site
}
html_context = {"default_mode": "light"}
html_sidebars = {"index": [], "gallery": [], "datasets": [], "benchmarks": [], "changelog": []}

gallery_root = str(ROOT)  # the committed reports: ROOT/reports/NAME/NAME.html
gallery_page = "gallery"


def _readme_links(app, relative_path, parent_docname, content):
    """The README's links to files elsewhere in the tree point at their pages here."""
    for target, page in (("data/README.md", "datasets.md"), ("reports/benchmarks.md", "benchmarks.md")):
        content[0] = content[0].replace(f"]({target})", f"]({page})")


def setup(app):
    app.connect("include-read", _readme_links)
