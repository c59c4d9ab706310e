"""The contract every result object keeps (private).

A result is a frozen dataclass of labelled fields (no tuples, no
``DataFrame.attrs``, no closures, so it pickles) with

* ``summary() -> DataFrame``: the few numbers a reader wants first;
* a short ``__repr__``: one line, scalars shown, tables by their shape;
* ``_repr_html_``: the summary as an HTML table, for Jupyter.

Declare results with ``@dataclass(frozen=True, eq=False, repr=False)`` and
subclass :class:`Result`, so the dataclass does not write its own (long) repr.

Units: a result whose figures scale with time has a ``periods_per_year``
attribute (None: per period) and a ``units`` column in its summary ("annual"
or "per period", or "per path" for a total over a simulated path); its
headline ends with the units its rows state, "(annual)" or "(per period)".

Numbers and dates are written by ``riskkit._core.formats``, as everywhere. This
module imports neither numpy nor pandas (the reports package's results
subclass it and load neither at import).
"""

from __future__ import annotations

import dataclasses
import html
from numbers import Real
from typing import TYPE_CHECKING

from riskkit._core import formats

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Result"]

_MAX_REPR = 240


def _short(value) -> str:
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return f"<DataFrame {value.shape[0]}x{value.shape[1]}>"
    if isinstance(value, pd.Series):
        return f"<Series {len(value)}>"
    if isinstance(value, np.ndarray):
        return f"<array {'x'.join(map(str, value.shape))}>"
    if isinstance(value, dict):
        return f"<dict {len(value)}>"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, Real):
        return formats.significant(value, 6)
    if isinstance(value, pd.Timestamp):
        return formats.date(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Result:
    """Mixin: short repr and HTML from the dataclass fields and :meth:`summary`.

    A result may say more in a line of its own with ``_headline()`` (what it is
    and its size: "3 configurations x 900 dates"), and show another table than
    its summary in Jupyter with ``_display_table()``.
    """

    __slots__ = ()

    def summary(self) -> pd.DataFrame:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def _headline(self) -> str | None:
        return None

    def _display_table(self) -> pd.DataFrame:
        return self.summary()

    def _units(self) -> str | None:
        """The units the summary states: ``"(annual)"``, ``"(per period)"``, or all of
        them (``"(annual, per path)"``) when its rows differ; None without a ``units`` column."""
        if not hasattr(self, "periods_per_year"):
            return None
        summary = self.summary()
        if "units" not in summary.columns:
            return "(per period)" if self.periods_per_year is None else "(annual)"
        return "(" + ", ".join(dict.fromkeys(str(u) for u in summary["units"])) + ")"

    def __repr__(self) -> str:
        headline = self._headline()
        if headline is None:
            headline = ", ".join(
                f"{f.name}={_short(getattr(self, f.name))}"
                for f in dataclasses.fields(self)
                if not f.name.startswith("_")
            )
        text = f"{type(self).__name__}({headline})"
        return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 4] + "...)"

    def _repr_html_(self) -> str:
        table = self._display_table().to_html(float_format=formats.figure, na_rep=formats.MISSING, border=0)
        head = html.escape(type(self).__name__)
        said = " ".join(t for t in (self._headline(), self._units()) if t)
        return f"<p><strong>{head}</strong>{': ' + html.escape(said) if said else ''}</p>{table}"
