"""The parameters a notebook declares, and values checked against them; the read
options every notebook reading a user's file declares (``READ_OPTIONS``, ``read_options``)."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskkit.exceptions import InvalidParameterError, InvalidTypeError

_TYPES: dict[str, type | None] = {
    "bool": bool, "int": int, "float": float, "str": str, "list": list, "dict": dict, "object": None,
}  # fmt: skip
"""The types a parameter may declare (``name: type = value``), generics such as
``dict[str, float]`` by their base; ``object`` takes any value (a rule name or a
mapping of weights, say). All are builtins: the cell runs as written."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its name, default value, comment and, in
    papermill's typed form (``name: float = 0.03  # meaning``), its declared type."""

    name: str
    default: Any
    comment: str
    annotation: str | None = None

    @property
    def kind(self) -> str:
        """The declared type (as written), else the default's (``any`` for ``None``)."""
        if self.annotation is not None:
            return self.annotation
        if self.default is None:
            return "any"
        return {list: "list", tuple: "list", dict: "mapping"}.get(
            type(self.default), type(self.default).__name__
        )

    def coerce(self, value: Any) -> Any:
        """``value`` as this parameter's type; InvalidTypeError when it is not one."""
        d = self.default  # the type's prototype; the message names the true default
        if self.annotation is not None:  # the declared type decides (a float may default to 1)
            declared = _TYPES[_base(self.annotation)]
            d = None if declared is None else declared()
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
                f"(default {self.default!r}: {self.comment}); got {type(value).__name__} {value!r}."
            )
        return value

    def parse(self, text: str) -> Any:
        """A command-line value read as YAML (``0.05``, ``[a, b]``, ``{BTC: 1.5}``),
        kept as text when the parameter is a string; :meth:`coerce` checks its type."""
        if self.kind == "str" or (self.annotation is None and isinstance(self.default, str)):
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


def _base(annotation: str) -> str:
    return annotation.split("[", 1)[0].strip()


def notebook_parameters(notebook: str | os.PathLike, /) -> dict[str, Parameter]:
    """The parameters declared in the ``parameters``-tagged cell of ``notebook``."""
    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"notebook {str(notebook)!r} does not exist.")
    # read as JSON: nbformat's schema validation costs most of a second to import, on the
    # path of every report before its kernel can start
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidParameterError(f"{path.name} is not a Jupyter notebook (nbformat 4 JSON).") from None
    if len(cells) != 1:
        raise InvalidParameterError(
            f"notebook {path.name} must have exactly one cell tagged 'parameters'; it has {len(cells)}."
        )
    source = cells[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    return _parse_cell(path.name, source)


def _parse_cell(notebook: str, source: str) -> dict[str, Parameter]:
    """The parameters of a parameters cell, read as papermill reads them.

    Each is one statement ``name = literal  # meaning`` or, typed,
    ``name: type = literal  # meaning`` (``type`` one of bool, int, float, str,
    list, dict, generics allowed: ``dict[str, float]``). The comment is on the
    statement's last line. A line with a second ``=`` (in a comment, say) is
    refused: papermill's ``--help-notebook`` cannot read it.
    """
    lines = source.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip().startswith("#") and line.count("=") > 1:
            raise InvalidParameterError(
                f"notebook {notebook}: line {number} of the parameters cell has more than one '=' "
                f"({line.strip()!r}); papermill reads one per line: reword the comment."
            )
    out: dict[str, Parameter] = {}
    for node in ast.parse(source).body:
        annotation = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
            annotation = ast.get_source_segment(source, node.annotation)
            if annotation is None or _base(annotation) not in _TYPES:
                raise InvalidParameterError(
                    f"notebook {notebook}: parameter {name!r} declares type {annotation!r}; "
                    f"the types are {', '.join(_TYPES)} (generics allowed, e.g. dict[str, float])."
                )
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            name, value = node.targets[0].id, node.value
        else:
            raise InvalidParameterError(
                f"notebook {notebook}: the parameters cell holds only `name: type = literal  # comment` "
                f"lines (line {node.lineno} is not one)."
            )
        try:
            default = ast.literal_eval(value)
        except ValueError:
            raise InvalidParameterError(
                f"notebook {notebook}: parameter {name!r} must have a literal default."
            ) from None
        line = lines[node.end_lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        parameter = Parameter(name, default, comment, annotation)
        if annotation is not None:
            try:
                default = parameter.coerce(default)
            except InvalidTypeError:
                raise InvalidParameterError(
                    f"notebook {notebook}: parameter {name!r} is declared {annotation} "
                    f"but defaults to {default!r}."
                ) from None
            parameter = Parameter(name, default, comment, annotation)
        out[name] = parameter
    return out


READ_OPTIONS: dict[str, Any] = {
    "layout": "auto",
    "date_column": "",
    "asset_column": "",
    "price_column": "",
    "date_format": "",
    "assets": [],
    "start": "",
    "end": "",
    "missing": "raise",
    "ffill_limit": 0,
    "align": "",
    "adjust_splits": False,
    "sep": "",
    "decimal": "",
    "encoding": "",
    "footer": "refuse",
    "duplicates": "refuse",
    "dismiss": [],
}
"""The notebook parameters passed to ``riskkit.data.load`` (its keyword arguments, one
parameter each, same name), with the default every notebook reading a file declares: the
one list, read by the notebooks' data cell (:func:`read_options`), by the command line's
advice (a fix is re-read with them) and by the tests (each notebook declares them all)."""


def read_options(values: Mapping[str, Any], /) -> dict[str, Any]:
    """The keyword arguments of ``riskkit.data.load`` from a notebook's parameter values.

    ``values`` maps parameter names to values (a notebook passes ``globals()``); each of
    :data:`READ_OPTIONS` it holds is passed under its name unless it is the default
    there (``""``, 0, ``[]``, ``"refuse"`` ...: not given, so ``load`` decides, and a
    bundled dataset takes no format option). Other names are ignored.

    >>> read_options({"layout": "auto", "sep": ";", "ffill_limit": 0, "footer": "drop", "lookback": 365})
    {'sep': ';', 'footer': 'drop'}
    """
    out = {}
    for name, default in READ_OPTIONS.items():
        if name in values:
            value = values[name]
            if not (type(value) is type(default) and value == default):
                out[name] = value
    return out


def effective_parameters(declared: Mapping[str, Parameter], params: Mapping[str, Any]) -> dict[str, Any]:
    """What a run uses: the declared defaults, overridden by ``params``."""
    return {k: p.default for k, p in declared.items()} | dict(params)


def check_parameters(notebook: str | os.PathLike, parameters: Mapping[str, Any] | None, /) -> dict[str, Any]:
    """``parameters`` checked against the notebook's and coerced to their types.

    Raises InvalidParameterError for an unknown name and InvalidTypeError for a
    value of the wrong type; both messages list the valid parameters.
    """
    return _checked(Path(notebook).name, notebook_parameters(notebook), parameters)


FORMER = {  # former notebook parameter -> (its name now, factor on its value, what changed)
    "cost_bps": ("proportional", 1e-4, "a fraction of the traded value: 10 bp is 0.001"),
    "fixed_fee": ("fixed", 1.0, ""),
    "frequency": ("freq", 1.0, ""),
    "alpha": ("level", 1.0, ""),
    "alert_threshold": ("alert_share", 1.0, ""),
    "group_alert_threshold": ("group_alert_share", 1.0, ""),
    "cluster_threshold": ("cluster_min_correlation", 1.0, ""),
    "sim_seeds": ("sim_seed", 1.0, ""),
}
"""Renamed in riskkit 0.2 (the glossary lists them); a former name is answered with the new one."""


def _former(notebook: str, declared: Mapping[str, Parameter], name: str, value: Any) -> str:
    """ "'cost_bps' is now 'proportional' (...); try: -p proportional 0.001", the advice
    tried: the converted value passes the new parameter's type check."""
    new, factor, what = FORMER[name]
    said = f"{name!r} is now {new!r}" + (f" ({what})" if what else "")
    try:
        if isinstance(value, str):  # -p NAME TEXT: an unknown name's value is left as text
            value = declared[new].parse(value)
        if factor != 1.0 and isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value) * factor
        value = declared[new].coerce(value)
    except (InvalidTypeError, InvalidParameterError, ValueError):
        return said
    text = json.dumps(value) if not isinstance(value, str) else value
    return f"{said}; try: -p {new} {text if text.strip() else repr(text)}"


def _checked(notebook: str, declared: Mapping[str, Parameter], parameters: Mapping[str, Any] | None) -> dict:
    unknown = [k for k in (parameters or {}) if k not in declared]
    if unknown:
        renamed = [
            _former(notebook, declared, k, parameters[k])
            for k in unknown
            if k in FORMER and FORMER[k][0] in declared
        ]
        raise InvalidParameterError(
            f"{notebook} has no parameter {', '.join(map(repr, unknown))}"
            + (f": {'; '.join(renamed)}" if renamed else "")
            + f"; its parameters are:\n{_listing(declared)}"
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
    return _mapping(_read_yaml(path), str(path))


def parse_parameters(text: str, /, *, source: str = "parameters") -> dict[str, Any]:
    """Parameters from YAML text holding one mapping ``name: value`` (papermill's ``-y``)."""
    import yaml

    try:
        return _mapping(yaml.safe_load(text), source)
    except yaml.YAMLError as exc:
        raise InvalidParameterError(f"{source} is not valid YAML: {exc}") from None


def _mapping(data: Any, source: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidParameterError(f"{source}: parameters are one mapping of name: value.")
    return data


def _read_yaml(path: str | os.PathLike) -> Any:
    import yaml

    try:
        return yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"file {str(path)!r} does not exist.") from None
    except yaml.YAMLError as exc:
        raise InvalidParameterError(f"{path} is not valid YAML: {exc}") from None
