"""What a report records about itself: key figures, inputs by hash, versions, the machine."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from riskkit.reports._parameters import Parameter

_VERSIONS_OF = (
    "riskkit",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "ipykernel",
)
_KEY_FIGURES = "riskkit_key_figures"  # output metadata key written by key_figures()


def key_figures(figures: Mapping[str, Any], /) -> None:
    """Show ``figures`` (name -> number, text or bool) in the notebook and mark
    them as its key figures: the runner saves them in ``manifest.json`` and
    :func:`run_grid` tabulates them across a grid. Numbers are shown to 4
    significant digits (whole units from 10,000) and stored in full."""
    from IPython.display import display

    clean = {str(k): _plain(v) for k, v in figures.items()}
    width = max((len(k) for k in clean), default=0)
    text = "\n".join(f"{k:<{width}}  {_show(v)}" for k, v in clean.items())
    rows = "".join(
        f"<tr><th style='text-align:left'>{k}</th><td>{_show(v)}</td></tr>" for k, v in clean.items()
    )
    display(
        {"text/plain": text, "text/html": f"<table class='riskkit-key-figures'>{rows}</table>"},
        raw=True,
        metadata={_KEY_FIGURES: clean},
    )


def _plain(v: Any) -> Any:
    if hasattr(v, "item") and callable(v.item):  # numpy scalars
        v = v.item()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}"
    return str(v)


def _collect_key_figures(executed: Path) -> dict[str, Any]:
    import nbformat

    found: dict[str, Any] = {}
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            found.update(output.get("metadata", {}).get(_KEY_FIGURES, {}))
    return found


def _manifest(
    notebook: Path, declared: Mapping[str, Parameter], params: Mapping[str, Any], figures: Mapping[str, Any]
) -> dict[str, Any]:
    versions = {}
    for dist in _VERSIONS_OF:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    effective = {k: p.default for k, p in declared.items()} | dict(params)
    return {
        "notebook": notebook.name,
        "notebook_sha256": _sha256(notebook),
        "parameters": dict(params),
        "effective_parameters": effective,
        "input_files": _input_hashes(effective),
        "key_figures": dict(figures),
        "versions": versions,
        "python": platform.python_version(),
        "git_commit": _git(notebook.parent, "rev-parse", "HEAD"),
        "git_dirty": bool(_git(notebook.parent, "status", "--porcelain", "--untracked-files=no")),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _input_hashes(params: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 of every input a parameter names: an existing file (by its path as
    given) or a bundled dataset (as ``dataset:<name>``), also inside lists."""
    from riskkit import datasets

    names = set(datasets.names())
    hashes = {}
    for value in _strings(params.values()):
        if value in names:
            hashes[f"dataset:{value}"] = _sha256(datasets.data_dir() / datasets.info(value).file)
        elif Path(value).is_file():
            hashes[value] = _sha256(Path(value))
    return dict(sorted(hashes.items()))


def _strings(values: Iterable[Any]) -> Iterable[str]:
    for v in values:
        if isinstance(v, str) and v:
            yield v
        elif isinstance(v, list | tuple):
            yield from _strings(v)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _git(where: Path, *args: str) -> str | None:
    """Output of a git command in ``where``, or None outside a checkout."""
    try:
        res = subprocess.run(
            ["git", *args], cwd=where, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (res.stdout.strip() or None) if res.returncode == 0 else None
