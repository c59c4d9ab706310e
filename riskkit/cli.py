"""The ``riskkit`` command line: ``riskkit --version``, ``riskkit datasets``, ``riskkit report``,
``riskkit verify``.

May import: riskkit (its version), riskkit._core, riskkit.exceptions, riskkit.datasets,
riskkit.data (to re-read the data with each fix before advising it), riskkit.reports.

``riskkit report NOTEBOOK [-p NAME VALUE]... [-f params.yaml] [--out DIR]`` runs one
report; NOTEBOOK is a path, or the bare name of a notebook shipped with riskkit
(``riskkit report risk_report``: run into the current folder unless ``--out``);
``--grid grid.yaml`` runs one per parameter set (``--workers N`` local
processes or ``--scheduler ADDRESS`` for a Dask cluster); ``--all FOLDER`` runs
every notebook of a folder with its defaults; ``riskkit report NOTEBOOK --help``
lists the notebook's parameters. Exit status: 0 done, 1 a notebook failed, 2 bad
usage or parameters. ``riskkit verify REPORT...`` re-runs reports from their
folders and compares the outputs (0 reproduced, 1 differences, 2 unusable).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import riskkit

# what `riskkit report` and `riskkit verify` import: the notebooks extra
_NOTEBOOK_MODULES = ("papermill", "nbformat", "nbconvert", "nbclient", "ipykernel", "yaml", "latex2mathml")
_EXTRA_HINT = 'pip install "riskkit[notebooks]"'


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riskkit",
        description="Portfolio risk balancing and rebalancing: datasets and reports.",
    )
    parser.add_argument("--version", action="version", version=f"riskkit {riskkit.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_datasets(sub)
    _add_report(sub)
    _add_verify(sub)
    return parser


def _add_datasets(sub) -> None:
    """``riskkit datasets [--info NAME] [--regenerate DIR]``."""
    ds = sub.add_parser(
        "datasets", help="list the bundled datasets", description="List the bundled datasets."
    )
    ds.add_argument("--info", metavar="NAME", help="show the provenance of one dataset")
    ds.add_argument(
        "--regenerate",
        metavar="DIR",
        help="write the simulated datasets into DIR (byte-identical to the bundled files)",
    )


def _add_report(sub) -> None:
    """``riskkit report NOTEBOOK ...``: one report, a grid or a folder."""
    rp = sub.add_parser(
        "report",
        help="run a notebook into a report (riskkit report NOTEBOOK --help lists its parameters)",
        description="Execute a parameterised notebook with papermill into OUT/NAME/: the executed "
        "notebook, an HTML rendering without code and manifest.json. Parameter values, side by side "
        "with papermill's options: -p NAME VALUE reads VALUE as YAML (0.05, [a, b], {BTC_SIM: 1.5}) "
        "and keeps it as written for a str parameter, then checks it against the parameter's declared "
        "type (papermill's -p guesses int, float, bool or None and otherwise keeps text, so a list or "
        "a mapping needs its -y); -y YAML_TEXT and -f FILE.yaml take a mapping name: value as "
        "papermill's -y and -f do; later sources win: -f, then -y, then -p. NOTEBOOK, -f and "
        "--grid take a path or the name of a file shipped with riskkit (risk_report, 00_data_tour, "
        "risk_report_sp500.yaml, ...); a shipped notebook's report goes into the current folder "
        f"unless --out. Needs the notebooks extra: {_EXTRA_HINT}.",
        add_help=False,
    )
    rp.add_argument("notebook", nargs="?", help="the notebook to run: a path, or a shipped notebook's name")
    rp.add_argument("-h", "--help", action="store_true", help="this help, and the notebook's parameters")
    rp.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a parameter (repeatable)",
    )  # fmt: skip
    rp.add_argument(
        "-f",
        "--parameters-file",
        metavar="YAML",
        help="parameters from a YAML file: a mapping (-y and -p win)",
    )
    rp.add_argument(
        "-y",
        "--parameters-yaml",
        metavar="TEXT",
        help="parameters as YAML text, e.g. '{band: 0.05}' (-p wins)",
    )
    rp.add_argument(
        "--out", metavar="DIR",
        help="where reports go (default: reports; for a shipped notebook named bare, the current folder)",
    )  # fmt: skip
    rp.add_argument("--name", help="report folder name (default: the notebook's stem)")
    rp.add_argument("--grid", metavar="YAML", help="run one report per parameter set of this grid file")
    rp.add_argument("--workers", type=int, metavar="N", help="grid: local worker processes (default: cores)")
    rp.add_argument("--scheduler", metavar="ADDRESS", help="grid: run on this Dask scheduler instead")
    rp.add_argument(
        "--retries", type=int, default=0, metavar="N",
        help="grid: run a member again up to N times when its kernel or worker dies (default 0)",
    )  # fmt: skip
    rp.add_argument(
        "--force", action="store_true",
        help="grid: run every member again (by default a member whose report is current is reused)",
    )  # fmt: skip
    rp.add_argument(
        "--progress", action="store_true",
        help="one report: the cells done out of the total on stderr (the default when stderr is a terminal)",
    )  # fmt: skip
    rp.add_argument("--no-progress", action="store_true", help="no progress bar (grid) or cell count")
    rp.add_argument("-q", "--quiet", action="store_true", help="grid: print only errors (for scripts)")
    rp.add_argument("--all", metavar="FOLDER", help="run every notebook of FOLDER with its defaults")
    rp.set_defaults(usage=rp.print_help)


def _add_verify(sub) -> None:
    """``riskkit verify REPORT... [--rtol R]``."""
    vf = sub.add_parser(
        "verify",
        help="re-run reports from their folders and compare the outputs",
        description="Re-run each report from its manifest.json (its notebook, parameters and inputs, "
        "checked by SHA-256) and compare every output with the report's: words exactly, numbers to "
        "a relative tolerance, images by presence. Exit status: 0 reproduced, 1 differences "
        "(listed), 2 a report or an input cannot be used.",
    )
    vf.add_argument("reports", nargs="+", metavar="REPORT", help="a report folder (holds manifest.json)")
    vf.add_argument(
        "--rtol", type=float, default=None, metavar="R", help="relative tolerance for numbers (default 1e-6)"
    )


def _lean_imports() -> None:
    """In this process (the CLI's own), jsonschema does without ``rfc3987_syntax``.

    nbformat validates notebooks with jsonschema, whose format checker compiles
    about 40 grammars at import when ``rfc3987_syntax`` is installed (jupyterlab
    brings it): 0.8 s of a report's start, for IRI formats that the notebook
    schema never uses. Library users' processes are left alone.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    _lean_imports()
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "datasets":
        return _datasets(args)
    if args.command == "report":
        return _report(args)
    if args.command == "verify":
        return _verify(args)
    return 2  # pragma: no cover  (argparse rejects unknown commands)


def _datasets(args: argparse.Namespace) -> int:
    import pandas as pd

    from riskkit import datasets
    from riskkit.exceptions import RiskkitError

    try:
        if args.regenerate:
            path = datasets.write_simulated(args.regenerate)
            print(f"wrote {path}")
            return 0
        if args.info:
            d = datasets.info(args.info)
            for key in (
                "name",
                "title",
                "description",
                "source",
                "licence",
                "simulated",
                "periods_per_year",
            ):
                print(f"{key:>17}: {getattr(d, key)}")
            print(f"{'file':>17}: {datasets.data_dir() / d.file}")
            return 0
    except RiskkitError as exc:
        print(f"riskkit: error: {exc}", file=sys.stderr)
        return 2
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(datasets.list_datasets().to_string())
    return 0


def _report(args: argparse.Namespace) -> int:
    from riskkit import reports
    from riskkit.exceptions import RiskkitError

    missing = _missing_extra()
    if args.help or not (args.notebook or args.all):
        return _report_usage(args, missing)
    if missing:
        print(_extra_error(missing), file=sys.stderr)
        return 2
    declared: dict = {}
    params: dict = {}
    try:
        _resolve_shipped(args)
        if args.all:
            paths = reports.run_all(args.all, out=args.out)
            for p in paths:
                print(f"report written: {p}")
            return 0
        declared = reports.notebook_parameters(args.notebook)
        params = _parameters(args, declared)
        if args.grid:
            return _report_grid(args, params)
        progress = False if (args.no_progress or args.quiet) else (True if args.progress else None)
        path = reports.run(args.notebook, parameters=params, out=args.out, name=args.name, progress=progress)
    except reports.ReportError as exc:
        return _report_failed(exc, declared, params)
    except (RiskkitError, FileNotFoundError, ImportError) as exc:
        print(f"riskkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the kernel and the unfinished folder are gone with it
        print("riskkit: interrupted; no report written", file=sys.stderr)
        return 130
    print(f"report written: {path}")
    return 0


def _report_usage(args: argparse.Namespace, missing: Sequence[str]) -> int:
    """``riskkit report [NOTEBOOK] --help``: the usage, and the notebook's parameters when
    one is named (0); no notebook and no ``--all``: the usage (2)."""
    from riskkit import reports
    from riskkit.exceptions import RiskkitError

    args.usage()
    status = 0 if args.help else 2
    if args.notebook:
        try:
            declared = reports.notebook_parameters(_shipped(args.notebook, ".ipynb")[0])
        except (RiskkitError, FileNotFoundError) as exc:
            print(f"riskkit: error: {exc}", file=sys.stderr)
            return 2
        print(f"\nparameters of {args.notebook}:")
        for p in declared.values():
            print(f"  {p.describe()}")
    if missing:
        print(_extra_error(missing), file=sys.stderr)
    return status


def _resolve_shipped(args: argparse.Namespace) -> None:
    """The notebook, parameters file and grid as paths (a bare name is a shipped file's);
    ``--out`` defaults to the current folder for a shipped notebook, else ``reports``."""
    args.notebook, shipped = _shipped(args.notebook, ".ipynb") if args.notebook else (None, False)
    args.parameters_file = _shipped(args.parameters_file, ".yaml")[0] if args.parameters_file else None
    args.grid = _shipped(args.grid, ".yaml")[0] if args.grid else None
    args.out = args.out or ("." if shipped else "reports")


def _parameters(args: argparse.Namespace, declared: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of ``-f``, then ``-y``, then ``-p`` (later sources win), checked
    against the notebook's declared ones."""
    from riskkit import reports

    params = reports.load_parameters(args.parameters_file) if args.parameters_file else {}
    if args.parameters_yaml:
        params |= reports.parse_parameters(args.parameters_yaml, source="-y")
    for name, text in args.parameter:  # an unknown name is left as text for check_parameters to reject
        params[name] = declared[name].parse(text) if name in declared else text
    return reports.check_parameters(args.notebook, params)


def _report_grid(args: argparse.Namespace, params: Mapping[str, Any]) -> int:
    """``--grid``: one report per member; 0 all done, 1 some failed, 130 interrupted."""
    from riskkit import reports

    sets = [dict(params) | member for member in reports.load_grid(args.grid)]
    try:
        result = reports.run_grid(
            args.notebook, sets, out=args.out, name=args.name, workers=args.workers,
            scheduler=args.scheduler, retries=args.retries, force=args.force,
            progress=not (args.no_progress or args.quiet),
        )  # fmt: skip
    except reports.GridInterrupted as exc:
        done = exc.result
        print(f"riskkit: interrupted; {done.counts()}; summary: {done.folder / 'summary.html'}",
              file=sys.stderr)  # fmt: skip
        return 130
    if not args.quiet:
        _print_grid(result)
        print(f"grid written: {result.folder / 'summary.html'} (and summary.csv); {result.counts()}")
    if result.failed:
        missing = f"{len(result.failed)} of {len(result.table)} reports did not complete"
        print(f"riskkit: {missing}: {', '.join(result.failed)} (see {result.folder}/summary.csv)",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _report_failed(exc, declared: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> int:
    """A notebook that raised: 1 with the error when it is the notebook's or riskkit's
    fault; 2 with the ``-p`` that fix it when the data or a parameter is (each checked
    first: :func:`working_fixes`)."""
    if not exc.input_error:  # a fault of the notebook or of riskkit: the traceback helps
        print(f"riskkit: report failed: {exc}", file=sys.stderr)
        return 1
    # the data or a parameter: what is wrong and how to settle it, not riskkit's insides
    print(f"riskkit: report failed: {exc.ename}: {exc.evalue}", file=sys.stderr)
    print(f"riskkit: the notebook as run, with the error: {exc.failed_path}", file=sys.stderr)
    hints = fix_hints(working_fixes(exc.fixes, declared, params or {}), declared)
    if hints:
        print("riskkit: the data or a parameter is the problem; " + hints, file=sys.stderr)
    return 2


def working_fixes(
    fixes: Sequence[Mapping[str, Any]], declared: Mapping[str, Any], params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The fixes that work, best first: each is a set of notebook parameters (all
    declared, each value of the parameter's type), and one that changes how the data
    are read (a name of ``riskkit.reports.READ_OPTIONS``) is kept only when
    ``riskkit.data.load`` with the notebook's read options and the fix gets past the
    error, in this process, as the notebook's data cell calls it
    (``riskkit.reports.read_options``). A fix that gets past this error into the next
    one is completed with the next error's own first working fix (two errors deep), so
    ``align='common'`` that uncovers weekend gaps is offered with its ``missing=``; a fix
    that touches no read option is checked for its types only."""
    from riskkit.reports import READ_OPTIONS

    values = {name: getattr(p, "default", p) for name, p in declared.items()} | dict(params)
    kept: list[dict[str, Any]] = []
    for fix in fixes:
        fix = _declared(fix, declared)
        if fix is None or fix in kept:
            continue
        if any(name in READ_OPTIONS for name in fix) and "data" in values:
            fix = _settled(fix, values, declared, depth=2)
        if fix is not None and fix not in kept:
            kept.append(fix)
    return kept


def _declared(fix: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any] | None:
    """``fix`` with each value read as its parameter's type; None when a name is not a
    parameter of the notebook or a value is not of its type."""
    from riskkit.exceptions import RiskkitError

    if not fix or not all(name in declared for name in fix):
        return None
    try:
        return {name: declared[name].coerce(v) if hasattr(declared[name], "coerce") else v
                for name, v in fix.items()}  # fmt: skip
    except RiskkitError:
        return None


def _settled(
    fix: dict[str, Any], values: Mapping[str, Any], declared: Mapping[str, Any], *, depth: int
) -> dict[str, Any] | None:
    """``fix`` when the data load with it; else ``fix`` with the first of the new error's fixes
    that settles it in turn (``depth`` errors further at most); else None."""
    import warnings

    from riskkit import data
    from riskkit.exceptions import RiskkitError
    from riskkit.reports import read_options

    trial = dict(values) | fix
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data.load(trial["data"], **read_options(trial))
    except RiskkitError as exc:
        if depth == 0:
            return None
        for more in getattr(exc, "fixes", ()):
            more = _declared(more, declared)
            if more is None or any(name in fix and fix[name] != v for name, v in more.items()):
                continue
            found = _settled(fix | more, values, declared, depth=depth - 1)
            if found is not None:
                return found
        return None
    except (OSError, ValueError):
        return None
    return fix


def fix_hints(fixes: Sequence[Mapping[str, Any]], declared: Mapping[str, Any]) -> str:
    """Suggested fixes as command-line options: ``-p NAME VALUE`` for each keyword
    that is a parameter of the notebook, the alternatives joined by "or".

    >>> declared = {"missing": 0, "ffill_limit": 0}
    >>> fix_hints([{"missing": "ffill", "ffill_limit": 3}, {"missing": "drop"}], declared)
    'try: -p missing ffill -p ffill_limit 3  or: -p missing drop'
    >>> fix_hints([{"assets": ["AAPL", "IBM"]}, {"start": "2013-03-01"}], {"assets": 0})
    "try: -p assets '[AAPL, IBM]'"
    """
    import shlex

    import yaml

    options = []
    for fix in fixes:
        if fix and all(name in declared for name in fix):
            parts = []
            for name, value in fix.items():
                text = (
                    value
                    if isinstance(value, str)
                    else yaml.safe_dump(value, default_flow_style=True).strip()
                )
                text = text.removesuffix("\n...").strip()
                parts.append(f"-p {name} {shlex.quote(text)}")
            options.append(" ".join(parts))
    return ("try: " + "  or: ".join(options)) if options else ""


def _missing_extra() -> str | None:
    """The first module of the notebooks extra that is not installed, if any."""
    return next((m for m in _NOTEBOOK_MODULES if importlib.util.find_spec(m) is None), None)


def _extra_error(module: str) -> str:
    name = "pyyaml" if module == "yaml" else module
    return f"riskkit: error: reports need the notebooks extra ({name} is not installed): {_EXTRA_HINT}"


def _shipped(name: str, suffix: str) -> tuple[str, bool]:
    """``name`` as given when it is a file, else the shipped file of that name: (path, shipped?)."""
    from riskkit._core.packaged import notebooks_dir
    from riskkit.exceptions import InvalidParameterError

    if Path(name).is_file() or Path(name).parent != Path("."):  # (a report folder of that name is not it)
        return name, False
    folder = notebooks_dir()
    for candidate in (folder / name, folder / f"{name}{suffix}"):
        if candidate.is_file():
            return str(candidate), True
    shipped = sorted(p.stem if p.suffix == ".ipynb" else p.name for p in folder.glob(f"*{suffix}"))
    raise InvalidParameterError(
        f"{name!r} is neither a file nor a {suffix} file shipped with riskkit; shipped: {', '.join(shipped)}."
    )


def _verify(args: argparse.Namespace) -> int:
    from riskkit import reports
    from riskkit.exceptions import RiskkitError

    missing = _missing_extra()
    if missing:
        print(_extra_error(missing), file=sys.stderr)
        return 2

    status = 0
    for folder in args.reports:
        try:
            result = reports.verify(folder, rtol=args.rtol if args.rtol is not None else reports.RTOL)
        except reports.ReportError as exc:
            print(f"riskkit: {folder}: the re-run failed: {exc}", file=sys.stderr)
            status = max(status, 1)
            continue
        except (RiskkitError, FileNotFoundError, ImportError) as exc:
            print(f"riskkit: error: {exc}", file=sys.stderr)
            status = 2
            continue
        print(result.describe())
        if not result.ok:
            status = max(status, 1)
    return status


def _print_grid(result) -> None:
    """A line per member: status, time, the figure that alerts, the error. The
    whole table is in summary.html and summary.csv."""
    from riskkit._core.formats import figure

    table = result.summary()
    alert = result.layout.get("alert")
    alert = alert if alert in table.columns else None
    spec = (result.layout.get("formats") or {}).get(alert)
    rows = [("member", "status", "seconds", *([alert] if alert else []), "error")]
    for member, r in table.iterrows():
        seconds = "" if r["seconds"] != r["seconds"] or r["seconds"] is None else f"{r['seconds']:.1f}"
        error = r["error"] if isinstance(r["error"], str) else ""
        error = error if len(error) <= 70 else error[:69] + "…"
        rows.append((str(member), r["status"], seconds, *([figure(r[alert], spec)] if alert else []), error))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [c.rjust(w) if i == 2 or (alert and i == 3) else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=False))]  # fmt: skip
        print("  ".join([*cells, row[-1]]).rstrip())


def command() -> None:
    """The ``riskkit`` command (and ``python -m riskkit``): :func:`main`, then exit.

    Before the interpreter exits, every object is moved out of the garbage
    collector's view (``gc.freeze``): its final collections would otherwise walk
    all that the imports made, 0.2 s of every report. The process ends there; its
    memory goes back to the system whole. Callers of :func:`main` are left alone.
    """
    import gc

    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    command()
