"""Report grids: one report per parameter set, in worker processes or on Dask."""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskkit.exceptions import InvalidParameterError
from riskkit.reports._manifest import _collect_key_figures
from riskkit.reports._parameters import _read_yaml, check_parameters
from riskkit.reports._runner import ReportError, run


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
