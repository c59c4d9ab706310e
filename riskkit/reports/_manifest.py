"""What a report records about itself: key figures, inputs by hash, versions, the machine."""

from __future__ import annotations

import hashlib
import html
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from riskkit._core.formats import figure
from riskkit.exceptions import InvalidParameterError
from riskkit.reports._imports import LOCK as IMPORTS
from riskkit.reports._parameters import Parameter, effective_parameters

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
_LAYOUT = "riskkit_summary_layout"  # and how a grid summary shows them


def key_figures(
    figures: Mapping[str, Any],
    /,
    *,
    alert: str | None = None,
    compare: Sequence[str | Sequence[str]] = (),
    formats: Mapping[str, str] | None = None,
) -> None:
    """Show ``figures`` (name -> number, text or bool) in the notebook and mark
    them as its key figures: the runner saves them in ``manifest.json`` and
    :func:`run_grid` tabulates them across a grid, in this order.

    ``formats`` gives a figure's format as people read it, a Python format
    specification: ``".1%"`` (a fraction shown as a percentage), ``",.0f"``
    (whole currency units), ``".2f"``. Other numbers are shown to 4 significant
    digits (whole units from 10,000). Figures are stored in full.

    For a grid's ``summary.html``: ``alert`` names the figure that, when set
    (non-zero, true), highlights the member; ``compare`` lists the figures
    charted across members, a name (bars) or a pair of names (a scatter, x
    then y).

    >>> figure(0.61951, ".1%"), figure(1000000.0000000001, ",.0f"), figure(0.61951)
    ('62.0%', '1,000,000', '0.6195')
    """
    from IPython.display import display

    for spec in [alert] if alert is not None else []:
        if spec not in figures:
            raise InvalidParameterError(f"alert: {spec!r} is not one of the key figures {sorted(figures)}.")
    pairs = [[c] if isinstance(c, str) else list(c) for c in compare]
    unknown = [n for pair in pairs for n in pair if n not in figures]
    if unknown or any(len(p) not in (1, 2) for p in pairs):
        raise InvalidParameterError(
            f"compare: each entry is a key figure or a pair of them; {unknown or pairs} is not "
            f"(the key figures are {sorted(figures)})."
        )
    formats = dict(formats or {})
    for k, spec in formats.items():
        if k not in figures:
            raise InvalidParameterError(f"formats: {k!r} is not one of the key figures {sorted(figures)}.")
        try:
            format(0.5, spec)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"formats: {spec!r} (for {k!r}) is not a number format; e.g. '.1%', ',.0f', '.2f'."
            ) from None
    clean = {str(k): _plain(v) for k, v in figures.items()}
    width = max((len(label(k)) for k in clean), default=0)
    text = "\n".join(f"{label(k):<{width}}  {figure(v, formats.get(k))}" for k, v in clean.items())
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(label(k))}</th>"
        f"<td style='text-align:right'>{html.escape(figure(v, formats.get(k)))}</td></tr>"
        for k, v in clean.items()
    )
    display(
        {"text/plain": text, "text/html": f"<table class='riskkit-key-figures'>{rows}</table>"},
        raw=True,
        metadata={
            _KEY_FIGURES: clean,
            _LAYOUT: {"alert": alert, "compare": pairs, "formats": formats, "order": list(clean)},
        },
    )


# words of a key figure's name that read as acronyms (or their own spelling) in a heading
_ACRONYMS = {"cagr": "CAGR", "var": "VaR", "es": "ES", "erc": "ERC", "pca": "PCA", "ewma": "EWMA"}


def label(name: str) -> str:
    """A key figure's name as a heading, acronyms spelled as they are read.

    >>> label("backtest_cagr"), label("portfolio_var_95"), label("largest_risk_share")
    ('backtest CAGR', 'portfolio VaR 95', 'largest risk share')
    """
    return " ".join(_ACRONYMS.get(word, word) for word in name.split("_"))


def _plain(v: Any) -> Any:
    if hasattr(v, "item") and callable(v.item):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):  # NaN is not JSON: the figure is missing (shown blank)
        return None
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def _collect_key_figures(nb) -> dict[str, Any]:
    """The key figures an executed notebook (a NotebookNode or its JSON) showed.
    (Their order is the layout's ``order``: a notebook file stores metadata
    sorted by name.)"""
    found: dict[str, Any] = {}
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            found.update(output.get("metadata", {}).get(_KEY_FIGURES, {}))
    return found


def _manifest(
    notebook: Path, declared: Mapping[str, Parameter], params: Mapping[str, Any], out: Path
) -> dict[str, Any]:
    """The manifest but for what the run itself gives: key figures and creation time."""
    import nbformat

    versions = {}
    for dist in _VERSIONS_OF:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    effective = effective_parameters(declared, params)
    return {
        "notebook": notebook.name,
        "notebook_sha256": _sha256(notebook),
        "code_sha256": code_sha256(nbformat.read(notebook, as_version=4)),
        "parameters": dict(params),
        "effective_parameters": effective,
        "input_files": _input_hashes(effective),
        "versions": versions,
        "python": platform.python_version(),
        "machine": machine(),
        "git_commit": _git(notebook.parent, "rev-parse", "HEAD"),
        "git_dirty": _git_dirty(notebook.parent, out),
    }


def finish(prepared: Mapping[str, Any], figures: Mapping[str, Any]) -> dict[str, Any]:
    """The whole manifest: what :func:`_manifest` prepared while the notebook ran, and its results."""
    return dict(prepared) | {
        "key_figures": dict(figures),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def machine() -> dict[str, Any]:
    """What decides the last bits of a report's numbers on this machine: the CPU,
    the SIMD extensions numpy dispatches to, the BLAS libraries loaded (name,
    version, kernel, threads) and numba's compilation target."""
    with IMPORTS:
        import numpy as np
        import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS, which riskkit uses too)
        from threadpoolctl import threadpool_info

        try:
            from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
        except ImportError:  # pragma: no cover  (numpy < 2)
            from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    blas = sorted(
        (
            {k: lib.get(k) for k in ("internal_api", "prefix", "version", "architecture", "num_threads")}
            for lib in threadpool_info()
        ),
        # every kept field, so two libraries of one prefix (numpy's and scipy's libscipy_openblas)
        # come in one order whatever order threadpoolctl found them in
        key=lambda d: tuple(str(v) for v in d.values()),
    )
    return {
        "cpu": _cpu_model(),
        "architecture": platform.machine(),
        "cores": os.cpu_count(),
        "numpy_simd": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
        "numpy_simd_disabled": os.environ.get("NPY_DISABLE_CPU_FEATURES", ""),
        "blas": blas,
        "numba": _numba_target(),
        "numpy": np.__version__,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _numba_target() -> dict[str, Any]:
    try:
        version = metadata.version("numba")
    except metadata.PackageNotFoundError:
        return {"version": None}
    target = os.environ.get("NUMBA_CPU_NAME")
    if not target:
        try:
            with IMPORTS:
                import llvmlite.binding as llvm

            target = f"host ({llvm.get_host_cpu_name()})"
        except Exception:  # pragma: no cover  (llvmlite unusable: say so, do not fail a report)
            target = "host"
    return {"version": version, "target": target}


def _git_dirty(where: Path, out: Path) -> bool | None:
    """Do tracked files differ from the commit, apart from the report folder
    ``out`` itself (regenerating one report must not make the next one dirty)?"""
    top = _git(where, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    spec = ["."]
    try:
        spec.append(f":(exclude){out.resolve().relative_to(Path(top).resolve())}")
    except ValueError:  # reports written outside the checkout
        pass
    return bool(_git(Path(top), "status", "--porcelain", "--untracked-files=no", "--", *spec))


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


def _code_cells(nb) -> list[tuple[int, Any]]:
    return [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]


def code_sha256(nb) -> str:
    """SHA-256 of a notebook's code (the sources of its code cells, injected
    parameters excluded): what a report ran, whatever outputs it holds."""
    digest = hashlib.sha256()
    for _, cell in _code_cells(nb):
        digest.update(cell.source.encode())
        digest.update(b"\0")
    return digest.hexdigest()
