"""The HTML of a report (no code, formulas as MathML) and screenshots in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from riskkit.reports._imports import LOCK as IMPORTS


def _write_html(executed, target: Path) -> None:
    """The HTML of an executed notebook (a NotebookNode, left unchanged) without code."""
    import copy

    with IMPORTS:
        from nbconvert import HTMLExporter

    nb = copy.deepcopy(executed)
    nb.metadata.pop("widgets", None)  # no widget state, so no widget-manager script from a CDN
    nb.metadata["title"] = _title(nb)  # the page's <title> (nbconvert's default is the file name)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _tex_to_mathml(cell.source)
        elif cell.cell_type == "code":
            # live controls need a kernel; the explorers' default figures and tables are outputs of
            # their own, which stay
            cell.outputs = [o for o in cell.outputs if _WIDGET not in o.get("data", {})]
    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        extra_loaders=[_offline_template()],
        template_file="riskkit-report.html.j2",
    )
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def _title(nb) -> str:
    """The report's title: the notebook's ``title`` metadata if it has one, else its first Markdown
    heading (without the ``#`` marks, bold or code marks), else "riskkit report"."""
    if nb.metadata.get("title"):
        return str(nb.metadata["title"])
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            heading = line.lstrip("#").strip().replace("**", "").replace("`", "")
            if line.startswith("#") and heading:
                return heading
    return "riskkit report"


def _offline_template():
    """JupyterLab's page without the scripts it fetches from a CDN when opened:
    require.js (no output here needs it), MathJax (formulas are MathML already)
    and mermaid (no diagrams). A report opens offline and loads nothing from
    elsewhere; its styles and images are inline."""
    from jinja2 import DictLoader

    return DictLoader(
        {
            "riskkit-report.html.j2": "{%- extends 'index.html.j2' -%}\n"
            "{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}\n"
            "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
            "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
        }
    )


_WIDGET = "application/vnd.jupyter.widget-view+json"
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.S)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]+?)\$")


def _tex_to_mathml(markdown: str) -> str:
    """``$...$`` and ``$$...$$`` of a markdown cell as MathML, which browsers render
    without scripts: the HTML's MathJax comes from a CDN that offline readers
    cannot reach, leaving raw TeX. Code spans are left alone."""
    with IMPORTS:
        from latex2mathml.converter import convert

    def math(m: re.Match, display: str) -> str:
        return convert(m.group(1).strip(), display=display).replace("\n", "")

    out, last = [], 0
    for code in _CODE_SPAN.finditer(markdown):
        out.append(markdown[last : code.start()])
        out.append(code.group(0))
        last = code.end()
    out.append(markdown[last:])
    for i in range(0, len(out), 2):  # the even pieces are outside code spans
        text = _DISPLAY_MATH.sub(lambda m: math(m, "block"), out[i])
        out[i] = _INLINE_MATH.sub(lambda m: math(m, "inline"), text)
    return "".join(out)


def screenshot(
    html: str | os.PathLike,
    png: str | os.PathLike,
    /,
    *,
    width: int = 1200,
    height: int = 6000,
    browser: str | None = None,
    timeout: float = 120.0,
) -> Path:
    """Render ``html`` in a headless Chromium (``browser``, or the first of
    chromium / chromium-browser / google-chrome on the PATH) and save a
    ``width`` x ``height`` PNG. Debian: ``apt-get install chromium``."""
    html_path = Path(html).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(f"report {str(html)!r} does not exist.")
    exe = browser or next(
        (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if exe is None:
        raise FileNotFoundError("no Chromium found on the PATH (Debian: apt-get install chromium).")
    out = Path(png).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={out}",
            html_path.as_uri(),
        ]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if res.returncode != 0 or not out.is_file():
        raise RuntimeError(
            f"{exe} could not take the screenshot (exit {res.returncode}): {res.stderr[-2000:]}"
        )
    return out
