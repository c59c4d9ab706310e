"""Run parameterised notebooks into reports, atomically, alone or as grids.

Contents
--------
run                 execute one notebook with papermill -> executed notebook, HTML
                    without code, manifest.json; all or nothing
run_all             every notebook of a folder with its default parameters
run_grid            one report per parameter set, in worker processes or on a
                    Dask cluster, with a summary table of their key figures
notebook_parameters the parameters a notebook declares (name, default, comment)
check_parameters    parameters checked against the notebook's before anything runs
load_parameters     a YAML file of parameters; load_grid: a YAML grid
key_figures         called inside a notebook: the figures a grid summary shows
screenshot          a PNG of a report's HTML taken by a headless Chromium
Parameter, GridResult, ReportError

A report is a folder ``OUT/<name>/`` (``name`` defaults to the notebook's stem)
holding ``<name>.ipynb``, ``<name>.html`` and ``manifest.json``. It is built in
a temporary folder beside it and moved into place only when every step
succeeded; a failing notebook is kept, error included, in ``OUT/<name>.failed/``
and the existing report, if any, is left untouched.

A notebook declares its parameters in the one cell tagged ``parameters``: one
literal assignment per line, each with a comment saying what it is. Values
given to a run must name one of them and have the type of its default
(an int is accepted for a float; a ``None`` default accepts anything).

This module runs notebooks and knows nothing of finance.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from riskkit.exceptions import InvalidParameterError, InvalidTypeError

__all__ = [
    "GridResult",
    "Parameter",
    "ReportError",
    "check_parameters",
    "key_figures",
    "load_grid",
    "load_parameters",
    "notebook_parameters",
    "run",
    "run_all",
    "run_grid",
    "screenshot",
]

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
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_backend_lock = threading.Lock()


class ReportError(RuntimeError):
    """A notebook failed; ``failed_path`` holds the executed copy with the error.

    ``cell`` (execution count), ``ename`` and ``evalue`` describe the failing
    cell's exception when the notebook itself raised.
    """

    def __init__(
        self,
        message: str,
        failed_path: Path | None = None,
        *,
        cell: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
    ):
        super().__init__(message)
        self.failed_path = failed_path
        self.cell = cell
        self.ename = ename
        self.evalue = evalue


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its name, default value and comment."""

    name: str
    default: Any
    comment: str

    @property
    def kind(self) -> str:
        """Type name of the default (``any`` for ``None``)."""
        if self.default is None:
            return "any"
        return {list: "list", tuple: "list", dict: "mapping"}.get(
            type(self.default), type(self.default).__name__
        )

    def coerce(self, value: Any) -> Any:
        """``value`` as this parameter's type; InvalidTypeError when it is not one."""
        d = self.default
        if d is None:
            return value
        if isinstance(d, bool):
            ok = isinstance(value, bool)
        elif isinstance(d, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(d, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif isinstance(d, list | tuple):
            ok = isinstance(value, list | tuple)
            value = list(value) if ok else value
        elif isinstance(d, dict):
            ok = isinstance(value, Mapping)
            value = dict(value) if ok else value
        else:
            ok = isinstance(value, type(d))
        if not ok:
            raise InvalidTypeError(
                f"parameter {self.name!r} takes {_article(self.kind)} {self.kind} "
                f"(default {d!r}: {self.comment}); got {type(value).__name__} {value!r}."
            )
        return value

    def parse(self, text: str) -> Any:
        """A command-line value read as YAML (``0.05``, ``[a, b]``, ``{BTC: 1.5}``),
        kept as text when the parameter is a string; :meth:`coerce` checks its type."""
        if isinstance(self.default, str):
            return text
        import yaml

        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidParameterError(f"parameter {self.name!r}: cannot read {text!r}: {exc}") from None
        return value

    def describe(self) -> str:
        return f"{self.name} ({self.kind}, default {self.default!r}): {self.comment}"


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def notebook_parameters(notebook: str | os.PathLike, /) -> dict[str, Parameter]:
    """The parameters declared in the ``parameters``-tagged cell of ``notebook``."""
    import nbformat

    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"notebook {str(notebook)!r} does not exist.")
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise InvalidParameterError(
            f"notebook {path.name} must have exactly one cell tagged 'parameters'; it has {len(cells)}."
        )
    source = cells[0].source
    lines = source.splitlines()
    out: dict[str, Parameter] = {}
    for node in ast.parse(source).body:
        if (
            not isinstance(node, ast.Assign)
            or len(node.targets) != 1
            or not isinstance(node.targets[0], ast.Name)
        ):
            raise InvalidParameterError(
                f"notebook {path.name}: the parameters cell holds only `name = literal  # comment` lines "
                f"(line {node.lineno} is not one)."
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise InvalidParameterError(
                f"notebook {path.name}: parameter {node.targets[0].id!r} must have a literal default."
            ) from None
        line = lines[node.end_lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        out[node.targets[0].id] = Parameter(node.targets[0].id, default, comment)
    return out


def check_parameters(notebook: str | os.PathLike, parameters: Mapping[str, Any] | None, /) -> dict[str, Any]:
    """``parameters`` checked against the notebook's and coerced to their types.

    Raises InvalidParameterError for an unknown name and InvalidTypeError for a
    value of the wrong type; both messages list the valid parameters.
    """
    return _checked(Path(notebook).name, notebook_parameters(notebook), parameters)


def _checked(notebook: str, declared: Mapping[str, Parameter], parameters: Mapping[str, Any] | None) -> dict:
    unknown = [k for k in (parameters or {}) if k not in declared]
    if unknown:
        raise InvalidParameterError(
            f"{notebook} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are:\n{_listing(declared)}"
        )
    out = {}
    for name, value in (parameters or {}).items():
        try:
            out[name] = declared[name].coerce(value)
        except InvalidTypeError as exc:
            raise InvalidTypeError(
                f"{exc}\nthe parameters of {notebook} are:\n{_listing(declared)}"
            ) from None
    return out


def _listing(declared: Mapping[str, Parameter]) -> str:
    return "\n".join(f"  {p.describe()}" for p in declared.values())


def load_parameters(path: str | os.PathLike, /) -> dict[str, Any]:
    """Parameters from a YAML file holding one mapping ``name: value``."""
    data = _read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidParameterError(f"{path}: a parameters file holds one mapping of name: value.")
    return data


def _read_yaml(path: str | os.PathLike) -> Any:
    import yaml

    try:
        return yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"file {str(path)!r} does not exist.") from None
    except yaml.YAMLError as exc:
        raise InvalidParameterError(f"{path} is not valid YAML: {exc}") from None


# --------------------------------------------------------------------------- key figures


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


# --------------------------------------------------------------------------- one report


def run(
    notebook: str | os.PathLike,
    /,
    *,
    parameters: Mapping[str, Any] | None = None,
    out: str | os.PathLike = "reports",
    name: str | None = None,
    kernel_name: str = "python3",
    timeout: int = 600,
) -> Path:
    """Execute ``notebook`` with ``parameters`` and write the report folder.

    The parameters are checked first (:func:`check_parameters`). Returns the
    report folder ``out/name`` (``name`` defaults to the notebook's stem).
    Raises :class:`ReportError` when the notebook fails; its message holds the
    failing cell's error.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb_path = Path(notebook).resolve()
    declared = notebook_parameters(nb_path)
    params = _checked(nb_path.name, declared, parameters)
    name = name or nb_path.stem
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    failed = out_dir / f"{name}.failed"
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=out_dir))
    executed = tmp / f"{name}.ipynb"
    try:
        try:
            with _inline_figures(), _papermill_quiet():
                pm.execute_notebook(
                    str(nb_path),
                    str(executed),
                    parameters=params,
                    kernel_name=kernel_name,
                    progress_bar=False,
                    execution_timeout=timeout,
                    cwd=str(Path.cwd()),
                )
        except Exception as exc:
            shutil.rmtree(failed, ignore_errors=True)
            if executed.exists():
                failed.mkdir()
                shutil.move(str(executed), failed / executed.name)
            detail = {}
            if isinstance(exc, PapermillExecutionError):
                tb = _ANSI.sub("", "\n".join(exc.traceback[-6:]))
                what = f"cell [{exc.exec_count}] raised {exc.ename}: {exc.evalue}\n{tb}"
                detail = {"cell": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue}
            else:
                what = f"{type(exc).__name__}: {exc}"
            raise ReportError(
                f"notebook {nb_path.name} failed; the executed copy with the error is in {failed}.\n{what}",
                failed_path=failed,
                **detail,
            ) from exc
        _write_html(executed, tmp / f"{name}.html")
        manifest = _manifest(nb_path, declared, params, _collect_key_figures(executed))
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        _swap_into_place(tmp, final)
        shutil.rmtree(failed, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


class _papermill_quiet:
    """Drop papermill's own parameter-cell inspection warnings: its line parser
    stumbles on quotes and brackets in comments ("Unable to parse line") and then
    calls declared parameters unknown. riskkit checked the parameters already."""

    _names = ("papermill", "papermill.translators")

    @staticmethod
    def filter(record) -> bool:
        msg = record.getMessage()
        return not (msg.startswith("Unable to parse line") or msg.startswith("Passed unknown parameter"))

    def __enter__(self):
        import logging

        for name in self._names:
            logging.getLogger(name).addFilter(self.filter)

    def __exit__(self, *exc):
        import logging

        for name in self._names:
            logging.getLogger(name).removeFilter(self.filter)


class _inline_figures:
    """Figures must render inline whatever backend the caller runs with
    (``MPLBACKEND=Agg`` would leave only their text). The kernel inherits the
    environment, so the variable is set while kernels start; threads of one
    process share it, hence the count."""

    _users = 0
    _saved: str | None = None

    def __enter__(self):
        with _backend_lock:
            if _inline_figures._users == 0:
                _inline_figures._saved = os.environ.get("MPLBACKEND")
                os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
            _inline_figures._users += 1

    def __exit__(self, *exc):
        with _backend_lock:
            _inline_figures._users -= 1
            if _inline_figures._users == 0:
                if _inline_figures._saved is None:
                    os.environ.pop("MPLBACKEND", None)
                else:
                    os.environ["MPLBACKEND"] = _inline_figures._saved


def run_all(folder: str | os.PathLike, /, *, out: str | os.PathLike = "reports") -> list[Path]:
    """Run every ``*.ipynb`` of ``folder`` (sorted) with its defaults; stop at the first failure."""
    notebooks = sorted(Path(folder).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {str(folder)!r}.")
    return [run(nb, out=out) for nb in notebooks]


def _write_html(executed: Path, target: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _tex_to_mathml(cell.source)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.S)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]+?)\$")


def _tex_to_mathml(markdown: str) -> str:
    """``$...$`` and ``$$...$$`` of a markdown cell as MathML, which browsers render
    without scripts: the HTML's MathJax comes from a CDN that offline readers
    cannot reach, leaving raw TeX. Code spans are left alone."""
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


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` with renames only, never half-overwriting it."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}-{threading.get_ident()}")
        final.rename(old)
    try:
        tmp.rename(final)
    except OSError:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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


# --------------------------------------------------------------------------- grids


def load_grid(path: str | os.PathLike, /) -> list[dict[str, Any]]:
    """The parameter sets of a YAML grid file; see :func:`expand_grid` for the forms."""
    return expand_grid(_read_yaml(path), where=str(path))


def expand_grid(spec: Any, /, *, where: str = "grid") -> list[dict[str, Any]]:
    """Parameter sets from a grid specification.

    Forms (YAML or Python):

    - ``{"grid": {name: [values...], ...}}``: the cartesian product, first name slowest;
    - ``{"runs": [{name: value, ...}, ...]}`` or a bare list of mappings: explicit sets;
    - either may add ``"base": {name: value}``, parameters shared by every set.
    """
    if isinstance(spec, list):
        spec = {"runs": spec}
    if not isinstance(spec, Mapping) or not ({"grid", "runs"} & set(spec)):
        raise InvalidParameterError(
            f"{where}: give 'grid' (name: list of values) or 'runs' (a list of mappings)."
        )
    extra = set(spec) - {"grid", "runs", "base"}
    if extra:
        raise InvalidParameterError(f"{where}: unknown keys {sorted(extra)}; valid: grid, runs, base.")
    base = spec.get("base") or {}
    if not isinstance(base, Mapping):
        raise InvalidParameterError(f"{where}: 'base' must be a mapping of name: value.")
    sets: list[dict[str, Any]] = []
    if "grid" in spec:
        grid = spec["grid"]
        if not isinstance(grid, Mapping) or not grid:
            raise InvalidParameterError(
                f"{where}: 'grid' must be a non-empty mapping of name: list of values."
            )
        for k, v in grid.items():
            if not isinstance(v, list) or not v:
                raise InvalidParameterError(
                    f"{where}: grid values of {k!r} must be a non-empty list; got {v!r}."
                )
        sets += [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    if "runs" in spec:
        runs = spec["runs"]
        if not isinstance(runs, list) or not all(isinstance(r, Mapping) for r in runs):
            raise InvalidParameterError(f"{where}: 'runs' must be a list of mappings name: value.")
        sets += [dict(r) for r in runs]
    if not sets:
        raise InvalidParameterError(f"{where}: the grid has no parameter sets.")
    return [dict(base) | s for s in sets]


@dataclass(frozen=True, eq=False)
class GridResult:
    """The reports of a grid: ``folder`` holds one report per member,
    ``summary.csv`` and ``summary.html``; ``summary`` is the same table (one row
    per member: status, error, seconds, parameters, key figures)."""

    folder: Path
    summary: Any  # pandas DataFrame
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def run_grid(
    notebook: str | os.PathLike,
    grid: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    /,
    *,
    out: str | os.PathLike = "reports",
    name: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    timeout: int = 600,
) -> GridResult:
    """One report per parameter set of ``grid``, run in parallel.

    ``grid``: a list of parameter mappings, or a specification for
    :func:`expand_grid`. Every set is checked against the notebook before any
    runs. Members run in ``workers`` local processes (default: the number of
    cores), or on the Dask cluster whose scheduler is at ``scheduler``
    (``tcp://host:8786``; the workers must see the notebook and ``out`` at the
    same paths). Reports go to ``out/<name>/<name>-NNN``; a failing member does
    not stop the others and is listed in the summary with its error.
    """
    import pandas as pd

    nb_path = Path(notebook).resolve()
    sets = expand_grid(grid) if isinstance(grid, Mapping) else [dict(g) for g in grid]
    if not sets:
        raise InvalidParameterError("the grid has no parameter sets.")
    checked = [check_parameters(nb_path, s) for s in sets]
    name = name or f"{nb_path.stem}-grid"
    folder = Path(out).resolve() / name
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(checked))))
    jobs = [
        {"notebook": str(nb_path), "parameters": p, "out": str(folder),
         "name": f"{nb_path.stem}-{i:0{width}d}", "timeout": timeout}
        for i, p in enumerate(checked, start=1)
    ]  # fmt: skip
    results = (
        _run_jobs_dask(jobs, scheduler, progress) if scheduler else _run_jobs_local(jobs, workers, progress)
    )
    by_name = {r["member"]: r for r in results}
    rows = []
    for job in jobs:
        r = by_name[job["name"]]
        row = {
            "member": job["name"],
            "status": r["status"],
            "seconds": round(r["seconds"], 2),
            "error": r["error"],
        }
        row |= {k: _cell(v) for k, v in job["parameters"].items()}
        row |= {(f"{k} (result)" if k in row else k): v for k, v in r["key_figures"].items()}
        rows.append(row)
    summary = pd.DataFrame(rows).set_index("member")
    summary.to_csv(folder / "summary.csv")
    (folder / "summary.html").write_text(
        f"<h1>{nb_path.name}: grid of {len(jobs)} reports</h1>\n" + summary.to_html(na_rep=""),
        encoding="utf-8",
    )
    failed = [r["member"] for r in results if r["status"] != "ok"]
    return GridResult(folder=folder, summary=summary, failed=sorted(failed))


def _cell(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v


def _run_member(job: Mapping[str, Any]) -> dict[str, Any]:
    """Run one grid member; never raises (a failure is returned with its error)."""
    t0 = time.perf_counter()
    record = {"member": job["name"], "status": "ok", "error": "", "key_figures": {}}
    try:
        folder = run(job["notebook"], parameters=job["parameters"], out=job["out"], name=job["name"],
                     timeout=job["timeout"])  # fmt: skip
        record["key_figures"] = _collect_key_figures(
            folder / f"{job['name']}.ipynb"
        )  # in the notebook's order
    except ReportError as exc:
        record["status"] = "failed"
        record["error"] = f"{exc.ename}: {exc.evalue}" if exc.ename else str(exc).splitlines()[-1]
    except Exception as exc:  # a worker must report, not die
        record["status"] = "failed"
        record["error"] = f"{type(exc).__name__}: {exc}"
    record["seconds"] = time.perf_counter() - t0
    return record


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="reports", unit="report", disable=not enabled, file=sys.stderr)


def _run_jobs_local(jobs: list[dict], workers: int | None, progress: bool) -> list[dict]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise InvalidParameterError(f"workers must be at least 1; got {workers}.")
    results = []
    with (
        ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn")
        ) as pool,
        _progress(len(jobs), progress) as bar,
    ):
        for fut in as_completed([pool.submit(_run_member, j) for j in jobs]):
            results.append(fut.result())
            bar.update(1)
    return results


def _run_jobs_dask(jobs: list[dict], scheduler: str, progress: bool) -> list[dict]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError("--scheduler needs dask.distributed: pip install 'riskkit[dask]'.") from None
    results = []
    with Client(scheduler, timeout="30s") as client, _progress(len(jobs), progress) as bar:
        futures = [
            client.submit(_run_member, j, key=f"riskkit-report-{j['name']}-{time.time_ns()}", pure=False)
            for j in jobs
        ]
        for fut in as_completed(futures):
            results.append(fut.result())
            bar.update(1)
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m riskkit.reports`` is ``riskkit report``."""
    from riskkit.cli import main as cli_main

    return cli_main(["report", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
