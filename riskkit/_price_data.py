"""PriceData: prices as read, with their quality flags and the log of every choice
(private; re-exported by riskkit.data)."""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass

import pandas as pd

from riskkit._coverage import histories
from riskkit._quality import FLAGS
from riskkit._validation import _fmt, format_items
from riskkit.exceptions import DataQualityWarning, DataRepairWarning

LOG_COLUMNS = ["step", "date", "asset", "action", "value"]
REPAIR_STEPS = ("align", "missing", "adjust_splits")
WARNED_FLAGS = ("split",)  # read_prices warns about these: an unadjusted split distorts every risk figure


def log_table(rows: list) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=LOG_COLUMNS)
    out["date"] = pd.to_datetime(out["date"])
    out["value"] = out["value"].astype("float64")
    return out


@dataclass(frozen=True, repr=False)
class PriceData:
    """Prices read by :func:`riskkit.data.read`, with what was found and done.

    Attributes
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
        Validated float64 prices, as :func:`riskkit.data.read_prices` returns them.
    flags : DataFrame
        Quality flags of ``prices``, one row each: ``asset``, ``date``, ``end``,
        ``flag``, ``severity``, ``value``, ``detail`` (see :func:`riskkit.data.quality`),
        plus ``duplicate`` warnings for identical rows kept once while reading.
    log : DataFrame
        Every choice, in order: ``step`` (layout, columns, dates, assets, window,
        align, missing, adjust_splits), ``date`` and ``asset`` (when one is concerned),
        ``action`` in words, ``value`` (the split factor for adjust_splits).
    coverage : DataFrame
        One row per asset as read (after assets=, start=, end=, before any repair):
        ``first``, ``last``, ``prices``, ``gaps`` (missing values between first and last).
    source : str
        What was read (``"prices in 'file.csv'"``, or the dataset).
    layout : str
        The layout read: wide, long, exchange or folder.
    """

    prices: pd.DataFrame
    flags: pd.DataFrame
    log: pd.DataFrame
    coverage: pd.DataFrame
    source: str
    layout: str

    def repairs(self) -> pd.DataFrame:
        """The rows of ``log`` that changed prices or dropped dates."""
        return self.log[self.log["step"].isin(REPAIR_STEPS)].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row per asset: its history as read (``first``, ``last``, ``prices``,
        ``gaps``), the number of prices ``filled`` by ``missing="ffill"``, and the
        number of flags of each kind."""
        out = self.coverage.copy()
        filled = self.log[(self.log["step"] == "missing") & (self.log["action"] == "forward-filled")]
        out["filled"] = filled.groupby("asset").size().reindex(out.index, fill_value=0).astype(int)
        counts = self.flags.groupby(["asset", "flag"]).size().unstack("flag") if len(self.flags) else None
        for kind in FLAGS:
            col = counts[kind] if counts is not None and kind in counts else pd.Series(dtype=float)
            out[kind] = col.reindex(out.index).fillna(0).astype(int)
        return out

    def histories(self) -> str:
        """``'AAPL' from 2000-03-01 to 2013-03-01; ...``: each asset's dates as read."""
        return histories(self.coverage)

    def notes(self) -> list[str]:
        """What a reader of a report should know, in sentences: the layout and columns
        recognised, the choices made (window, assets, alignment, repairs, split
        adjustments, counted per asset) and the quality flags. Nothing here was
        done silently: each line is also a row of ``log`` or ``flags``."""
        lines = [f"{text[0].upper()}{text[1:]}." for text in self.log.loc[self.log["asset"].isna(), "action"]]
        staggered = (self.coverage["first"].nunique() > 1) or (self.coverage["last"].nunique() > 1)
        if staggered:
            lines.append(f"Histories as read: {self.histories()}.")
        repairs = self.log[self.log["asset"].notna()]
        for (step, action), g in repairs.groupby(["step", "action"], sort=False):
            if step == "adjust_splits":
                lines += [f"{r.asset}: {r.action}." for r in g.itertuples()]
            else:
                counts = g.groupby("asset", sort=False).size()
                lines.append(f"{action.capitalize()} ({step}): " + ", ".join(f"{a} {n}" for a, n in counts.items()) + ".")
        for r in self.flags.itertuples():
            when = _fmt(r.date) if r.end == r.date else f"{_fmt(r.date)} to {_fmt(r.end)}"
            lines.append(f"{r.asset} {when}: {r.flag} ({r.severity}): {r.detail}.")
        return lines

    def warn(self, *, flags: bool = True, stacklevel: int = 2) -> None:
        """Issue the warnings :func:`riskkit.data.read_prices` issues: a
        :class:`DataRepairWarning` when prices were changed, and (with ``flags``)
        a :class:`DataQualityWarning` for split-like moves kept as they are."""
        repairs = self.repairs()
        if len(repairs):
            parts = []
            for step, g in repairs.groupby("step", sort=False):
                if step == "missing":
                    parts.append(f"{len(g)} missing value(s) repaired with missing="
                                 f"{'ffill' if g['action'].iloc[0] == 'forward-filled' else 'drop'!r}: {_cells(g)}")  # fmt: skip
                else:
                    parts += list(g["action"])
            warnings.warn(
                DataRepairWarning(
                    f"{self.source}: " + "; ".join(parts) + ". The full list is in this warning's .log.",
                    log=repairs,
                ),
                stacklevel=stacklevel + 1,
            )
        kept = self.flags[self.flags["flag"].isin(WARNED_FLAGS)]
        if flags and len(kept):
            shown = "; ".join(f"{r.asset!r} on {_fmt(r.date)}: {r.detail}" for r in kept.head(6).itertuples())
            more = f"; ... ({len(kept) - 6} more)" if len(kept) > 6 else ""
            warnings.warn(
                DataQualityWarning(
                    f"{self.source}: {len(kept)} split-like move(s) kept as they are: {shown}{more}. "
                    "Pass adjust_splits=True to divide the prices before a split by its factor, or cut the "
                    "dates away with start=/end=. The flags are in this warning's .flags.",
                    flags=kept.reset_index(drop=True),
                ),
                stacklevel=stacklevel + 1,
            )

    def __repr__(self) -> str:
        p = self.prices
        return (
            f"PriceData({p.shape[1]} assets x {p.shape[0]} dates, {_fmt(p.index[0])} to {_fmt(p.index[-1])}, "
            f"layout={self.layout!r}, {len(self.flags)} flag(s), {len(self.repairs())} repair(s))"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.summary().to_html()


def _cells(log: pd.DataFrame) -> str:
    return "; ".join(
        f"{a!r} on {len(g)} date(s): {format_items(pd.DatetimeIndex(g['date']), limit=4)}"
        for a, g in log.groupby("asset", sort=False)
    )
