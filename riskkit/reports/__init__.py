"""Run parameterised notebooks into reports, atomically, alone or as grids.

May import: riskkit (its version), riskkit._core, riskkit.exceptions, riskkit.datasets; nothing
of the finance (``python -m riskkit.reports`` is the command line's entry point).

Contents
--------
run                 execute one notebook with papermill -> executed notebook, HTML
                    without code, manifest.json; all or nothing
run_all             every notebook of a folder with its default parameters
run_grid            one report per parameter set, in worker processes or on a
                    Dask cluster, with a summary table of their key figures
notebook_parameters the parameters a notebook declares (name, default, comment)
check_parameters    parameters checked against the notebook's before anything runs
read_options        called inside a notebook: its read parameters (READ_OPTIONS) as
                    keyword arguments of riskkit.data.load
load_parameters     a YAML file of parameters (parse_parameters: YAML text); load_grid: a YAML grid
key_figures         called inside a notebook: the figures a grid summary shows
screenshot          a PNG of a report's HTML taken by a headless Chromium
verify              re-run a report from its folder and compare its outputs, numbers
                    to a relative tolerance (RTOL): is it what the code and data give?
compare_notebooks   the comparison itself, for two executed notebooks
Parameter, GridResult, ReportError, Verification, Difference

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

from riskkit.reports._grid import STATUSES, GridInterrupted, GridResult, expand_grid, load_grid, run_grid
from riskkit.reports._manifest import key_figures
from riskkit.reports._parameters import (
    READ_OPTIONS,
    Parameter,
    check_parameters,
    load_parameters,
    notebook_parameters,
    parse_parameters,
    read_options,
)
from riskkit.reports._render import screenshot
from riskkit.reports._runner import ReportError, run, run_all
from riskkit.reports._verify import RTOL, Difference, Verification, compare_notebooks, verify

__all__ = [
    "READ_OPTIONS",
    "RTOL",
    "STATUSES",
    "Difference",
    "GridInterrupted",
    "GridResult",
    "Parameter",
    "ReportError",
    "Verification",
    "check_parameters",
    "compare_notebooks",
    "expand_grid",
    "key_figures",
    "load_grid",
    "load_parameters",
    "notebook_parameters",
    "parse_parameters",
    "read_options",
    "run",
    "run_all",
    "run_grid",
    "screenshot",
    "verify",
]
