"""The display half of the result contract: a short repr and an HTML table.

A result object defines ``summary() -> DataFrame`` and ``_headline() -> str``
(one line: what it is and its size); :class:`ResultDisplay` turns them into a
repr of one line (never whole frames) and a Jupyter ``_repr_html_`` (the
headline and the summary table). Dataclasses using it pass ``repr=False``.
"""

from __future__ import annotations

import html

import pandas as pd


class ResultDisplay:
    """Mixin: ``__repr__`` from ``_headline()``, ``_repr_html_`` from it and ``summary()``."""

    __slots__ = ()

    def _headline(self) -> str:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def _display_table(self) -> pd.DataFrame:
        return self.summary()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._headline()}>"

    def _repr_html_(self) -> str:
        head = f"<p><b>{type(self).__name__}</b>: {html.escape(self._headline())}</p>"
        return head + self._display_table().to_html()
