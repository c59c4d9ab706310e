"""PriceData: prices as read, with their quality flags and the log of every choice, and
the steps that build it (private; riskkit.data.read and its siblings call them)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import (
    _fmt,
    check_choice,
    check_int,
    check_min_rows,
    check_no_inf,
    count,
    format_items,
)
from riskkit.data import _quality
from riskkit.data._catalog import data_dir, info, names
from riskkit.data._checks import OUTLIER_Z, SPLIT_TOLERANCE, STALE_PERIODS, _check_positive
from riskkit.data._coverage import align_common, check_staggered, coverage, fill_or_drop, histories
from riskkit.data._dialect import SEPARATORS
from riskkit.data._narrow import narrow
from riskkit.data._quality import FLAGS
from riskkit.data._read import LAYOUTS, Format, source_name
from riskkit.data._read import read as read_table
from riskkit.exceptions import (
    DataQualityWarning,
    DataRepairWarning,
    EmptyDataError,
    InvalidParameterError,
    InvalidTypeError,
)

LOG_COLUMNS = ["step", "date", "asset", "action", "value"]
REPAIR_STEPS = ("align", "missing", "adjust_splits", "duplicates")
_CELL_NOTES = {  # log actions on cells, as a report says them (followed by counts per asset)
    "forward-filled": "Prices forward-filled (missing='ffill'), by asset",
    "row dropped": "Dates dropped for missing prices (missing='drop'), by asset",
}
WARNED_FLAGS = ("split",)  # read_prices warns about these: an unadjusted split distorts every risk figure


def log_table(rows: list) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=LOG_COLUMNS)
    out["date"] = pd.to_datetime(out["date"])
    out["value"] = out["value"].astype("float64")
    return out


@dataclass(frozen=True, eq=False, repr=False)
class PriceData(Result):
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
        number of flags of each kind; ``duplicate`` also counts the dates given twice with
        different prices that ``duplicates="first"`` or ``"last"`` resolved."""
        out = self.coverage.copy()
        filled = self.log[(self.log["step"] == "missing") & (self.log["action"] == "forward-filled")]
        out["filled"] = filled.groupby("asset").size().reindex(out.index, fill_value=0).astype(int)
        counts = self.flags.groupby(["asset", "flag"]).size().unstack("flag") if len(self.flags) else None
        for kind in FLAGS:
            col = counts[kind] if counts is not None and kind in counts else pd.Series(dtype=float)
            out[kind] = col.reindex(out.index).fillna(0).astype(int)
        chosen = self.log[self.log["step"] == "duplicates"].groupby("asset").size()
        out["duplicate"] += chosen.reindex(out.index, fill_value=0).astype(int)  # resolved by duplicates=
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
                continue
            if step == "duplicates":  # each its own prices: by asset and date, to find it in the file
                lines += [f"{r.asset} on {_fmt(r.date)}: {r.action}." for r in g.itertuples()]
                continue
            if step == "duplicate":  # few, and each worth finding in the file: by date
                by_asset = g.groupby("asset", sort=False)["date"]
                said = "; ".join(f"{a} on {_dates(dates)}" for a, dates in by_asset)
                lines.append(f"Same date and price twice, kept once: {said}.")
                continue
            counts = ", ".join(f"{a} {n}" for a, n in g.groupby("asset", sort=False).size().items())
            text = _CELL_NOTES.get(action, action)
            lines.append(f"{text[0].upper()}{text[1:]}: {counts}.")
        # one line per finding; the same finding on several assets (a market holiday's gap) once
        same = ["date", "end", "flag", "severity", "detail"]
        for key, g in self.flags.groupby(same, sort=False, dropna=False):
            date, end, flag, severity, detail = key
            when = _fmt(date) if end == date else f"{_fmt(date)} to {_fmt(end)}"
            n, held = g["asset"].nunique(), self.prices.shape[1]
            who = (
                g["asset"].iloc[0] if n == 1
                else f"every asset ({n})" if n == held and held > 2
                else f"{n} assets ({format_items(g['asset'].unique(), limit=4)})"
            )  # fmt: skip
            lines.append(f"{who} {when}: {flag} ({severity}): {_sentence(detail)}")
        return lines

    def require(self, returns: int, *, why: str) -> None:
        """Refuse prices too short for what comes next: at least ``returns`` returns
        (``returns + 1`` dates), for the reason ``why`` ("its 95% expected shortfall
        averages the worst 5% of the returns, at least one"), said with the dates held.
        No option of the reader can lengthen a history, so the error suggests none;
        when ``start=`` or ``end=`` narrowed the file, it says so.

        >>> from riskkit.data import load
        >>> load("crypto_sim", end="2019-01-05").require(20, why="the expected shortfall needs them")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        riskkit.exceptions.EmptyDataError: dataset 'crypto_sim' holds 5 dates, ... (4 returns); ...
        """
        minimum = check_int("returns", returns, minimum=1)
        held = len(self.prices) - 1
        if held >= minimum:
            return
        index = self.prices.index
        span = f", {_fmt(index[0])} to {_fmt(index[-1])}" if len(index) else ""
        narrowed = self.log["step"].eq("window").any()
        raise EmptyDataError(
            f"{self.source} {'hold' if self.source.startswith('prices') else 'holds'} "
            f"{count(len(index), 'date')}{span} "
            f"({count(max(held, 0), 'return')}); this needs at least {count(minimum, 'return')} "
            f"({minimum + 1} dates): {why}. Give a longer history"
            + (" (start= or end= narrowed this one)." if narrowed else ".")
        )

    def cautions(self) -> list[str]:
        """What a reader must check before trusting any figure made from these
        prices, in sentences (empty when nothing): split-like moves kept as they
        are, which every return, risk and backtest figure then carries. The
        same findings :meth:`warn` warns about."""
        kept = self.flags[self.flags["flag"].isin(WARNED_FLAGS)]
        if not len(kept):
            return []
        return [
            *(f"{r.asset} on {_fmt(r.date)}: {_sentence(r.detail)}" for r in kept.itertuples()),
            f"{'This move is' if len(kept) == 1 else 'These moves are'} in every return, risk and backtest "
            "figure made from these prices. If it is a split, read the prices again with adjust_splits=True "
            "(which divides the prices before it by its factor, logged), or cut it away with start= or end=.",
        ]

    def warn(self, *, flags: bool = True, stacklevel: int = 2) -> None:
        """Issue the warnings :func:`riskkit.data.read_prices` issues: a
        :class:`DataRepairWarning` when prices were changed, and (with ``flags``)
        a :class:`DataQualityWarning` for split-like moves kept as they are."""
        repeats = self.log[self.log["step"] == "duplicate"]
        repairs = pd.concat([self.repairs(), repeats], ignore_index=True) if len(repeats) else self.repairs()
        if len(repairs):
            parts = []
            for step, g in repairs.groupby("step", sort=False):
                if step == "missing":
                    parts.append(
                        f"{len(g)} missing value(s) repaired with missing="
                        f"{'ffill' if g['action'].iloc[0] == 'forward-filled' else 'drop'!r}: {_cells(g)}"
                    )
                elif step == "duplicate":
                    parts.append(
                        f"exact repeated rows on {g['date'].nunique()} date(s) kept once: {_cells(g)}"
                    )
                elif step == "duplicates":
                    parts.append(
                        f"{len(g)} duplicated date(s) with different prices, one row kept: {_cells(g)}"
                    )
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
            f"PriceData({count(p.shape[1], 'asset')} x {p.shape[0]} dates, "
            f"{_fmt(p.index[0])} to {_fmt(p.index[-1])}, "
            f"layout={self.layout!r}, {len(self.flags)} flag(s), {len(self.repairs())} repair(s))"
        )


def _dates(dates: pd.Series, limit: int = 5) -> str:
    """``2024-01-02, 2024-01-05 and 3 more``."""
    shown = [_fmt(d) for d in dates]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def _sentence(text: str) -> str:
    """``text`` ending as a sentence does (a question keeps its question mark)."""
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _cells(log: pd.DataFrame) -> str:
    return "; ".join(
        f"{a!r} on {len(g)} date(s): {format_items(pd.DatetimeIndex(g['date']), limit=4)}"
        for a, g in log.groupby("asset", sort=False)
    )


# --------------------------------------------------------------------------- building it


def options(
    *,
    layout,
    date_column,
    asset_column,
    price_column,
    date_format,
    assets,
    start,
    end,
    missing,
    ffill_limit,
    align,
    adjust_splits,
    sep=None,
    decimal=None,
    encoding=None,
    footer="refuse",
    duplicates="refuse",
    dismiss=None,
) -> dict:
    """The read options checked, with "" meaning "not given" (as report parameters write it)."""
    check_choice("layout", layout, LAYOUTS)
    check_choice("missing", missing, ("raise", "ffill", "drop"))
    align = align or None
    check_choice("align", align, (None, "common"))
    for arg, value in (
        ("date_column", date_column),
        ("asset_column", asset_column),
        ("price_column", price_column),
    ):
        if value is not None and not isinstance(value, str):
            raise InvalidTypeError(f"{arg} must be a column name (str), got {value!r}.")
    if date_format and not (isinstance(date_format, str) and "%" in date_format):
        raise InvalidParameterError(
            "date_format must be a strftime format such as '%d/%m/%Y' or '%m/%d/%Y %H:%M'; "
            f"got {date_format!r}."
        )
    if assets is not None and not isinstance(assets, str | list | tuple):
        raise InvalidTypeError(f"assets must be a list of asset names, got {type(assets).__name__}.")
    ffill_limit = check_int("ffill_limit", ffill_limit, minimum=1, allow_none=True)
    if ffill_limit is not None and missing != "ffill":
        raise InvalidParameterError(
            "ffill_limit applies to missing='ffill' only.", fixes=[{"missing": "ffill"}]
        )
    if not isinstance(adjust_splits, bool | np.bool_):
        raise InvalidTypeError(f"adjust_splits must be True or False, got {adjust_splits!r}.")
    sep, decimal, encoding = sep or None, decimal or None, encoding or None
    if sep is not None and sep not in SEPARATORS:
        raise InvalidParameterError(
            f"sep must be one of {format_items(SEPARATORS)} (the delimiter between fields), got {sep!r}."
        )
    check_choice("decimal", decimal, (None, ".", ","))
    if encoding is not None and not isinstance(encoding, str):
        raise InvalidTypeError(f"encoding must be the name of an encoding (str), got {encoding!r}.")
    check_choice("footer", footer, ("refuse", "drop"))
    check_choice("duplicates", duplicates, ("refuse", "first", "last"))
    return {
        "sep": sep,
        "decimal": decimal,
        "encoding": encoding,
        "footer": footer,
        "duplicates": duplicates,
        "dismiss": dismissed_pairs(dismiss),
        "layout": layout,
        "date": date_column or None,
        "asset": asset_column or None,
        "price": price_column or None,
        "date_format": date_format or None,
        "assets": assets or None,
        "start": start,
        "end": end,
        "missing": missing,
        "ffill_limit": ffill_limit,
        "align": align,
        "adjust_splits": bool(adjust_splits),
    }


def resolve(source, options: dict) -> tuple:
    """A dataset name or a path -> (path, how the result names it). ``options``: the
    keyword arguments given (unchecked)."""
    if isinstance(source, str) and source in names():
        given = [
            k
            for k in (
                "layout",
                "date_column",
                "asset_column",
                "price_column",
                "date_format",
                "sep",
                "decimal",
                "encoding",
                "footer",
            )
            if options.get(k) not in (None, "", "auto")
        ]
        if given:
            raise InvalidParameterError(
                f"source={source!r} is a bundled dataset; the format options {format_items(given)} "
                "apply to files only."
            )
        return data_dir() / info(source).file, f"dataset {source!r}"
    if not isinstance(source, str | PathLike) or not Path(source).exists():
        raise InvalidParameterError(
            f"source={str(source)!r} is neither a bundled dataset ({format_items(names())}) "
            "nor an existing price file or folder."
        )
    return source, source_name(source)


def build(source, name: str, o: dict) -> PriceData:
    fmt = Format(
        date_format=o["date_format"], sep=o["sep"], decimal=o["decimal"], encoding=o["encoding"],
        footer=o["footer"], start=o["start"], end=o["end"],
    )  # fmt: skip
    table = read_table(
        source, layout=o["layout"], date=o["date"], asset=o["asset"], price=o["price"], assets=o["assets"],
        fmt=fmt,
    )  # fmt: skip
    wide, notes, dup_flags, chosen = narrow(
        name, table, assets=o["assets"], start=o["start"], end=o["end"], duplicates=o["duplicates"]
    )
    log = [(step, pd.NaT, None, text, np.nan) for step, text in table.notes + notes]
    log += [
        ("duplicate", f["date"], f["asset"], "same date and price twice: kept once", np.nan)
        for f in dup_flags
    ]
    log += [("duplicates", c["date"], c["asset"], c["action"], np.nan) for c in chosen]
    check_no_inf(name, wide)
    _check_positive(name, wide, allow_missing=True)  # missing prices: coverage and fill_or_drop
    cov = coverage(wide)
    if o["align"] == "common":
        wide, text = align_common(wide, cov)
        log.append(("align", pd.NaT, None, text, np.nan))
    else:
        check_staggered(name, wide, cov, missing=o["missing"])
    wide, repaired = fill_or_drop(name, wide, missing=o["missing"], ffill_limit=o["ffill_limit"])
    log += [("missing", r.date, r.asset, r.action, np.nan) for r in repaired.itertuples()]
    check_min_rows(name, wide, 2, what="dates")
    wide, flags = _split_flags(name, wide, o, log)
    kept = [f for f in dup_flags if f["date"] in wide.index]  # flags describe the prices returned
    flags = _quality.sort_flags(
        pd.concat([_quality.flag_table(kept), flags], ignore_index=True) if kept else flags,
        list(wide.columns),
    )
    wide.index.name = "date"
    wide.columns = pd.Index(wide.columns, name="asset")
    return PriceData(
        prices=wide, flags=flags, log=log_table(log), coverage=cov, source=name, layout=table.layout
    )


def _flags(wide: pd.DataFrame) -> pd.DataFrame:
    return _quality.quality_flags(
        wide, stale_periods=STALE_PERIODS, outlier_z=OUTLIER_Z, tolerance=SPLIT_TOLERANCE
    )


def _split_flags(name: str, wide: pd.DataFrame, o: dict, log: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quality flags, split-like moves named in ``dismiss`` taken out (logged), the
    others adjusted with ``adjust_splits`` (logged) and the flags of the result."""
    flags = _flags(wide)
    pairs = o["dismiss"]
    if pairs:
        splits = flags[flags["flag"] == "split"]
        flagged = set(zip(splits["asset"], splits["date"], strict=True))
        absent = [p for p in pairs if p not in flagged]
        if absent:
            raise InvalidParameterError(
                f"dismiss= names {format_items([f'{a}@{_fmt(d)}' for a, d in absent])}, which "
                f"{'is' if len(absent) == 1 else 'are'} not a split-like move of {name}; its split-like "
                f"moves are {format_items([f'{a}@{_fmt(d)}' for a, d in sorted(flagged)]) or 'none'}.",
                fixes=[{"dismiss": [f"{a}@{_fmt(d)}" for a, d in pairs if (a, d) in flagged]}]
                if len(absent) < len(pairs)
                else [],
            )
        for r in splits.itertuples():
            if (r.asset, r.date) in pairs:
                log.append(
                    (
                        "dismiss",
                        r.date,
                        r.asset,
                        f"split-like move dismissed (dismiss=): kept as is; {r.detail}",
                        r.value,
                    )
                )
    if o["adjust_splits"]:
        todo = flags[(flags["flag"] == "split") & ~_named(flags, pairs)]
        wide, done = _quality.split_adjusted(wide, todo)
        log += [("adjust_splits", r.date, r.asset, r.action, r.ratio) for r in done.itertuples()]
        flags = _flags(wide)
    return wide, flags[~((flags["flag"] == "split") & _named(flags, pairs))]


def _named(flags: pd.DataFrame, pairs) -> np.ndarray:
    if not pairs or flags.empty:
        return np.zeros(len(flags), dtype=bool)
    return np.array([(a, d) in pairs for a, d in zip(flags["asset"], flags["date"], strict=True)])


def dismissed_pairs(dismiss) -> tuple:
    """``dismiss=`` as (asset, Timestamp) pairs: given as ``"ASSET@YYYY-MM-DD"`` strings
    (as a report parameter writes them) or (asset, date) pairs."""
    if dismiss is None or (isinstance(dismiss, str) and not dismiss.strip()):
        return ()
    items = [dismiss] if isinstance(dismiss, str) else list(dismiss)
    pairs = []
    for item in items:
        if isinstance(item, str) and "@" in item:
            asset, _, when = item.rpartition("@")
        elif isinstance(item, list | tuple) and len(item) == 2:
            asset, when = item
        else:
            raise InvalidParameterError(
                "dismiss= takes split-like moves as 'ASSET@YYYY-MM-DD' (or (asset, date) pairs), "
                f"got {item!r}."
            )
        try:
            if isinstance(when, str) and not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}.*", when):
                raise ValueError(when)  # pd.Timestamp would read "January" as 0001-01-01
            pairs.append((str(asset), pd.Timestamp(when)))
        except (ValueError, TypeError):
            raise InvalidParameterError(
                f"dismiss= entry {item!r}: {when!r} is not a date (YYYY-MM-DD)."
            ) from None
    return tuple(pairs)
