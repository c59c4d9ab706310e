"""A grid's summary: ``summary.csv`` for machines, ``summary.html`` for people.

The page is self-contained (no CDN, no external file): a sortable table of every
member with a link to its report, its status, parameters and key figures side
by side; members whose alert figure is set are highlighted; charts compare the
members on the figures the notebook named (``key_figures(..., compare=...)``).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from riskkit.reports._manifest import _LAYOUT, _show

_STATUS_COLOURS = {
    "ok": "#e7f5e9",
    "reused": "#eef3fb",
    "failed": "#fde2e1",
    "lost": "#fde2e1",
    "cancelled": "#f2f2f2",
}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #1f2933; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } p.counts { color: #52606d; margin-top: 0; }
table { border-collapse: collapse; font-size: .85rem; margin-top: 1rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #e4e7eb; text-align: right; white-space: nowrap; }
th { background: #f5f7fa; cursor: pointer; position: sticky; top: 0; user-select: none; }
th:hover { background: #e4e7eb; } td.text { text-align: left; }
tr.alert td { background: #fff4d6; } tr.alert td:first-child { border-left: 4px solid #e5a000; }
td.status { font-weight: 600; } .charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.charts img { border: 1px solid #e4e7eb; max-width: 46rem; } .legend { font-size: .85rem; color: #52606d; }
"""

_SORT_SCRIPT = """
document.querySelectorAll("table.grid th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], rows = Array.from(body.rows);
  const asc = th.dataset.order !== "asc"; th.dataset.order = asc ? "asc" : "desc";
  const key = r => { const c = r.cells[col]; const v = c.dataset.value ?? c.textContent;
                     const n = parseFloat(v); return isNaN(n) ? v.toLowerCase() : n; };
  rows.sort((a, b) => { const x = key(a), y = key(b);
                        return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1); });
  rows.forEach(r => body.appendChild(r));
}));
"""


def write_summary(table, folder: Path, *, title: str, layout: Mapping[str, Any]) -> None:
    """Write ``summary.csv`` and ``summary.html`` of ``table`` into ``folder``."""
    table.to_csv(folder / "summary.csv")
    (folder / "summary.html").write_text(summary_html(table, title=title, layout=layout), encoding="utf-8")


def summary_html(table, *, title: str, layout: Mapping[str, Any]) -> str:
    alert = layout.get("alert")
    counts = table["status"].value_counts()
    said = ", ".join(f"{n} {s}" for s, n in counts.items())
    charts = "".join(_chart(table, spec) for spec in layout.get("compare", []))
    legend = f"<p class='legend'>Highlighted: members whose <b>{html.escape(str(alert))}</b> is set.</p>"
    legend = legend if alert else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='counts'>{len(table)} members: {html.escape(said)}. "
        "Click a column to sort.</p>"
        f"{f'<div class=charts>{charts}</div>' if charts else ''}{legend}"
        f"{_table_html(table, alert)}<script>{_SORT_SCRIPT}</script></body></html>\n"
    )


def _table_html(table, alert: str | None) -> str:
    columns = ["member", *(c for c in table.columns if c != "report")]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    rows = []
    for member, row in table.iterrows():
        flagged = alert in row.index and _set(row[alert])
        link = row.get("report") or ""
        cells = [
            f"<td class='text'><a href='{html.escape(link)}'>{html.escape(str(member))}</a></td>"
            if link
            else f"<td class='text'>{html.escape(str(member))}</td>"
        ]
        for col, v in row.items():
            if col == "report":
                continue
            style = f" style='background:{_STATUS_COLOURS.get(v, '')}'" if col == "status" else ""
            kind = "status" if col == "status" else ("text" if not _is_number(v) else "")
            value = f" data-value='{v!r}'" if _is_number(v) else ""
            cells.append(f"<td class='{kind}'{style}{value}>{html.escape(_show(v))}</td>")
        rows.append(f"<tr{' class=alert' if flagged else ''}>{''.join(cells)}</tr>")
    return f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _set(v: Any) -> bool:
    if _is_number(v):
        return v != 0
    return v is True or (isinstance(v, str) and v.lower() in ("true", "yes"))


def _chart(table, spec: str | Sequence[str]) -> str:
    """A PNG (inline) comparing the members on one figure (bars) or two (scatter)."""
    from matplotlib.figure import Figure

    names = [spec] if isinstance(spec, str) else list(spec)
    if not all(n in table.columns for n in names):
        return ""
    data = table[names].apply(lambda c: c.map(lambda v: v if _is_number(v) else math.nan)).dropna()
    if data.empty:
        return ""
    fig = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    if len(names) == 1:
        s = data[names[0]].sort_values()
        ax.barh([str(i) for i in s.index], s.to_numpy(), color="#4c78a8")
        ax.set_xlabel(names[0])
        ax.tick_params(axis="y", labelsize=7)
    else:
        x, y = data[names[0]], data[names[1]]
        ax.scatter(x, y, color="#4c78a8")
        for member, xi, yi in zip(data.index, x, y, strict=True):
            label = str(member).rsplit("-", 1)[-1]
            ax.annotate(label, (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        ax.grid(alpha=0.3)
    ax.set_title(" vs ".join(reversed(names)) if len(names) == 2 else names[0], fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    png = base64.b64encode(buf.getvalue()).decode()
    return f"<img alt='{html.escape(' vs '.join(names))}' src='data:image/png;base64,{png}'>"


def layout_of(executed: Sequence[Path]) -> dict[str, Any]:
    """The summary layout a notebook declared with its key figures (the first
    report of ``executed`` that has one)."""
    import nbformat

    for path in executed:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                if _LAYOUT in output.get("metadata", {}):
                    return dict(output["metadata"][_LAYOUT])
    return {}
