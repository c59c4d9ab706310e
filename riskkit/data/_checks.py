"""Checking prices already in memory: validation, explicit repairs, quality flags
(private; re-exported by riskkit.data, which documents them).

check_prices, repair_missing (RepairResult), price_summary, quality_notes,
quality, adjust_splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.formats import date as format_date
from riskkit._core.result import Result
from riskkit._core.validation import (
    check_choice,
    check_frame,
    check_int,
    check_min_rows,
    check_no_inf,
    check_no_missing,
    check_numeric,
    check_positive_prices,
    check_real,
    check_unique_columns,
    format_items,
)
from riskkit.data import _quality
from riskkit.data._coverage import DEFAULT_FFILL_LIMIT, repair
from riskkit.data._narrow import cut_fixes
from riskkit.exceptions import (
    CalendarError,
    DuplicateError,
    InvalidParameterError,
)

_MISSING_HINT = (
    f" Pass missing='ffill' (with ffill_limit, default {DEFAULT_FFILL_LIMIT}) or missing='drop' "
    "to repair explicitly."
)
# Thresholds of the flags read() computes; quality(prices, ...) recomputes with others.
STALE_PERIODS, OUTLIER_Z, SPLIT_TOLERANCE = 5, 8.0, 0.1


@dataclass(frozen=True, eq=False, repr=False)
class RepairResult(Result):
    """Prices after an explicit repair and the log of what changed.

    Attributes
    ----------
    prices : DataFrame
        The repaired prices.
    log : DataFrame
        One row per changed cell or dropped row: columns ``date``, ``asset``,
        ``action`` (``"forward-filled"`` or ``"row dropped"``; :func:`adjust_splits`
        logs one row per split, with its ``ratio``).
    """

    prices: pd.DataFrame
    log: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Number of changes per asset and action."""
        if self.log.empty:
            return pd.DataFrame(columns=["asset", "action", "count"])
        return self.log.groupby(["asset", "action"]).size().rename("count").reset_index()

    def _headline(self) -> str:
        return (
            f"{self.prices.shape[0]} dates x {self.prices.shape[1]} assets, "
            f"{len(self.log)} change{'' if len(self.log) == 1 else 's'} logged"
        )


def check_prices(
    prices: pd.DataFrame,
    /,
    *,
    name: str = "prices",
    min_rows: int = 2,
) -> pd.DataFrame:
    """Validate a wide price DataFrame and return it as float64 (a copy).

    The rules of :func:`read_prices`, without reading or repairing: a
    DatetimeIndex that is sorted and unique, unique asset names, numbers only,
    no missing or infinite values, all prices positive, at least ``min_rows``
    rows. Errors name the argument (``name``), the assets and the dates.
    """
    check_frame(name, prices)
    _check_index(name, prices.index)
    if not prices.columns.is_unique:
        check_unique_columns(name, prices)
    values = check_numeric(name, prices)
    X = values.to_numpy()
    if not (X.min() > 0.0 and X.max() < np.inf):  # one pass on the values: NaN, inf and <= 0 all fail it
        check_no_inf(name, values)  # ... and these name the cells, in this order
        check_no_missing(name, values, hint=_MISSING_HINT)
        _check_positive(name, values)
    check_min_rows(name, values, min_rows)
    return values


def repair_missing(
    prices: pd.DataFrame,
    /,
    *,
    method: Literal["ffill", "drop"],
    limit: int | None = None,
    name: str = "prices",
) -> RepairResult:
    """Repair missing prices explicitly and log every change.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
    method : {"ffill", "drop"}
        ``"ffill"`` carries the last observed price forward (a stale price:
        zero return on the filled dates, the move lands on the next observed
        date). ``"drop"`` removes every date on which any asset is missing.
    limit : int, optional
        With ``"ffill"``, the longest run of consecutive missing values of an
        asset that may be filled (any length when None). A longer run is
        refused whole with :class:`MissingDataError` naming its cells, never
        filled for its first ``limit`` periods and left missing after; so are
        values before an asset's first price.
    name : str, default="prices"
        How errors refer to the table.

    Returns
    -------
    RepairResult
        ``prices`` (a new frame) and ``log`` (date, asset, action).
    """
    check_choice("method", method, ("ffill", "drop"))
    check_int("limit", limit, minimum=1, allow_none=True)
    if limit is not None and method != "ffill":
        raise InvalidParameterError("limit applies to method='ffill' only.")
    repaired, log = repair(name, prices, method=method, limit=limit)
    return RepairResult(prices=repaired, log=log)


def price_summary(prices: pd.DataFrame, /) -> pd.DataFrame:
    """One row per asset: first/last date, observations, missing values,
    the longest run of unchanged prices, and the largest one-period move.

    Works on prices with missing values (it is meant for data-quality notes),
    but the other rules of :func:`check_prices` apply.
    """
    check_frame("prices", prices)
    _check_index("prices", prices.index)
    values = check_numeric("prices", prices)
    rows = {}
    for col in values.columns:
        s = values[col]
        obs = s.dropna()
        rets = obs.pct_change().iloc[1:]
        unchanged = (obs.diff() == 0).to_numpy()
        longest = _longest_run(unchanged)
        big = rets.abs().idxmax() if len(rets) else pd.NaT
        rows[col] = {
            "first": obs.index[0] if len(obs) else pd.NaT,
            "last": obs.index[-1] if len(obs) else pd.NaT,
            "observations": int(obs.size),
            "missing": int(s.isna().sum()),
            "longest_stale_run": int(longest),
            "largest_move": float(rets.loc[big]) if len(rets) else np.nan,
            "largest_move_date": big,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "asset"
    return out


def quality_notes(prices: pd.DataFrame, /, *, stale_run: int = 5, large_move: float = 0.5) -> list[str]:
    """Data-quality warnings in words, from :func:`price_summary`: missing values,
    runs of more than ``stale_run`` unchanged prices, one-period moves beyond
    ``large_move`` (absolute), assets starting late or ending early. Empty when
    nothing stands out. Nothing is repaired."""
    stale_run = check_int("stale_run", stale_run, minimum=1)
    large_move = check_real("large_move", large_move, low=0.0, low_open=True)
    summary = price_summary(prices)
    notes = []
    for asset, r in summary.iterrows():
        if r["missing"]:
            notes.append(f"{asset}: {r['missing']} missing prices.")
        if r["longest_stale_run"] > stale_run:
            notes.append(f"{asset}: {r['longest_stale_run']} consecutive unchanged prices (stale quotes?).")
        if abs(r["largest_move"]) > large_move:
            day = format_date(r["largest_move_date"])
            notes.append(f"{asset}: a one-period move of {r['largest_move']:+.0%} on {day}.")
        if r["first"] > prices.index[0] or r["last"] < prices.index[-1]:
            notes.append(f"{asset}: prices only from {format_date(r['first'])} to {format_date(r['last'])}.")
    return notes


def quality(
    prices: pd.DataFrame,
    /,
    *,
    stale_periods: int = STALE_PERIODS,
    outlier_z: float = OUTLIER_Z,
    split_tolerance: float = SPLIT_TOLERANCE,
) -> pd.DataFrame:
    """Quality flags of a wide price table, by asset and date. Nothing is repaired.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
        Sorted ``DatetimeIndex``; missing values and duplicated dates are
        allowed (they are what is being checked).
    stale_periods : int, default=5
        A ``stale`` flag for the same price this many periods in a row.
    outlier_z : float, default=8.0
        An ``outlier`` flag for a log return this many robust standard
        deviations (1.4826 x median absolute deviation) from the median.
    split_tolerance : float, default=0.1
        How close a one-period price ratio must be to 1/k or k (k = 2, 3, 4,
        5, 10) to be split-like, and how close the next price must come back
        for a move to be a ``bad_tick``.

    Returns
    -------
    flags : DataFrame
        One row per finding: ``asset``, ``date`` (first date), ``end`` (last
        date), ``flag`` (nonpositive, duplicate, split, bad_tick, outlier,
        stale, gap), ``severity`` (``"error"`` for nonpositive prices and
        duplicates with different prices: :func:`read` refuses those;
        ``"warning"`` otherwise), ``value`` (split: new shares per old share;
        bad_tick: the tick's price ratio; outlier: z-score; stale, gap: periods;
        nonpositive: the price; duplicate: rows) and ``detail`` in words.
        The rules are in the table of :mod:`riskkit.data._quality`.

    Examples
    --------
    >>> import pandas as pd, riskkit as rk
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="D")
    >>> p = pd.DataFrame({"X": [100.0, 101, 50.5, 51, 51.5, 52]}, index=idx)
    >>> flags = rk.data.quality(p)
    >>> flags[["asset", "date", "flag", "severity", "value"]]
      asset       date   flag severity  value
    0     X 2024-01-03  split  warning    2.0
    >>> print(flags["detail"][0])
    price ratio 0.500 ≈ 1/2, not reversed: a 2-for-1 split?
    """
    check_frame("prices", prices)
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise CalendarError(f"prices must have a DatetimeIndex, got {type(prices.index).__name__}.")
    if not prices.index.is_monotonic_increasing:
        raise CalendarError("prices dates are not sorted; sort the index first (read_prices sorts).")
    stale_periods = check_int("stale_periods", stale_periods, minimum=1)
    outlier_z = check_real("outlier_z", outlier_z, low=0.0, low_open=True)
    split_tolerance = check_real("split_tolerance", split_tolerance, low=0.0, high=0.5, low_open=True)
    values = check_numeric("prices", prices)
    return _quality.quality_flags(
        values, stale_periods=stale_periods, outlier_z=outlier_z, tolerance=split_tolerance
    )


def adjust_splits(
    prices: pd.DataFrame, /, *, split_tolerance: float = SPLIT_TOLERANCE, outlier_z: float = OUTLIER_Z
) -> RepairResult:
    """Divide each asset's prices before a split flagged by :func:`quality` by its factor.

    An explicit repair: a move by a ratio near 1/k (k = 2, 3, 4, 5, 10) that
    does not reverse the next period is taken for a k-for-1 split, and the
    earlier prices of that asset are divided by k (near k: a reverse split,
    divided by 1/k). A move that reverses is a bad tick and is left alone.

    Returns
    -------
    RepairResult
        ``prices`` (a new frame) and ``log``: one row per split with ``date``,
        ``asset``, ``ratio`` (k) and ``action`` in words.

    Examples
    --------
    >>> import pandas as pd, riskkit as rk
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="D")
    >>> p = pd.DataFrame({"X": [100.0, 102, 51.5, 52]}, index=idx)
    >>> fixed = rk.data.adjust_splits(p)
    >>> fixed.prices["X"].tolist()
    [50.0, 51.0, 51.5, 52.0]
    >>> fixed.log[["date", "asset", "ratio"]]
            date asset  ratio
    0 2024-01-03     X    2.0
    >>> print(fixed.log["action"][0])
    2 prices before 2024-01-03 divided by 2 (2-for-1 split)
    """
    values = check_prices(prices)
    flags = quality(values, split_tolerance=split_tolerance, outlier_z=outlier_z)
    out, log = _quality.split_adjusted(values, flags[flags["flag"] == "split"])
    return RepairResult(prices=out, log=log)


def _check_index(name: str, index: pd.Index) -> None:
    if not isinstance(index, pd.DatetimeIndex):
        raise CalendarError(
            f"{name} must have a DatetimeIndex, got {type(index).__name__}; use riskkit.data.read_prices "
            "to parse a date column."
        )
    if index.tz is not None:
        raise CalendarError(
            f"{name} has a time-zone aware index ({index.tz}); convert to naive UTC (read_prices does this)."
        )
    if index.hasnans:
        raise CalendarError(f"{name} has missing dates (NaT) in its index.")
    if index.has_duplicates:
        raise DuplicateError(
            f"{name} has duplicated dates: {format_items(index[index.duplicated()].unique())}."
        )
    if not index.is_monotonic_increasing:
        pos = int(np.flatnonzero(np.diff(index.asi8) < 0)[0])
        raise CalendarError(
            f"{name} dates are not sorted: {index[pos + 1]:%Y-%m-%d %H:%M} comes after "
            f"{index[pos]:%Y-%m-%d %H:%M}. Sort the index (read_prices sorts)."
        )


def _check_positive(name: str, values: pd.DataFrame, *, allow_missing: bool = False) -> None:
    """The package's positive-prices rule, with the data layer's advice and CLI fixes."""
    check_positive_prices(
        name,
        values,
        allow_missing=allow_missing,
        advice="Nothing is repaired: correct the file, or cut those dates away with start=/end=, "
        "or leave the asset out with assets=.",
        fixes=lambda bad, others: cut_fixes(values.index, bad) + ([{"assets": others}] if others else []),
    )


def _longest_run(flags: np.ndarray) -> int:
    best = run = 0
    for f in flags:
        run = run + 1 if f else 0
        best = max(best, run)
    return best
