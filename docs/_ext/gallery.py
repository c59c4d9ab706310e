"""The report gallery: a card for each committed report, with a thumbnail of its first figure.

The committed reports (``reports/NAME/NAME.html``) stay the one source: at build time each
report is copied beside the pages (``reports/NAME/NAME.html`` in the site) and the first
PNG figure embedded in it (a base64 ``<img>``) is decoded, downscaled to ``WIDTH`` pixels
with Pillow (a matplotlib dependency) and written to ``_static/gallery/NAME.png`` in the
site; nothing of it is committed. The card shows the notebook's first heading, its
"What this answers" line, and the dataset it ran on (the ``data`` parameter of the
report's manifest).
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

WIDTH = 480
THUMBS = "_static/gallery"
_FIGURE = re.compile(rb'<img[^>]*\ssrc="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Report:
    """A committed report: its folder name, title, what it answers, dataset, HTML file."""

    name: str
    title: str
    answers: str
    dataset: str
    page: Path

    @property
    def link(self) -> str:
        return f"reports/{self.name}/{self.page.name}"

    @property
    def thumbnail(self) -> str:
        return f"{THUMBS}/{self.name}.png"


def _first_markdown(executed: Path) -> str:
    """The source of the executed notebook's first markdown cell ('' without one)."""
    if not executed.is_file():
        return ""
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    first = next((c for c in cells if c["cell_type"] == "markdown"), None)
    return "".join(first["source"]) if first else ""


def _title(source: str, default: str) -> str:
    """The first heading (``# 01 · Title``) of a notebook's first cell, else ``default``."""
    return source.splitlines()[0][2:].strip() if source.startswith("# ") else default


def _answers(source: str, limit: int = 150) -> str:
    """The notebook's "What this answers" paragraph as one short line (cut at a word)."""
    paragraph = next((p for p in source.split("\n\n") if p.startswith("**What this answers")), "")
    text = " ".join(paragraph.replace("*", "").replace("`", "").split())
    text = text.removeprefix("What this answers").lstrip(":, ")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return text[:1].upper() + text[1:]


def _dataset(manifest: Path) -> str:
    """The dataset the report ran on: the ``data`` parameter of its manifest ('' if none)."""
    if not manifest.is_file():
        return ""
    info = json.loads(manifest.read_text(encoding="utf-8"))
    params = info.get("effective_parameters") or info.get("parameters") or {}
    return str(params.get("data") or "")


def reports(root: Path) -> list[Report]:
    """Each committed report under ``root/reports``, in folder order."""
    found = []
    for page in sorted(root.glob("reports/*/*.html")):
        if page.stem != page.parent.name:
            continue
        source = _first_markdown(page.with_suffix(".ipynb"))
        dataset = _dataset(page.parent / "manifest.json")
        found.append(Report(page.stem, _title(source, page.stem), _answers(source), dataset, page))
    return found


def first_figure(page: Path) -> bytes | None:
    """The bytes of the first base64 PNG ``<img>`` of a report's HTML, or None."""
    match = _FIGURE.search(page.read_bytes())
    if match is None:
        return None
    try:
        data = base64.b64decode(b"".join(match[1].split()), validate=True)
    except binascii.Error:
        return None
    return data if data.startswith(PNG_MAGIC) else None


def thumbnail(png: bytes, width: int = WIDTH) -> bytes:
    """``png`` downscaled to ``width`` pixels wide (never enlarged), as PNG bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def cards(found: list[Report]) -> str:
    """The gallery's card grid as HTML."""
    items = []
    for r in found:
        items.append(
            '<div class="col"><div class="card h-100 riskkit-report">'
            f'<a href="{r.link}"><img class="card-img-top" src="{r.thumbnail}" '
            f'alt="first figure of {html.escape(r.name)}" loading="lazy"></a>'
            '<div class="card-body">'
            f'<p class="card-title"><a href="{r.link}"><b>{html.escape(r.title)}</b></a></p>'
            f'<p class="card-text">{html.escape(r.answers)}</p>'
            f'<p class="card-text report-meta"><code>reports/{html.escape(r.name)}/</code>'
            + (f" · data: <code>{html.escape(r.dataset)}</code>" if r.dataset else "")
            + "</p></div></div></div>"
        )
    grid = '<div class="row row-cols-1 row-cols-md-2 row-cols-xl-3 g-4 report-gallery">'
    return grid + "\n" + "\n".join(items) + "\n</div>"


def _source_read(app, docname, source):
    if docname == app.config.gallery_page:
        found = reports(Path(app.config.gallery_root))
        source[0] += f"\n```{{raw}} html\n{cards(found)}\n```\n"


def _build_finished(app, exception):
    """Copy each report beside the pages and write its thumbnail."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    (out / THUMBS).mkdir(parents=True, exist_ok=True)
    for r in reports(Path(app.config.gallery_root)):
        (out / r.link).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(r.page, out / r.link)
        png = first_figure(r.page)
        if png is None:
            from sphinx.util import logging

            logging.getLogger(__name__).warning("report %s has no PNG figure for its thumbnail", r.name)
            continue
        (out / r.thumbnail).write_bytes(thumbnail(png))


def setup(app):
    app.add_config_value("gallery_root", "", "html")
    app.add_config_value("gallery_page", "gallery", "html")
    app.connect("source-read", _source_read)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
